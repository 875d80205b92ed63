// Campaign and journey effectiveness (issue 17): every campaign and journey version with
// conversion of the treated against the holdout, revenue, and the uplift with its 95%
// interval as a point and whisker on one shared axis. The figures are the server's
// campaign report snapshots (schema/marketing.graphqls); each row says how fresh it is.
import { useEffect, useState } from 'react';
import type {
  MarketingEffectivenessQuery as EffectivenessData,
  MarketingEffectivenessQueryVariables,
  RefreshMarketingEffectivenessMutation as RefreshData,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { effectivenessRows, formatRate, freshness, presetRange, significanceTone, significanceWords, upliftAxis, whisker, type Axis, type EffectivenessRow, type PeriodPreset } from '../lib/marketing';
import { formatMinor } from '../lib/reports';
import { MarketingEffectivenessQuery, RefreshMarketingEffectivenessMutation } from '../operations';

type Report = EffectivenessData['marketingEffectiveness'];

const TONE = { gain: '#1e7d4f', loss: '#c0392b', neutral: '#6b7280' };
const PRESETS: [PeriodPreset, string][] = [
  ['all', 'All time'],
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
  ['365', 'Last 12 months'],
];
// After a refresh is asked for, the report is read again this often, this many times.
const REFRESH_POLL_MS = 1500;
const REFRESH_POLLS = 4;

export function MarketingEffectiveness({ client }: { client: Client }) {
  const [preset, setPreset] = useState<PeriodPreset>('all');
  const [currency, setCurrency] = useState('');
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [refreshing, setRefreshing] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    const vars: MarketingEffectivenessQueryVariables = { ...presetRange(preset, new Date()), currency: currency || undefined };
    client<EffectivenessData, MarketingEffectivenessQueryVariables>(MarketingEffectivenessQuery, vars, ac.signal)
      .then((d) => {
        setReport(d.marketingEffectiveness);
        setError(null);
      })
      .catch((e) => {
        if (!ac.signal.aborted) setError(errorMessage(e));
      });
    return () => ac.abort();
  }, [client, preset, currency, generation]);

  // Not ready yet after a start: read again shortly.
  useEffect(() => {
    if (!report || report.ready) return;
    const t = setTimeout(() => setGeneration((g) => g + 1), REFRESH_POLL_MS);
    return () => clearTimeout(t);
  }, [report]);

  const refresh = async () => {
    setRefreshing(true);
    try {
      await client<RefreshData>(RefreshMarketingEffectivenessMutation, {});
      // The recomputation runs in the background: read the report again a few times.
      for (let i = 0; i < REFRESH_POLLS; i++) {
        await new Promise((r) => setTimeout(r, REFRESH_POLL_MS));
        setGeneration((g) => g + 1);
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRefreshing(false);
    }
  };

  const rows = report ? effectivenessRows(report) : [];
  const axis = upliftAxis(rows.map((r) => r.uplift));
  const now = new Date();

  return (
    <section className="card wide" aria-label="Campaign and journey effectiveness" style={{ marginTop: '1rem' }}>
      <header className="section-header" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.75rem', alignItems: 'baseline', justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0 }}>Campaign and journey effectiveness</h2>
        <div style={{ display: 'flex', gap: '0.75rem', alignItems: 'center' }}>
          <label className="muted">
            Period{' '}
            <select aria-label="Effectiveness period" style={{ width: 'auto' }} value={preset} onChange={(e) => setPreset(e.target.value as PeriodPreset)}>
              {PRESETS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {report && report.currencies.length > 1 && (
            <label className="muted">
              Currency{' '}
              <select aria-label="Effectiveness currency" style={{ width: 'auto' }} value={currency} onChange={(e) => setCurrency(e.target.value)}>
                <option value="">{report.currency} (most campaigns)</option>
                {report.currencies
                  .filter((c) => c !== report.currency)
                  .map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
              </select>
            </label>
          )}
          <button className="small" disabled={refreshing} onClick={() => void refresh()}>
            {refreshing ? 'Recomputing…' : 'Recompute now'}
          </button>
        </div>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!report && !error && <p className="chart-message">Loading…</p>}
      {report && <Totals report={report} />}
      {report && !report.ready && (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Computing the campaign reports…
        </p>
      )}
      {report && report.campaigns.length === 0 && (
        <p className="chart-message" data-testid="effectiveness-empty">
          {preset === 'all' ? 'No campaigns yet: send one to see how it converts against its holdout.' : 'No campaigns were sent in this period.'}
        </p>
      )}
      {report && rows.length > 0 && (
        <div className="table-scroll">
          <table className="compact effectiveness" aria-label="Effectiveness per campaign and journey">
            <thead>
              <tr>
                <th scope="col">Campaign or journey</th>
                <th scope="col" style={{ textAlign: 'right' }}>
                  Sent
                </th>
                <th scope="col" style={{ textAlign: 'right' }} title="Converted customers (journeys: runs) of the treated group">
                  Treated conversion
                </th>
                <th scope="col" style={{ textAlign: 'right' }} title="Converted customers (journeys: runs) of the holdout, sent nothing">
                  Holdout conversion
                </th>
                <th scope="col" style={{ textAlign: 'right' }} title="Net revenue of the treated customers in the attribution window">
                  Revenue
                </th>
                <th scope="col" style={{ textAlign: 'right' }}>
                  Per customer: treated / holdout
                </th>
                <th scope="col">
                  Uplift, 95% interval
                  <AxisLabels axis={axis} />
                </th>
                <th scope="col">Significance</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <Row key={r.key} row={r} axis={axis} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Totals({ report }: { report: Report }) {
  const t = report.totals;
  return (
    <div className="report-kpis" aria-label="Effectiveness totals">
      <span className="report-kpi">
        Messages sent <strong data-testid="effectiveness-sent">{t.messagesSent.toLocaleString('en')}</strong>
      </span>
      <span className="report-kpi">
        Conversions <strong>{t.conversions.toLocaleString('en')}</strong>
      </span>
      <span className="report-kpi" title="Net revenue of treated campaign customers in their attribution windows">
        Attributed revenue <strong>{formatMinor(t.attributedRevenue)}</strong>
      </span>
      <span className="report-kpi" title="Uplift above zero at the 5% significance level">
        Significant gains <strong>{t.significantCampaigns}</strong> of {report.campaigns.length} campaigns, <strong>{t.significantJourneys}</strong> of {report.journeys.length} journey versions
      </span>
    </div>
  );
}

function Row({ row, axis, now }: { row: EffectivenessRow; axis: Axis; now: Date }) {
  const tone = significanceTone(row.uplift);
  const conv = (g: EffectivenessRow['treated']) => (
    <>
      {formatRate(g.rate)} <span className="muted">({g.converted.toLocaleString('en')}/{g.n.toLocaleString('en')})</span>
    </>
  );
  return (
    <tr data-effectiveness={`${row.kind.toLowerCase()}:${row.name}`}>
      <td>
        <strong>{row.name}</strong>
        <br />
        <span className="muted">
          {row.kind} · {row.detail}
        </span>
      </td>
      <td style={{ textAlign: 'right' }} data-col="sent">
        {row.sent.toLocaleString('en')}
      </td>
      <td style={{ textAlign: 'right' }}>{conv(row.treated)}</td>
      <td style={{ textAlign: 'right' }}>{conv(row.holdout)}</td>
      <td style={{ textAlign: 'right' }}>{row.revenue ? formatMinor(row.revenue) : <span className="muted">–</span>}</td>
      <td style={{ textAlign: 'right' }}>{row.perTreated ? `${formatMinor(row.perTreated)} / ${row.perHoldout ? formatMinor(row.perHoldout) : '–'}` : <span className="muted">–</span>}</td>
      <td>
        <Whisker row={row} axis={axis} color={TONE[tone]} />
      </td>
      <td style={{ color: TONE[tone], fontWeight: tone === 'neutral' ? 'normal' : 600 }}>{significanceWords(row.uplift, row.holdout.n)}</td>
      <td className="muted" title={row.computedAt}>
        {freshness(row.computedAt, now)}
      </td>
    </tr>
  );
}

const W = 180;
const H = 22;

function AxisLabels({ axis }: { axis: Axis }) {
  return (
    <svg width={W} height={14} role="img" aria-label="Uplift axis in percentage points" style={{ display: 'block', overflow: 'visible' }}>
      {axis.ticks.map((t) => (
        <text key={t.label} x={(t.at / 100) * W} y={11} fontSize={10} textAnchor={t.at < 10 ? 'start' : t.at > 90 ? 'end' : 'middle'} fill="#6b7280">
          {t.label}
        </text>
      ))}
    </svg>
  );
}

/** The uplift's point and 95% interval on the shared axis, with zero dashed. */
function Whisker({ row, axis, color }: { row: EffectivenessRow; axis: Axis; color: string }) {
  if (!row.uplift)
    return (
      <svg width={W} height={H} role="img" aria-label="No uplift to draw" style={{ display: 'block' }}>
        <text x={W / 2} y={H / 2 + 4} fontSize={10} textAnchor="middle" fill="#6b7280">
          {row.holdout.n === 0 ? 'no holdout' : 'no data yet'}
        </text>
      </svg>
    );
  const w = whisker(axis, row.uplift);
  const x = (p: number) => (p / 100) * W;
  const label = `Uplift ${(row.uplift.difference * 100).toFixed(1)} points, 95% interval ${(row.uplift.low * 100).toFixed(1)} to ${(row.uplift.high * 100).toFixed(1)}`;
  return (
    <svg width={W} height={H} role="img" aria-label={label} style={{ display: 'block' }}>
      <title>{label}</title>
      <line x1={x(w.zero)} x2={x(w.zero)} y1={2} y2={H - 2} stroke="#9ca3af" strokeDasharray="3 2" />
      <line x1={x(w.low)} x2={x(w.high)} y1={H / 2} y2={H / 2} stroke={color} strokeWidth={2} />
      <line x1={x(w.low)} x2={x(w.low)} y1={H / 2 - 5} y2={H / 2 + 5} stroke={color} strokeWidth={2} />
      <line x1={x(w.high)} x2={x(w.high)} y1={H / 2 - 5} y2={H / 2 + 5} stroke={color} strokeWidth={2} />
      <circle cx={x(w.point)} cy={H / 2} r={4} fill={color} />
    </svg>
  );
}
