// The campaign editor (issue 16): audience, templates with their placeholder defaults,
// holdout and pace; a preview of the saved draft rendered for a chosen customer; a test
// send; and scheduling, sending or dropping the draft.
import { useEffect, useState } from 'react';
import type {
  CampaignQuery as CampaignData,
  CancelCampaignMutation as CancelData,
  CancelCampaignMutationVariables,
  CreateCampaignMutationVariables,
  ScheduleCampaignMutationVariables,
  SendCampaignNowMutationVariables,
  SendTestCampaignMutationVariables,
  UpdateCampaignMutationVariables,
  CreateCampaignMutation as CreateData,
  CustomersQuery as CustomersData,
  CustomersQueryVariables,
  PreviewCampaignQuery as PreviewData,
  PreviewCampaignQueryVariables,
  ScheduleCampaignMutation as ScheduleData,
  SegmentsQuery as SegmentsData,
  SendCampaignNowMutation as SendNowData,
  SendTestCampaignMutation as TestData,
  UpdateCampaignMutation as UpdateData,
} from '../gql/graphql';
import { browserTimeZone, campaignToForm, emptyCampaignForm, formToInput, PLACEHOLDERS, scheduleAt, type CampaignForm, type FormErrors } from '../lib/campaigns';
import { errorMessage, type Client } from '../lib/graphql';
import {
  CancelCampaignMutation,
  CreateCampaignMutation,
  CustomersQuery,
  PreviewCampaignQuery,
  ScheduleCampaignMutation,
  SegmentsQuery,
  SendCampaignNowMutation,
  SendTestCampaignMutation,
  UpdateCampaignMutation,
} from '../operations';
import { href } from '../routes';
import { ConfirmDialog } from './ConfirmDialog';

export type Campaign = NonNullable<CampaignData['campaign']>;

const PREVIEW_DEBOUNCE_MS = 400;
const SEARCH_DEBOUNCE_MS = 250;

interface Props {
  client: Client;
  /** Absent for a new campaign. */
  campaign?: Campaign;
  onChange?(c: Campaign): void;
}

