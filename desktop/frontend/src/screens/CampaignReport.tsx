// A campaign once it left the draft (issue 16): its schedule or send, the funnel, why
// customers were not sent to, treated against holdout, and the uplift with its interval.
import { useEffect, useState } from 'react';
import { BarController, BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, Tooltip } from 'chart.js';
import { Bar } from 'react-chartjs-2';
import type {
  CampaignReportQuery as ReportData,
  CampaignReportQueryVariables,
  CancelCampaignMutation as CancelData,
  CancelCampaignMutationVariables,
  SendCampaignNowMutation as SendNowData,
  SendCampaignNowMutationVariables,
} from '../gql/graphql';
import { funnelData, intervalBar, reasonLabel, upliftSentence } from '../lib/campaigns';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { formatMinor, formatShare } from '../lib/reports';
import { enumLabel } from '../lib/tickets';
import { CampaignReportQuery, CancelCampaignMutation, SendCampaignNowMutation } from '../operations';
import { href } from '../routes';
import type { Campaign } from './CampaignEditor';
import { ConfirmDialog } from './ConfirmDialog';

ChartJS.register(CategoryScale, LinearScale, BarController, BarElement, Tooltip, Legend);
ChartJS.defaults.animation = false;

type Report = ReportData['campaignReport'];
// While a send runs its counts move: read them again this often.
const POLL_MS = 3000;

export function CampaignReport({ client, campaign, segmentName, onChange }: { client: Client; campaign: Campaign; segmentName: string; onChange(c: Campaign): void }) {
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'send' | 'cancel' | null>(null);
  const [busy, setBusy] = useState(false);
  const live = campaign.state === 'SENDING' || campaign.state === 'SCHEDULED';

  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const d = await client<ReportData, CampaignReportQueryVariables>(CampaignReportQuery, { id: campaign.id }, ac.signal);
        setReport(d.campaignReport);
        setError(null);
        if (d.campaignReport.campaign.state !== campaign.state || d.campaignReport.campaign.updatedAt !== campaign.updatedAt) onChange(d.campaignReport.campaign);
        else if (live) timer = setTimeout(load, POLL_MS);
      } catch (e) {
        if (!ac.signal.aborted) setError(errorMessage(e));
      }
    };
    void load();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
    // campaign.updatedAt stands for the campaign's changes.
  }, [client, campaign.id, campaign.state, campaign.updatedAt]);

  const act = async (what: () => Promise<Campaign>) => {
    setBusy(true);
    try {
      const c = await what();
      setConfirm(null);
      onChange(c);
    } catch (e) {
      setError(errorMessage(e));
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  const c = campaign;
  return (
    <section className="campaign-report">
      <a href={href({ name: 'campaigns' })}>← Campaigns</a>
      <header className="section-header">
        <h1>{c.name}</h1>
        <span className={`chip campaign-${c.state.toLowerCase()}`}>{enumLabel(c.state)}</span>
        <div className="actions">
          {c.state === 'SCHEDULED' && (
            <button type="button" disabled={busy} onClick={() => setConfirm('send')}>
              Send now…
            </button>
          )}
          {(c.state === 'SCHEDULED' || c.state === 'SENDING') && (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirm('cancel')}>
              {c.state === 'SENDING' ? 'Stop sending…' : 'Cancel schedule…'}
            </button>
          )}
        </div>
      </header>
      <dl className="facts campaign-facts">
        <dt>Segment</dt>
        <dd>
          <a href={href({ name: 'segment', id: c.segmentId })}>{segmentName}</a> <span className="muted">({enumLabel(c.audience)} audience)</span>
        </dd>
        <dt>Subject</dt>
        <dd>{c.subject}</dd>
        {c.scheduledAt && (
          <>
            <dt>Scheduled</dt>
            <dd>
              {c.scheduledLocal?.replace('T', ' ')} {c.timeZone} <span className="muted">({formatTime(c.scheduledAt)} here)</span>
            </dd>
          </>
        )}
        {c.startedAt && (
          <>
            <dt>Sending</dt>
            <dd>
              {formatTime(c.startedAt)}
              {c.finishedAt ? ` – ${formatTime(c.finishedAt)}` : ' – still running'}
            </dd>
          </>
        )}
        <dt>Holdout</dt>
        <dd>
          {c.holdoutPercent}% · orders within {c.attributionDays} days count
        </dd>
      </dl>
      {c.lastError && <p className="warnings">The last send run stopped early (it resumes): {c.lastError}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!report && !error && <p className="loading">Loading the report…</p>}
      {report && <ReportBody r={report} />}
      {confirm === 'send' && (
        <ConfirmDialog title="Send the campaign now?" confirmLabel="Send now" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => void act(() => client<SendNowData, SendCampaignNowMutationVariables>(SendCampaignNowMutation, { id: c.id }).then((d) => d.sendCampaignNow))}>
          The schedule is dropped and sending starts now.
        </ConfirmDialog>
      )}
      {confirm === 'cancel' && (
        <ConfirmDialog title={c.state === 'SENDING' ? 'Stop sending?' : 'Cancel the schedule?'} confirmLabel="Cancel campaign" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => void act(() => client<CancelData, CancelCampaignMutationVariables>(CancelCampaignMutation, { id: c.id }).then((d) => d.cancelCampaign))}>
          {c.state === 'SENDING' ? 'No message goes out after the current one.' : 'The campaign will not be sent.'}
        </ConfirmDialog>
      )}
    </section>
  );
}

