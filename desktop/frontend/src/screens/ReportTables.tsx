// The management reports drawn as tables: the cohort heatmap, the RFM grid with its
// drill-down, and the customers ranked by value (with the value model's state).
import { useEffect, useState } from 'react';
import type {
  CohortRetentionQuery as CohortData,
  CohortRetentionQueryVariables,
  CustomerOrder,
  CustomerValueModelQuery as ModelData,
  CustomerValueModelQueryVariables,
  RankedCustomersQuery as RankedData,
  RankedCustomersQueryVariables,
  RefitCustomerValueModelMutation as RefitData,
  RefitCustomerValueModelMutationVariables,
  RfmCellQuery as CellData,
  RfmCellQueryVariables,
  SaveRfmCellAsSegmentMutation as SavedCell,
  SaveRfmCellAsSegmentMutationVariables,
  RfmGridQuery as GridData,
  RfmGridQueryVariables,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { bandLabel, cellSegmentName, cohortTable, formatMinor, formatShare, heatColor, parseMajor, preparing, rankingAsOfToRefetch, rankingPreparing, rankingText, rfmMatrix } from '../lib/reports';
import { CohortRetentionQuery, CustomerValueModelQuery, RankedCustomersQuery, RefitCustomerValueModelMutation, RfmCellQuery, RfmGridQuery, SaveRfmCellAsSegmentMutation } from '../operations';
import { href } from '../routes';
import type { Scope } from './ManagementScreen';
import { ReportFrame, usePolled } from './ReportFrame';

const key = (...parts: unknown[]) => JSON.stringify(parts);

// ---------------------------------------------------------------- cohort retention

export function CohortHeatmap({ client, scope, from, to }: { client: Client; scope: Scope; from?: string; to?: string }) {
  const polled = usePolled(key('cohorts', scope, from, to), (signal) =>
    client<CohortData, CohortRetentionQueryVariables>(CohortRetentionQuery, { ...scope, from, to }, signal).then((d) => d.cohortRetention),
  );
  return (
    <ReportFrame
      label="Cohort retention"
      className="wide"
      title={
        <>
          Cohort retention <span className="muted">share of each first-order month's customers ordering again, by months since</span>
        </>
      }
      preparingText="Loading the order history"
      polled={polled}
      box={false}
      empty={(c) => (c.cohorts.length === 0 ? 'No first orders in this range.' : null)}
    >
      {(c) => {
        const t = cohortTable(c.cohorts);
        return (
          <div className="table-scroll">
            <table className="heatmap" aria-label="Cohort retention">
              <thead>
                <tr>
                  <th>Cohort</th>
                  <th className="num">Customers</th>
                  <th className="num">Revenue</th>
                  {t.offsets.map((o) => (
                    <th key={o} className="num">
                      M{o}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {t.rows.map((r) => (
                  <tr key={r.label}>
                    <th scope="row">{r.label}</th>
                    <td className="num">{r.customers.toLocaleString('en')}</td>
                    <td className="num">{r.revenue}</td>
                    {r.cells.map((cell, i) =>
                      cell ? (
                        <td
                          key={i}
                          className={`num heat${cell.partial ? ' partial' : ''}`}
                          style={i === 0 ? undefined : heatColor(cell.share, t.max)}
                          title={`${cell.customers} of ${r.customers} customers${cell.partial ? ' (month so far)' : ''}`}
                        >
                          {formatShare(cell.share)}
                        </td>
                      ) : (
                        <td key={i} />
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">Colour: share ordering in that month, darkest at {formatShare(t.max)}. Italic: the month is not over.</p>
          </div>
        );
      }}
    </ReportFrame>
  );
}

// ---------------------------------------------------------------- RFM grid and drill-down

export function RfmGridCard({ client, scope }: { client: Client; scope: Scope }) {
  const polled = usePolled(key('rfm', scope), (signal) => client<GridData, RfmGridQueryVariables>(RfmGridQuery, scope, signal).then((d) => d.rfmGrid));
  const [picked, setPicked] = useState<{ r: number; f: number; scopeKey: string } | null>(null);
  const scopeKey = key(scope);
  const cell = picked && picked.scopeKey === scopeKey ? picked : null;
  return (
    <ReportFrame
      label="RFM grid"
      title={
        <>
          Recency × frequency <span className="muted">customers and net revenue; click a cell for its customers</span>
        </>
      }
      preparingText="Loading the order history"
      polled={polled}
      box={false}
      empty={(g) => (g.customers === 0 ? 'No customers with orders.' : null)}
    >
      {(g) => {
        const m = rfmMatrix(g.recencyBands, g.frequencyBands, g.cells);
        return (
          <>
            <table className="rfm-grid" aria-label="RFM grid">
              <thead>
                <tr>
                  <th title="Rows: days since the last order; columns: orders">Recency</th>
                  {m.cols.map((b) => (
                    <th key={b.score} className="num">
                      {bandLabel(b, 'orders')}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {m.rows.map((rb) => (
                  <tr key={rb.score}>
                    <th scope="row">{bandLabel(rb, 'days')}</th>
                    {m.cols.map((fb) => {
                      const c = m.cell(rb.score, fb.score);
                      const active = cell?.r === c.r && cell?.f === c.f;
                      return (
                        <td key={fb.score} className="rfm-cell" style={heatColor(c.customers, m.max)}>
                          <button
                            className={active ? 'active' : ''}
                            disabled={c.customers === 0}
                            aria-pressed={active}
                            aria-label={`R${c.r} F${c.f}: ${c.customers} customers, ${formatMinor(c.revenue)}`}
                            onClick={() => setPicked(active ? null : { r: c.r, f: c.f, scopeKey })}
                          >
                            <strong>{c.customers.toLocaleString('en')}</strong>
                            <span>{c.customers ? formatMinor(c.revenue, true) : ''}</span>
                          </button>
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
            {cell && <RfmDrill key={`${cell.r}-${cell.f}-${scopeKey}`} client={client} scope={scope} r={cell.r} f={cell.f} />}
          </>
        );
      }}
    </ReportFrame>
  );
}

type CellPage = CellData['rfmCell'];

function RfmDrill({ client, scope, r, f }: { client: Client; scope: Scope; r: number; f: number }) {
  const [rows, setRows] = useState<CellPage['edges'][number]['node'][]>([]);
  const [page, setPage] = useState<CellPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (after: string | null) => {
    try {
      const d = await client<CellData, RfmCellQueryVariables>(RfmCellQuery, { ...scope, recency: r, frequency: f, first: 20, after });
      setPage(d.rfmCell);
      setRows((cur) => [...(after ? cur : []), ...d.rfmCell.edges.map((e) => e.node)]);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  useEffect(() => {
    // Keyed by the cell and scope: loads once.
    void load(null);
  }, []);
  return (
    <section className="rfm-drill" aria-label={`Customers in R${r} F${f}`}>
      <h3>
        R{r} F{f} {page && <span className="muted">({page.totalCount.toLocaleString('en')} customers, highest revenue first)</span>}
      </h3>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!page && !error && <p className="loading">Loading…</p>}
      {page && (
        <table className="compact">
          <thead>
            <tr>
              <th>Customer</th>
              <th className="num">Orders</th>
              <th className="num">Days since</th>
              <th className="num">Net revenue</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id}>
                <td>{c.name === null ? <span className="muted">(erased)</span> : <a href={href({ name: 'customer', id: c.id })}>{c.name || c.id}</a>}</td>
                <td className="num">{c.orders}</td>
                <td className="num">{c.recencyDays}</td>
                <td className="num">{formatMinor(c.revenue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.pageInfo.hasNextPage && (
        <button className="more small" onClick={() => load(page.pageInfo.endCursor ?? null)}>
          More
        </button>
      )}
      {page && page.totalCount > 0 && <SaveCell client={client} scope={scope} r={r} f={f} />}
    </section>
  );
}

/** Saves the cell's customers as a LIST segment (campaigns and journeys can target it). */
function SaveCell({ client, scope, r, f }: { client: Client; scope: Scope; r: number; f: number }) {
  const [name, setName] = useState(() => cellSegmentName(r, f, scope.asOf, scope.country));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<SavedCell['saveRfmCellAsSegment'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await client<SavedCell, SaveRfmCellAsSegmentMutationVariables>(SaveRfmCellAsSegmentMutation, { ...scope, recency: r, frequency: f, name });
      setSaved(d.saveRfmCellAsSegment);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="save-cell"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Save these customers as a segment{' '}
        <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Segment name" maxLength={200} required />
      </label>{' '}
      <button type="submit" className="small" disabled={busy || !name.trim()}>
        {busy ? 'Saving…' : 'Save as segment'}
      </button>
      {saved && (
        <p role="status">
          Saved: <a href={href({ name: 'segment', id: saved.id })}>{saved.name}</a> ({saved.memberCount.toLocaleString('en')} customers, a list kept as of
          this date).
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

// ---------------------------------------------------------------- ranked customers

const RANKINGS: [CustomerOrder, string][] = [
  ['REVENUE', 'Net revenue'],
  ['PREDICTED_VALUE', 'Predicted value (90 days)'],
  ['CHURN_RISK', 'Churn risk'],
  ['LAST_ORDER', 'Last order'],
];
type Ranked = RankedData['customers'];

export function RankedCustomers({ client, scope, asOfLabel }: { client: Client; scope: Scope; asOfLabel: string }) {
  const [ranking, setRanking] = useState<CustomerOrder>('REVENUE');
  const [minOrders, setMinOrders] = useState('');
  const [minRevenue, setMinRevenue] = useState('');
  const currency = scope.currency ?? 'GBP';
  const predicted = ranking === 'PREDICTED_VALUE';
  const filter = {
    country: scope.country,
    currency: scope.currency,
    minOrders: minOrders ? Number(minOrders) : undefined,
    minRevenueMinor: parseMajor(minRevenue, currency) ?? undefined,
    // The server ranks every customer by predicted value as of the day of the scope.
    ...(predicted ? { predictionAsOf: scope.asOf, predictionDays: 90 } : {}),
  };
  const polled = usePolled(
    key('ranked', ranking, filter, scope.asOf),
    async (signal) => {
      const ask = (asOf: string | undefined) =>
        client<RankedData, RankedCustomersQueryVariables>(RankedCustomersQuery, { filter, orderBy: ranking, first: 25, asOf }, signal).then((d) => d.customers);
      const c = await ask(scope.asOf);
      // The rows' predictions as of the ranking's day (it differs when the default as-of is now).
      const again = predicted ? rankingAsOfToRefetch(c.ranking, c.edges.map((e) => e.node)) : null;
      return again ? ask(again) : c;
    },
    // The ranking is prepared in the background; row predictions answer FITTING until the
    // model for the as-of day is fitted.
    (c: Ranked) => rankingPreparing(c.ranking) || c.edges.some((e) => preparing(e.node.predictedValue)),
  );
  const state = predicted && polled.data?.ranking ? polled.data.ranking : null;
  return (
    <section className="card ranked" aria-label="Customers ranked">
      <header className="section-header">
        <h2>Customers ranked</h2>
        <ValueModel client={client} scope={scope} />
      </header>
      <div className="report-filters" role="group" aria-label="Ranking filters">
        <label>
          Rank by
          <select aria-label="Rank by" value={ranking} onChange={(e) => setRanking(e.target.value as CustomerOrder)}>
            {RANKINGS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Min. orders
          <input type="number" min={0} aria-label="Minimum orders" value={minOrders} onChange={(e) => setMinOrders(e.target.value)} />
        </label>
        <label>
          Min. revenue ({currency})
          <input inputMode="decimal" aria-label="Minimum revenue" value={minRevenue} onChange={(e) => setMinRevenue(e.target.value)} />
        </label>
        <span className="muted">Country and currency from the filters above; predictions as of {asOfLabel}, revenue to date.</span>
      </div>
      <ReportFrame
        label="Ranked customers"
        title=""
        // Only the ranking's preparation hides the table; rows still fitting show "…".
        polled={{ ...polled, preparing: rankingPreparing(state) }}
        preparingText={state ? rankingText(state) : undefined}
        box={false}
        empty={(c) => (c.edges.length ? null : state?.status === 'UNAVAILABLE' ? rankingText(state) : 'No customers match.')}
      >
        {(c) => <RankedTable rows={c.edges.map((e) => e.node)} total={c.totalCount} fitting={polled.preparing} note={state?.status === 'READY' ? rankingText(state) : null} />}
      </ReportFrame>
    </section>
  );
}

function RankedTable({ rows, total, fitting, note }: { rows: Ranked['edges'][number]['node'][]; total: number; fitting: boolean; note: string | null }) {
  return (
    <>
      <p className="muted">
        {rows.length} of {total.toLocaleString('en')} customers{note ? ` · ${note}` : ''}
        {fitting ? ' · predictions: fitting the value model…' : ''}
      </p>
      <table className="compact ranked-table" aria-label="Customers by value">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Customer</th>
            <th className="num">Orders</th>
            <th className="num">Net revenue</th>
            <th>Last order</th>
            <th className="num" title="Computed now">Churn risk</th>
            <th className="num">Predicted 90 days</th>
            <th className="num">P(active)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c, i) => {
            const p = c.predictedValue;
            return (
              <tr key={c.id}>
                <td className="num muted">{i + 1}</td>
                <td>
                  <a href={href({ name: 'customer', id: c.id })}>{c.name || c.id}</a>
                </td>
                <td className="num">{c.metrics.orderCount}</td>
                <td className="num">{c.metrics.revenue?.formatted ?? '—'}</td>
                <td>{c.metrics.lastOrderAt ? formatTime(c.metrics.lastOrderAt) : '—'}</td>
                <td className="num">{c.metrics.churnRisk.basis === 'NONE' ? '—' : formatShare(c.metrics.churnRisk.score)}</td>
                <td className="num">{p.status === 'READY' ? (p.expectedValue?.formatted ?? '—') : <span className="muted">{p.status === 'FITTING' || p.status === 'LOADING' ? '…' : '—'}</span>}</td>
                <td className="num">{p.status === 'READY' ? formatShare(p.probabilityAlive) : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/** The customer-value model's state for the scope's as-of day, with a refit. */
function ValueModel({ client, scope }: { client: Client; scope: Scope }) {
  const [nonce, setNonce] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const vars = { asOf: scope.asOf, currency: scope.currency };
  const polled = usePolled(
    key('model', vars, nonce),
    (signal) => client<ModelData, CustomerValueModelQueryVariables>(CustomerValueModelQuery, vars, signal).then((d) => d.customerValueModel),
    (m: ModelData['customerValueModel']) => preparing(m) || m.refitting,
  );
  const m = polled.data;
  const refit = async () => {
    setError(null);
    try {
      await client<RefitData, RefitCustomerValueModelMutationVariables>(RefitCustomerValueModelMutation, vars);
      setNonce((n) => n + 1);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <span className="value-model muted" role="status" data-status={m?.status ?? ''}>
      {polled.error ?? error ?? (!m ? 'Value model…' : m.status === 'READY' ? `Value model fitted ${m.fittedAt ? formatTime(m.fittedAt) : ''} on ${m.customers.toLocaleString('en')} customers${m.refitting ? ', refitting…' : ''}` : m.status === 'FAILED' ? `Value model: ${m.message ?? 'failed'}` : m.status === 'FITTING' ? 'Fitting the value model…' : 'Loading order history…')}{' '}
      {m && (m.status === 'READY' || m.status === 'FAILED') && (
        <button className="small" onClick={refit} disabled={m.refitting}>
          Refit
        </button>
      )}
    </span>
  );
}