export function CampaignEditor({ client, campaign, onChange }: Props) {
  const [form, setForm] = useState<CampaignForm>(() => (campaign ? campaignToForm(campaign) : emptyCampaignForm()));
  const [saved, setSaved] = useState(() => JSON.stringify(campaign ? campaignToForm(campaign) : null));
  const [segments, setSegments] = useState<SegmentsData['segments'] | null>(null);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'send' | 'cancel' | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    client<SegmentsData>(SegmentsQuery, {}, ac.signal)
      .then((d) => setSegments([...d.segments].sort((a, b) => a.name.localeCompare(b.name))))
      .catch((e) => !ac.signal.aborted && setError(errorMessage(e)));
    return () => ac.abort();
  }, [client]);

  const { input, errors } = formToInput(form);
  const shown: FormErrors = tried ? errors : {};
  const dirty = JSON.stringify(form) !== saved;
  const set = <K extends keyof CampaignForm>(k: K, v: CampaignForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await what();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    setTried(true);
    if (Object.keys(errors).length > 0) return Promise.resolve(false);
    let ok = false;
    return run(async () => {
      if (!campaign) {
        const d = await client<CreateData, CreateCampaignMutationVariables>(CreateCampaignMutation, { input });
        window.location.hash = href({ name: 'campaign', id: d.createCampaign.id });
      } else {
        const d = await client<UpdateData, UpdateCampaignMutationVariables>(UpdateCampaignMutation, { id: campaign.id, input });
        setSaved(JSON.stringify(campaignToForm(d.updateCampaign)));
        setForm(campaignToForm(d.updateCampaign));
        setNotice('Draft saved.');
        onChange?.(d.updateCampaign);
      }
      ok = true;
    }).then(() => ok);
  };

  return (
    <section className="campaign-editor">
      <a href={href({ name: 'campaigns' })}>← Campaigns</a>
      <header className="section-header">
        <h1>{campaign ? `Edit ${campaign.name}` : 'New campaign'}</h1>
        {campaign && <span className="chip campaign-draft">Draft</span>}
      </header>
      {error && (
        <p className="error server-error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="campaign-layout">
        <form
          className="campaign-form segment-form"
          aria-label="Campaign"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <div className="form-row">
            <label>
              Name
              <input value={form.name} onChange={(e) => set('name', e.target.value)} aria-invalid={!!shown.name} />
              <FieldError msg={shown.name} />
            </label>
            <label>
              Segment
              <select aria-label="Segment" value={form.segmentId} onChange={(e) => set('segmentId', e.target.value)} aria-invalid={!!shown.segmentId} disabled={!segments}>
                <option value="">{segments ? 'Pick a segment…' : 'Loading…'}</option>
                {segments?.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name} ({s.memberCount})
                  </option>
                ))}
              </select>
              <FieldError msg={shown.segmentId} />
            </label>
          </div>
          <fieldset className="kind">
            <legend>Audience</legend>
            <label className="check">
              <input type="radio" name="audience" checked={form.audience === 'FROZEN'} onChange={() => set('audience', 'FROZEN')} /> Frozen{' '}
              <span className="muted">the segment's members when the send starts</span>
            </label>
            <label className="check">
              <input type="radio" name="audience" checked={form.audience === 'LIVE'} onChange={() => set('audience', 'LIVE')} /> Live{' '}
              <span className="muted">also skips those who left the segment before their message went out</span>
            </label>
          </fieldset>
          <div className="form-row">
            <label>
              Subject
              <input value={form.subject} onChange={(e) => set('subject', e.target.value)} aria-invalid={!!shown.subject} />
              <FieldError msg={shown.subject} />
            </label>
            <label>
              From name <span className="muted">optional</span>
              <input value={form.fromName} onChange={(e) => set('fromName', e.target.value)} />
            </label>
          </div>
          <label>
            HTML body <span className="muted">optional; links are tracked</span>
            <textarea className="code" rows={7} value={form.html} onChange={(e) => set('html', e.target.value)} />
          </label>
          <label>
            Text body
            <textarea className="code" rows={5} value={form.text} onChange={(e) => set('text', e.target.value)} aria-invalid={!!shown.text} />
            <FieldError msg={shown.text} />
          </label>
          <details className="placeholder-help">
            <summary>Placeholders</summary>
            <p className="muted">
              Write <code>{'{{customer.firstName}}'}</code> and the like. A value a customer lacks takes its default below (built in: first name and name “there”,
              order count “0”); a placeholder that can be empty needs one. Without <code>{'{{unsubscribe.url}}'}</code> an unsubscribe link is added.
            </p>
            <ul className="placeholder-list">
              {PLACEHOLDERS.map((p) => (
                <li key={p}>
                  <code>{`{{${p}}}`}</code>
                </li>
              ))}
            </ul>
          </details>
          <fieldset>
            <legend>Defaults</legend>
            {form.defaults.map((d, i) => (
              <div className="form-row default-row" key={i}>
                <input aria-label="Placeholder" list="campaign-placeholders" value={d.placeholder} onChange={(e) => set('defaults', form.defaults.map((x, j) => (j === i ? { ...x, placeholder: e.target.value } : x)))} />
                <input aria-label="Default value" value={d.value} onChange={(e) => set('defaults', form.defaults.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
                <button type="button" className="small" aria-label="Remove default" onClick={() => set('defaults', form.defaults.filter((_, j) => j !== i))}>
                  ×
                </button>
              </div>
            ))}
            <datalist id="campaign-placeholders">
              {PLACEHOLDERS.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
            <button type="button" className="small" onClick={() => set('defaults', [...form.defaults, { placeholder: '', value: '' }])}>
              Add default
            </button>
          </fieldset>
          <div className="form-row">
            <label>
              Holdout %
              <input inputMode="decimal" value={form.holdoutPercent} onChange={(e) => set('holdoutPercent', e.target.value)} aria-invalid={!!shown.holdoutPercent} />
              <FieldError msg={shown.holdoutPercent} />
            </label>
            <label>
              Attribution days
              <input inputMode="numeric" value={form.attributionDays} onChange={(e) => set('attributionDays', e.target.value)} aria-invalid={!!shown.attributionDays} />
              <FieldError msg={shown.attributionDays} />
            </label>
            <label>
              Messages per minute <span className="muted">empty: no limit</span>
              <input inputMode="numeric" value={form.ratePerMinute} onChange={(e) => set('ratePerMinute', e.target.value)} aria-invalid={!!shown.ratePerMinute} />
              <FieldError msg={shown.ratePerMinute} />
            </label>
          </div>
          <div className="actions left">
            <button type="submit" className="primary" disabled={busy || (!!campaign && !dirty)}>
              {campaign ? (dirty ? 'Save draft' : 'Saved') : 'Save draft'}
            </button>
            {tried && Object.keys(errors).length > 0 && <span className="field-errors">Fix the marked fields first.</span>}
          </div>
        </form>
        {campaign ? (
          <CampaignPreview client={client} campaign={campaign} stale={dirty} />
        ) : (
          <aside className="card preview campaign-preview" aria-label="Preview">
            <h2>Preview</h2>
            <p className="muted">Save the draft to preview it for a customer and send a test.</p>
          </aside>
        )}
      </div>
      {campaign && (
        <Schedule
          busy={busy}
          dirty={dirty}
          onSchedule={(at, tz) =>
            run(async () => {
              const d = await client<ScheduleData, ScheduleCampaignMutationVariables>(ScheduleCampaignMutation, { id: campaign.id, at, timeZone: tz });
              onChange?.(d.scheduleCampaign);
            })
          }
          onSendNow={() => setConfirm('send')}
          onCancel={() => setConfirm('cancel')}
        />
      )}
      {campaign && confirm === 'send' && (
        <ConfirmDialog
          title="Send the campaign now?"
          confirmLabel="Send now"
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void run(async () => {
              const d = await client<SendNowData, SendCampaignNowMutationVariables>(SendCampaignNowMutation, { id: campaign.id });
              setConfirm(null);
              onChange?.(d.sendCampaignNow);
            })
          }
        >
          Every member of the segment with consent to marketing e-mail, less the {campaign.holdoutPercent}% holdout, is sent “{campaign.subject}”. This cannot be undone.
        </ConfirmDialog>
      )}
      {campaign && confirm === 'cancel' && (
        <ConfirmDialog
          title="Drop this draft?"
          confirmLabel="Cancel campaign"
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void run(async () => {
              const d = await client<CancelData, CancelCampaignMutationVariables>(CancelCampaignMutation, { id: campaign.id });
              setConfirm(null);
              onChange?.(d.cancelCampaign);
            })
          }
        >
          The campaign is cancelled and can no longer be sent.
        </ConfirmDialog>
      )}
    </section>
  );
}