function ReportBody({ r }: { r: Report }) {
  const f = funnelData(r);
  const kpis: [string, number, string?][] = [
    ['Pending', r.pending],
    ['Held out', r.heldOut, 'Eligible holdout members: sent nothing'],
    ['Failed', r.failed],
    ['Unconfirmed', r.unconfirmed, 'Maybe sent, never sent again: the relay log has the Message-ID'],
    ['Bounced', r.bounced],
    ['Complained', r.complained],
    ['Unsubscribed', r.unsubscribed],
  ];
  return (
    <div className="charts campaign-charts">
      <figure className="card chart report wide" aria-label="Funnel" data-state={r.planned === 0 ? 'empty' : 'ok'}>
        <figcaption>From planned to converted</figcaption>
        <div className="report-kpis">
          {kpis.map(([label, v, title]) => (
            <span key={label} className="report-kpi" title={title}>
              {label} <strong>{v.toLocaleString('en')}</strong>
            </span>
          ))}
        </div>
        <div className="chart-box">
          {r.planned === 0 ? (
            <p className="chart-message empty">Nothing planned yet: the recipients are fixed when the send starts.</p>
          ) : (
            <Bar
              role="img"
              aria-label="Campaign funnel"
              data={{ labels: f.labels, datasets: [{ label: 'Customers', data: f.values, backgroundColor: ['#9aa5c4', '#3257d6', '#4a6ee0', '#7f9cf5', '#a7bcf7', '#1e7d4f'] }] }}
              options={{ maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
            />
          )}
        </div>
      </figure>
      <section className="card" aria-label="Suppressed">
        <h2>
          Not sent <span className="muted">({r.suppressed.toLocaleString('en')} suppressed)</span>
        </h2>
        {r.suppressedBy.length === 0 ? (
          <p className="muted">No one was suppressed.</p>
        ) : (
          <table>
            <tbody>
              {r.suppressedBy.map((s) => (
                <tr key={s.reason}>
                  <td>{reasonLabel(s.reason)}</td>
                  <td className="num">{s.count.toLocaleString('en')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-label="Treated and holdout">
        <h2>Treated and holdout</h2>
        <p className="muted">
          Orders {r.attributionFrom ? `from ${formatTime(r.attributionFrom)}` : ''} {r.attributionTo ? `to ${formatTime(r.attributionTo)}` : ''} count.
        </p>
        <table>
          <thead>
            <tr>
              <th />
              <th className="num">Customers</th>
              <th className="num">Converted</th>
              <th className="num">Conversion</th>
              <th className="num">Revenue</th>
            </tr>
          </thead>
          <tbody>
            {(
              [
                ['Treated', r.treated],
                ['Holdout', r.holdout],
              ] as const
            ).map(([label, g]) => (
              <tr key={label}>
                <th>{label}</th>
                <td className="num">{g.customers.toLocaleString('en')}</td>
                <td className="num">{g.converted.toLocaleString('en')}</td>
                <td className="num">{formatShare(g.conversionRate, 1)}</td>
                <td className="num">{g.revenue.length === 0 ? '—' : g.revenue.map((m) => formatMinor(m)).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <UpliftBar uplift={r.uplift} />
      </section>
    </div>
  );
}

function UpliftBar({ uplift }: { uplift: Report['uplift'] }) {
  if (!uplift) return <p className="muted uplift-none">The uplift appears once both the treated and the holdout group have customers.</p>;
  const b = intervalBar(uplift);
  const tone = uplift.significant ? (uplift.difference > 0 ? 'up' : 'down') : 'neutral';
  return (
    <figure className={`uplift tone-${tone}`} aria-label="Uplift">
      <figcaption>Uplift: treated minus holdout conversion, with its 95% interval</figcaption>
      <svg viewBox="0 0 100 24" preserveAspectRatio="none" className="interval" role="img" aria-label={`Uplift ${b.point.toFixed(0)}`}>
        <line x1={b.zero} x2={b.zero} y1={2} y2={18} className="zero" vectorEffect="non-scaling-stroke" />
        <line x1={b.low} x2={b.high} y1={10} y2={10} className="whisker" vectorEffect="non-scaling-stroke" />
        <line x1={b.low} x2={b.low} y1={6} y2={14} className="whisker" vectorEffect="non-scaling-stroke" />
        <line x1={b.high} x2={b.high} y1={6} y2={14} className="whisker" vectorEffect="non-scaling-stroke" />
        <rect x={b.point - 0.8} y={7} width={1.6} height={6} className="point" />
      </svg>
      <div className="interval-ticks">
        {b.ticks.map((t) => (
          <span key={t.label} style={{ left: `${t.at}%` }}>
            {t.label}
          </span>
        ))}
      </div>
      <p className="uplift-sentence">{upliftSentence(uplift)}</p>
    </figure>
  );
}
