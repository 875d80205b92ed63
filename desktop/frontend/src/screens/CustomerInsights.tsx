// Customer 360: predicted value (ADMIN keys), consent per channel and purpose, and product
// recommendations, side by side. Loaded apart from the profile so a model still fitting
// or a failing part leaves the rest of the view.
import type {
  CustomerConsentOffersQuery as ConsentOffersData,
  CustomerConsentOffersQueryVariables,
  CustomerPredictionQuery as PredictionData,
  CustomerPredictionQueryVariables,
  CustomerSurveysQuery as SurveysData,
  CustomerSurveysQueryVariables,
} from '../gql/graphql';
import type { Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { formatShare, preparing } from '../lib/reports';
import { enumLabel } from '../lib/tickets';
import { CustomerConsentOffersQuery, CustomerPredictionQuery, CustomerSurveysQuery } from '../operations';
import { usePolled } from './ReportFrame';

export function CustomerInsights({ id, client, canPredict }: { id: string; client: Client; canPredict: boolean }) {
  const extra = usePolled(
    `consent-offers:${id}`,
    (signal) => client<ConsentOffersData, CustomerConsentOffersQueryVariables>(CustomerConsentOffersQuery, { id }, signal).then((d) => d.customer),
    () => false,
  );
  return (
    <div className="insights">
      {canPredict && <Prediction id={id} client={client} />}
      <section className="card" aria-labelledby="consent-h">
        <h2 id="consent-h">Consent</h2>
        {extra.error ? (
          <p className="error" role="alert">
            {extra.error}
          </p>
        ) : !extra.data ? (
          <p className="loading">Loading…</p>
        ) : (
          <Consent consent={extra.data.consent} />
        )}
      </section>
      <section className="card" aria-labelledby="recs-h">
        <h2 id="recs-h">Recommended</h2>
        {extra.data &&
          (extra.data.recommendations.length === 0 ? (
            <p className="empty">Nothing to recommend yet.</p>
          ) : (
            <ol className="recommendations" aria-label="Recommendations">
              {extra.data.recommendations.map((r) => (
                <li key={r.productId}>
                  <strong>{r.name ?? r.productId}</strong> <span className="muted mono">{r.productId}</span>
                  <div className="muted">{r.reason}</div>
                </li>
              ))}
            </ol>
          ))}
      </section>
      <Surveys id={id} client={client} />
    </div>
  );
}

type SurveysCustomer = NonNullable<SurveysData['customer']>;

// NPS and surveys (issue 18): the latest NPS answer, and the surveys sent with their answers.
function Surveys({ id, client }: { id: string; client: Client }) {
  const polled = usePolled(
    `surveys:${id}`,
    (signal) => client<SurveysData, CustomerSurveysQueryVariables>(CustomerSurveysQuery, { id }, signal).then((d) => d.customer),
    () => false,
  );
  const c: SurveysCustomer | null | undefined = polled.data;
  return (
    <section className="card" aria-labelledby="surveys-h">
      <h2 id="surveys-h">NPS &amp; surveys</h2>
      {polled.error ? (
        <p className="error" role="alert">
          {polled.error}
        </p>
      ) : !c ? (
        <p className="loading">Loading…</p>
      ) : (
        <>
          {c.nps ? (
            <p className={`nps nps-${c.nps.category.toLowerCase()}`} data-testid="nps">
              <strong className="nps-score">{c.nps.score}</strong>/10 <span className="chip">{enumLabel(c.nps.category)}</span>{' '}
              <span className="muted">{formatTime(c.nps.at)}</span>
            </p>
          ) : (
            <p className="empty">No NPS answer yet.</p>
          )}
          {c.surveys.length > 0 && (
            <table className="compact" aria-label="Surveys">
              <thead>
                <tr>
                  <th>Sent</th>
                  <th>Survey</th>
                  <th>Answer</th>
                </tr>
              </thead>
              <tbody>
                {c.surveys.slice(0, 5).map((s) => (
                  <tr key={s.id}>
                    <td>{formatTime(s.sentAt ?? s.createdAt)}</td>
                    <td title={`${enumLabel(s.trigger)} ${s.triggerId}`}>
                      {s.kind} <span className="muted">{s.trigger === 'TICKET_SOLVED' ? 'ticket' : 'order'}</span>
                    </td>
                    <td>
                      {s.answer ? (
                        <span title={s.answer.comment ?? undefined}>
                          {s.answer.score}
                          {s.kind === 'NPS' ? '/10' : '/5'}
                          {s.answer.comment ? ' 💬' : ''}
                        </span>
                      ) : (
                        <span className="muted" title={s.reason ?? undefined}>
                          {enumLabel(s.state).toLowerCase()}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {c.surveys.length > 5 && <p className="hint">Latest 5 of {c.surveys.length}.</p>}
        </>
      )}
    </section>
  );
}

type Consent = NonNullable<ConsentOffersData['customer']>['consent'];

const CHANNELS: Record<string, string> = { EMAIL: 'E-mail', SMS: 'SMS', PUSH: 'Push', PHONE: 'Phone' };

function Consent({ consent }: { consent: Consent }) {
  const channels = [...new Set(consent.states.map((s) => s.channel))];
  const state = (channel: string, purpose: string) => consent.states.find((s) => s.channel === channel && s.purpose === purpose);
  const cell = (channel: string, purpose: string) => {
    const s = state(channel, purpose);
    if (!s) return <td />;
    return (
      <td className={s.allowed ? 'allowed' : 'denied'} title={s.at ? `${formatTime(s.at)} via ${s.source ?? '?'}` : 'never stated'}>
        {s.allowed ? '✓' : '✗'} {s.status ? enumLabel(s.status) : <span className="muted">not stated</span>}
      </td>
    );
  };
  return (
    <>
      <table className="compact consent" aria-label="Consent states">
        <thead>
          <tr>
            <th>Channel</th>
            <th>Marketing</th>
            <th>Transactional</th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c}>
              <td>{CHANNELS[c] ?? enumLabel(c)}</td>
              {cell(c, 'MARKETING')}
              {cell(c, 'TRANSACTIONAL')}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">✓ may be sent now, ✗ not.</p>
      {consent.history.length > 0 && (
        <details>
          <summary>History ({consent.history.length})</summary>
          <ol className="consent-history">
            {consent.history.slice(0, 10).map((h) => (
              <li key={h.id}>
                <span className="muted">{formatTime(h.at)}</span> {CHANNELS[h.channel] ?? h.channel} {enumLabel(h.purpose).toLowerCase()}: {enumLabel(h.status)}{' '}
                <span className="muted">
                  ({h.source}
                  {h.note ? `; ${h.note}` : ''})
                </span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </>
  );
}

type Predicted = NonNullable<PredictionData['customer']>['predictedValue'];

function Prediction({ id, client }: { id: string; client: Client }) {
  const polled = usePolled(
    `prediction:${id}`,
    (signal) => client<PredictionData, CustomerPredictionQueryVariables>(CustomerPredictionQuery, { id }, signal).then((d) => d.customer?.predictedValue ?? null),
    (p: Predicted | null) => preparing(p),
  );
  const p = polled.data;
  return (
    // Labelled apart from its heading: "Value" names the metrics region below.
    <section className="card" aria-label="Prediction">
      <h2>Predicted value</h2>
      {polled.error ? (
        <p className="error" role="alert">
          {polled.error}
        </p>
      ) : !p || polled.preparing ? (
        <p className="loading" role="status">
          {p?.status === 'FITTING' ? 'Fitting the customer-value model…' : p?.status === 'LOADING' ? 'Loading order history…' : 'Loading…'}
        </p>
      ) : p.status !== 'READY' ? (
        <p className="empty">{p.status === 'NO_ORDERS' ? 'No orders yet.' : (p.message ?? 'Unavailable.')}</p>
      ) : (
        <>
          <dl className="facts metrics">
            <div className="fact">
              <dt>Next {p.horizonDays} days</dt>
              <dd>
                <strong>{p.expectedValue?.formatted ?? '—'}</strong> from {p.expectedOrders?.toFixed(1) ?? '—'} expected purchases
              </dd>
            </div>
            <div className="fact">
              <dt>P(still active)</dt>
              <dd>{formatShare(p.probabilityAlive)}</dd>
            </div>
            <div className="fact">
              <dt>Expected purchase</dt>
              <dd>{p.expectedOrderValue?.formatted ?? '—'}</dd>
            </div>
          </dl>
          {p.inputs && (
            <p className="hint">
              Inputs: {p.inputs.orders} orders ({p.inputs.revenue.formatted}) since {formatTime(p.inputs.firstOrderAt)}; repeat purchase days x = {p.inputs.frequency}, last
              at tₓ = {Math.round(p.inputs.recencyDays)} d, age T = {Math.round(p.inputs.ageDays)} d, mean repeat value m = {p.inputs.meanOrderValue.formatted}. As of{' '}
              {formatTime(p.asOf)}.
            </p>
          )}
        </>
      )}
    </section>
  );
}