function FieldError({ msg }: { msg?: string }) {
  return msg ? <span className="field-errors">{msg}</span> : null;
}

type CustomerHit = CustomersData['customers']['edges'][number]['node'];

/** A customer search box: type, pick one of the matches. */
export function CustomerPicker({ client, value, onPick }: { client: Client; value: CustomerHit | null; onPick(c: CustomerHit): void }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<CustomerHit[]>([]);
  useEffect(() => {
    const t = q.trim();
    if (!t) {
      setHits([]);
      return;
    }
    const ac = new AbortController();
    const timer = setTimeout(() => {
      client<CustomersData, CustomersQueryVariables>(CustomersQuery, { query: t, first: 8 }, ac.signal)
        .then((d) => setHits(d.customers.edges.map((e) => e.node)))
        .catch(() => !ac.signal.aborted && setHits([]));
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [client, q]);
  return (
    <div className="customer-picker">
      <label>
        Customer
        <input type="search" placeholder="Search by name, e-mail or phone" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      {hits.length > 0 && (
        <ul className="picker-hits" aria-label="Matching customers">
          {hits.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                className={`small${value?.id === c.id ? ' active' : ''}`}
                onClick={() => {
                  onPick(c);
                  setQ('');
                }}
              >
                {c.name || c.id} {c.emails[0] && <span className="muted">{c.emails[0]}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {value && (
        <p className="picked">
          Previewing for <strong>{value.name || value.id}</strong>
        </p>
      )}
    </div>
  );
}

function CampaignPreview({ client, campaign, stale }: { client: Client; campaign: Campaign; stale: boolean }) {
  const [customer, setCustomer] = useState<CustomerHit | null>(null);
  const [preview, setPreview] = useState<PreviewData['previewCampaign'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [to, setTo] = useState('');
  const [testState, setTestState] = useState<{ busy: boolean; msg: string | null; error: string | null }>({ busy: false, msg: null, error: null });

  // Debounced: picking customers in a row, or saving twice, renders once.
  useEffect(() => {
    if (!customer) return;
    const ac = new AbortController();
    setLoading(true);
    const timer = setTimeout(() => {
      client<PreviewData, PreviewCampaignQueryVariables>(PreviewCampaignQuery, { campaign: campaign.id, customer: customer.id }, ac.signal)
        .then((d) => {
          setPreview(d.previewCampaign);
          setError(null);
        })
        .catch((e) => !ac.signal.aborted && setError(errorMessage(e)))
        .finally(() => !ac.signal.aborted && setLoading(false));
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [client, campaign.id, campaign.updatedAt, customer]);

  const sendTest = async () => {
    setTestState({ busy: true, msg: null, error: null });
    try {
      const d = await client<TestData, SendTestCampaignMutationVariables>(SendTestCampaignMutation, { campaign: campaign.id, to: to.trim(), customer: customer?.id ?? null });
      setTestState({ busy: false, msg: `Test sent (Message-ID ${d.sendTestCampaign.messageId}).`, error: null });
    } catch (e) {
      setTestState({ busy: false, msg: null, error: errorMessage(e) });
    }
  };

  return (
    <aside className="card preview campaign-preview" aria-label="Preview" aria-busy={loading} data-state={preview ? 'ok' : 'none'}>
      <h2>Preview</h2>
      <CustomerPicker client={client} value={customer} onPick={setCustomer} />
      {stale && <p className="muted">Unsaved changes: the preview shows the saved draft.</p>}
      {!customer && <p className="muted">Pick a customer to see the message as they would get it.</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {customer && !preview && !error && <p className="loading">Rendering…</p>}
      {preview && (
        <div className={`rendered${loading ? ' stale' : ''}`}>
          <p className="preview-subject">
            <span className="muted">Subject</span> <strong>{preview.subject}</strong>
          </p>
          {preview.html && <iframe title="HTML preview" sandbox="" srcDoc={preview.html} className="html-preview" />}
          <pre className="text-preview" aria-label="Text preview">
            {preview.text}
          </pre>
        </div>
      )}
      <form
        className="inline-form test-send"
        onSubmit={(e) => {
          e.preventDefault();
          void sendTest();
        }}
      >
        <input type="email" aria-label="Test address" placeholder="test@example.com" value={to} onChange={(e) => setTo(e.target.value)} required />
        <button type="submit" className="small" disabled={testState.busy || !to.trim()}>
          {testState.busy ? 'Sending…' : 'Send test'}
        </button>
      </form>
      {testState.msg && <p className="notice">{testState.msg}</p>}
      {testState.error && (
        <p className="error" role="alert">
          {testState.error}
        </p>
      )}
    </aside>
  );
}

function Schedule({ busy, dirty, onSchedule, onSendNow, onCancel }: { busy: boolean; dirty: boolean; onSchedule(at: string, tz: string): Promise<void>; onSendNow(): void; onCancel(): void }) {
  const [at, setAt] = useState('');
  const [tz, setTz] = useState(browserTimeZone);
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const wall = scheduleAt(at);
  return (
    <section className="card schedule" aria-label="Send">
      <h2>Send</h2>
      {dirty && <p className="muted">Save the draft first: sends use the saved version.</p>}
      <div className="form-row">
        <label>
          Date and time
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
        </label>
        <label>
          Time zone
          <input list="campaign-time-zones" value={tz} onChange={(e) => setTz(e.target.value)} />
          <datalist id="campaign-time-zones">
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </label>
      </div>
      <div className="actions left">
        <button type="button" className="primary" disabled={busy || dirty || !wall || !tz.trim()} onClick={() => wall && void onSchedule(wall, tz.trim())}>
          Schedule
        </button>
        <button type="button" disabled={busy || dirty} onClick={onSendNow}>
          Send now…
        </button>
        <button type="button" className="danger" disabled={busy} onClick={onCancel}>
          Cancel campaign…
        </button>
      </div>
    </section>
  );
}
