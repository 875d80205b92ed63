// The journey builder (issue 16): a trigger and an ordered list of steps, each with its
// kind's settings. The steps run top to bottom; the server's refusals show beside the form.
import { useEffect, useState } from 'react';
import type { CreateJourneyMutation as CreateData, CreateJourneyMutationVariables, JourneyReentryMode, JourneyStepKind, JourneyTriggerKind, SegmentsQuery as SegmentsData } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { addStep, ATTRIBUTE_OPS, emptyJourneyForm, formToDefinition, moveStep, removeStep, STEP_KINDS, stepKindLabel, TRIGGER_KINDS, type JourneyForm, type StepForm } from '../lib/journeys';
import { enumLabel } from '../lib/tickets';
import { CreateJourneyMutation, SegmentsQuery } from '../operations';
import { href } from '../routes';

export function JourneyBuilder({ client, onClose }: { client: Client; onClose(): void }) {
  const [form, setForm] = useState<JourneyForm>(emptyJourneyForm);
  const [segments, setSegments] = useState<SegmentsData['segments'] | null>(null);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [addKind, setAddKind] = useState<JourneyStepKind>('SEND_EMAIL');

  useEffect(() => {
    const ac = new AbortController();
    client<SegmentsData>(SegmentsQuery, {}, ac.signal)
      .then((d) => setSegments([...d.segments].sort((a, b) => a.name.localeCompare(b.name))))
      .catch((e) => !ac.signal.aborted && setServerError(errorMessage(e)));
    return () => ac.abort();
  }, [client]);

  const { input, errors } = formToDefinition(form);
  const shown = tried ? errors : {};
  const set = <K extends keyof JourneyForm>(k: K, v: JourneyForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setStep = (id: string, patch: Partial<StepForm>) => setForm((f) => ({ ...f, steps: f.steps.map((s) => (s.id === id ? { ...s, ...patch } : s)) }));

  const create = async () => {
    setTried(true);
    setServerError(null);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    try {
      const d = await client<CreateData, CreateJourneyMutationVariables>(CreateJourneyMutation, { input });
      window.location.hash = href({ name: 'journey', id: d.createJourney.id });
    } catch (e) {
      setServerError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const segmentTrigger = form.triggerKind === 'SEGMENT_ENTERED' || form.triggerKind === 'SEGMENT_EXITED';
  return (
    <form
      className="card journey-builder segment-form"
      aria-label="New journey"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <h2>New journey</h2>
      {serverError && (
        <p className="error server-error" role="alert">
          {serverError}
        </p>
      )}
      <label>
        Name
        <input value={form.name} onChange={(e) => set('name', e.target.value)} aria-invalid={!!shown.name} />
        <FieldError msg={shown.name} />
      </label>
      <fieldset className="journey-trigger">
        <legend>Trigger</legend>
        <div className="form-row">
          <label>
            When a customer…
            <select aria-label="Trigger" value={form.triggerKind} onChange={(e) => set('triggerKind', e.target.value as JourneyTriggerKind)}>
              {TRIGGER_KINDS.map((t) => (
                <option key={t.kind} value={t.kind}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
          {segmentTrigger && (
            <label>
              Segment
              <select aria-label="Trigger segment" value={form.segmentId} onChange={(e) => set('segmentId', e.target.value)} aria-invalid={!!shown.trigger}>
                <option value="">{segments ? 'Pick a segment…' : 'Loading…'}</option>
                {segments?.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {form.triggerKind === 'INTERACTION' && (
            <>
              <label>
                Interaction type
                <input value={form.interactionType} onChange={(e) => set('interactionType', e.target.value)} placeholder="e.g. page_view" />
              </label>
              <label>
                Channel <span className="muted">optional</span>
                <input value={form.channel} onChange={(e) => set('channel', e.target.value)} />
              </label>
            </>
          )}
        </div>
        <FieldError msg={shown.trigger} />
      </fieldset>
      <fieldset>
        <legend>Steps, top to bottom</legend>
        <ol className="journey-steps-form">
          {form.steps.map((s, i) => (
            <li key={s.id} className={`step-form kind-${s.kind.toLowerCase()}`} data-step={s.id}>
              <div className="step-head">
                <strong>{i + 1}.</strong>
                <select aria-label={`Step ${i + 1} kind`} value={s.kind} onChange={(e) => setStep(s.id, { kind: e.target.value as JourneyStepKind })}>
                  {STEP_KINDS.map((k) => (
                    <option key={k.kind} value={k.kind}>
                      {k.label}
                    </option>
                  ))}
                </select>
                <code className="muted">{s.id}</code>
                <span className="step-buttons">
                  <button type="button" className="small" aria-label={`Move step ${i + 1} up`} disabled={i === 0} onClick={() => set('steps', moveStep(form.steps, i, -1))}>
                    ↑
                  </button>
                  <button type="button" className="small" aria-label={`Move step ${i + 1} down`} disabled={i === form.steps.length - 1} onClick={() => set('steps', moveStep(form.steps, i, 1))}>
                    ↓
                  </button>
                  <button type="button" className="small" aria-label={`Remove step ${i + 1}`} onClick={() => set('steps', removeStep(form.steps, s.id))}>
                    ×
                  </button>
                </span>
              </div>
              <StepFields step={s} index={i} steps={form.steps} onChange={(p) => setStep(s.id, p)} />
              <FieldError msg={shown[s.id] ?? (serverError?.includes(`"${s.id}"`) || serverError?.includes(` ${s.id} `) ? serverError : undefined)} />
            </li>
          ))}
        </ol>
        <FieldError msg={shown.form} />
        <div className="inline-form">
          <select aria-label="New step kind" value={addKind} onChange={(e) => setAddKind(e.target.value as JourneyStepKind)}>
            {STEP_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
          <button type="button" className="small" onClick={() => set('steps', addStep(form.steps, addKind))}>
            Add step
          </button>
        </div>
      </fieldset>
      <div className="form-row">
        <label>
          Re-entry
          <select value={form.reentry} onChange={(e) => set('reentry', e.target.value as JourneyReentryMode)}>
            <option value="NEVER">A customer enters once</option>
            <option value="AFTER">Again after some days</option>
            <option value="ALWAYS">Again whenever triggered</option>
          </select>
        </label>
        {form.reentry === 'AFTER' && (
          <label>
            After days
            <input inputMode="numeric" value={form.reentryDays} onChange={(e) => set('reentryDays', e.target.value)} />
            <FieldError msg={shown.reentry} />
          </label>
        )}
        <label>
          Goal: an order within days <span className="muted">empty: none</span>
          <input inputMode="numeric" value={form.goalDays} onChange={(e) => set('goalDays', e.target.value)} />
          <FieldError msg={shown.goal} />
        </label>
      </div>
      <div className="actions left">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create journey'}
        </button>
        <button type="button" onClick={onClose} disabled={busy}>
          Close
        </button>
        {tried && Object.values(errors).some(Boolean) && <span className="field-errors">Fix the marked fields first.</span>}
      </div>
    </form>
  );
}

function FieldError({ msg }: { msg?: string }) {
  return msg ? <span className="field-errors">{msg}</span> : null;
}

function StepFields({ step: s, index, steps, onChange }: { step: StepForm; index: number; steps: StepForm[]; onChange(p: Partial<StepForm>): void }) {
  const n = index + 1;
  switch (s.kind) {
    case 'WAIT':
      return (
        <label className="inline-field">
          Wait minutes <span className="muted">(1440 = a day)</span>
          <input aria-label={`Step ${n} minutes`} inputMode="numeric" value={s.waitMinutes} onChange={(e) => onChange({ waitMinutes: e.target.value })} />
        </label>
      );
    case 'BRANCH':
      return (
        <div className="step-fields">
          <label>
            Customers matching this segment rule (JSON) go on to the next step
            <textarea className="code" rows={2} aria-label={`Step ${n} rule`} value={s.rule} onChange={(e) => onChange({ rule: e.target.value })} />
          </label>
          <label>
            Otherwise
            <select aria-label={`Step ${n} otherwise`} value={s.no} onChange={(e) => onChange({ no: e.target.value })}>
              <option value="">End their run</option>
              {steps.slice(index + 1).map((t) => (
                <option key={t.id} value={t.id}>
                  Go to {t.id} ({stepKindLabel(t.kind)})
                </option>
              ))}
            </select>
          </label>
        </div>
      );
    case 'SPLIT':
      return (
        <label className="inline-field">
          Holdout % <span className="muted">(their run ends here: the goal's control group)</span>
          <input aria-label={`Step ${n} holdout`} inputMode="numeric" value={s.holdoutPercent} onChange={(e) => onChange({ holdoutPercent: e.target.value })} />
        </label>
      );
    case 'SEND_EMAIL':
      return (
        <div className="step-fields">
          <label>
            Subject
            <input aria-label={`Step ${n} subject`} value={s.subject} onChange={(e) => onChange({ subject: e.target.value })} />
          </label>
          <label>
            Text <span className="muted">placeholders: customer.firstName, customer.name, customer.email, customer.attributes.&lt;key&gt;, journey.name</span>
            <textarea aria-label={`Step ${n} text`} rows={3} value={s.text} onChange={(e) => onChange({ text: e.target.value })} />
          </label>
          <label>
            HTML <span className="muted">optional</span>
            <textarea className="code" aria-label={`Step ${n} HTML`} rows={2} value={s.html} onChange={(e) => onChange({ html: e.target.value })} />
          </label>
        </div>
      );
    case 'WEBHOOK':
      return (
        <label>
          URL <span className="muted">POSTed JSON, signed with the journey's secret</span>
          <input aria-label={`Step ${n} URL`} value={s.url} onChange={(e) => onChange({ url: e.target.value })} />
        </label>
      );
    case 'ATTRIBUTE':
      return (
        <div className="form-row">
          <label>
            Change
            <select aria-label={`Step ${n} operation`} value={s.attrOp} onChange={(e) => onChange({ attrOp: e.target.value as StepForm['attrOp'] })}>
              {ATTRIBUTE_OPS.map((op) => (
                <option key={op} value={op}>
                  {enumLabel(op)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {s.attrOp === 'ADD_TAG' || s.attrOp === 'REMOVE_TAG' ? 'Tag' : 'Attribute'}
            <input aria-label={`Step ${n} key`} value={s.attrKey} onChange={(e) => onChange({ attrKey: e.target.value })} />
          </label>
          {s.attrOp === 'SET' && (
            <label>
              Value
              <input aria-label={`Step ${n} value`} value={s.attrValue} onChange={(e) => onChange({ attrValue: e.target.value })} />
            </label>
          )}
        </div>
      );
    case 'CREATE_TICKET':
      return (
        <div className="step-fields">
          <div className="form-row">
            <label>
              Ticket subject
              <input aria-label={`Step ${n} ticket subject`} value={s.ticketSubject} onChange={(e) => onChange({ ticketSubject: e.target.value })} />
            </label>
            <label>
              Priority
              <select aria-label={`Step ${n} priority`} value={s.ticketPriority} onChange={(e) => onChange({ ticketPriority: e.target.value })}>
                {['low', 'normal', 'high', 'urgent'].map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            </label>
          </div>
          <label>
            Body
            <textarea aria-label={`Step ${n} ticket body`} rows={2} value={s.ticketBody} onChange={(e) => onChange({ ticketBody: e.target.value })} />
          </label>
        </div>
      );
    default:
      return <p className="muted step-fields">The customer's run ends here.</p>;
  }
}
