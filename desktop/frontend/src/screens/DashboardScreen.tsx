import { useEffect, useState } from 'react';
import { BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, LineElement, PointElement, Tooltip } from 'chart.js';
import { Bar, Line } from 'react-chartjs-2';
import type { ReportPeriodQuery as ReportData, ReportPeriodQueryVariables, TicketIdsQuery as TicketIdsData, TicketIdsQueryVariables } from '../gql/graphql';
import { countByPeriod, formatPercent, overall, overallCsat, percentSeries, periods, type Period, type Unit } from '../lib/charts';
import { errorMessage, type Client } from '../lib/graphql';
import { collectPages, countLabel } from '../lib/paging';
import { ReportPeriodQuery, TicketIdsQuery } from '../operations';

// Only the parts of Chart.js these charts use, so the rest is tree-shaken away.
ChartJS.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Tooltip, Legend);
// Numbers, not motion: charts draw in their final state (also what screenshots see).
ChartJS.defaults.animation = false;

/** Ticket volume pages through ids; past this many the chart says so. */
const VOLUME_CAP = 5000;

const RANGES: Record<string, { label: string; count: number; unit: Unit }> = {
  '14d': { label: 'Last 14 days', count: 14, unit: 'day' },
  '12w': { label: 'Last 12 weeks', count: 12, unit: 'week' },
};

interface Report {
  periods: Period[];
  created: number[];
  volumeCapped: boolean;
  reports: ReportData[];
}

const COLORS = { accent: '#3257d6', ok: '#1e7d4f', warn: '#c77d00' };

export function DashboardScreen({ client }: { client: Client }) {
  const [range, setRange] = useState<keyof typeof RANGES>('14d');
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    const { count, unit } = RANGES[range];
    const ps = periods(new Date(), count, unit);
    setReport(null);
    setError(null);
    (async () => {
      const volume = collectPages(async (after) => {
        const d = await client<TicketIdsData, TicketIdsQueryVariables>(
          TicketIdsQuery,
          { queue: 'ALL', filter: { createdFrom: ps[0].from.toISOString() }, first: 100, after },
          ac.signal,
        );
        return { items: d.tickets.edges.map((e) => e.node.createdAt), hasNextPage: d.tickets.pageInfo.hasNextPage, endCursor: d.tickets.pageInfo.endCursor };
      }, VOLUME_CAP);
      const reports = Promise.all(
        ps.map((p) => client<ReportData, ReportPeriodQueryVariables>(ReportPeriodQuery, { from: p.from.toISOString(), to: p.to.toISOString() }, ac.signal)),
      );
      const [v, r] = await Promise.all([volume, reports]);
      setReport({ periods: ps, created: countByPeriod(v.items, ps), volumeCapped: v.capped, reports: r });
    })().catch((e) => {
      if (!ac.signal.aborted) setError(errorMessage(e));
    });
    return () => ac.abort();
  }, [client, range]);

  return (
    <section className="dashboard">
      <header className="section-header">
        <h1>Dashboard</h1>
        <label className="inline-label">
          Period
          <select aria-label="Period" value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.entries(RANGES).map(([k, r]) => (
              <option key={k} value={k}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!report && !error && <p className="loading">Loading reports…</p>}
      {report && <Charts report={report} />}
    </section>
  );
}

function Charts({ report }: { report: Report }) {
  const labels = report.periods.map((p) => p.label);
  const first = report.reports.map((r) => r.slaAttainment.firstResponse);
  const resolution = report.reports.map((r) => r.slaAttainment.resolution);
  const csat = report.reports.map((r) => r.csatStats.total);
  const totalCreated = report.created.reduce((a, b) => a + b, 0);
  const frAll = overall(first);
  const resAll = overall(resolution);
  const csatAll = overallCsat(csat);
  const percentAxis = { y: { min: 0, max: 100, ticks: { callback: (v: string | number) => `${v}%` } } };

  return (
    <>
      <div className="kpis">
        <Kpi label="Tickets created" value={countLabel(totalCreated, report.volumeCapped)} />
        <Kpi label="First response SLA met" value={formatPercent(frAll.percent)} detail={`${frAll.met} of ${frAll.total}`} />
        <Kpi label="Resolution SLA met" value={formatPercent(resAll.percent)} detail={`${resAll.met} of ${resAll.total}`} />
        <Kpi
          label="CSAT"
          value={csatAll.average === null ? '—' : `${csatAll.average.toFixed(1)} / 5`}
          detail={csatAll.count ? `${formatPercent(csatAll.satisfiedPercent)} satisfied, ${csatAll.count} ratings` : 'no ratings'}
        />
      </div>
      <div className="charts">
        <figure className="card chart">
          <figcaption>Ticket volume {report.volumeCapped && <span className="muted">(first {VOLUME_CAP} tickets)</span>}</figcaption>
          <div className="chart-box">
            <Bar
              aria-label="Tickets created per period"
              role="img"
              data={{ labels, datasets: [{ label: 'Tickets created', data: report.created, backgroundColor: COLORS.accent }] }}
              options={{ maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
            />
          </div>
        </figure>
        <figure className="card chart">
          <figcaption>SLA attainment</figcaption>
          <div className="chart-box">
            <Line
              aria-label="SLA attainment per period"
              role="img"
              data={{
                labels,
                datasets: [
                  { label: 'First response', data: percentSeries(first), borderColor: COLORS.accent, backgroundColor: COLORS.accent, spanGaps: true },
                  { label: 'Resolution', data: percentSeries(resolution), borderColor: COLORS.ok, backgroundColor: COLORS.ok, spanGaps: true },
                ],
              }}
              options={{ maintainAspectRatio: false, scales: percentAxis }}
            />
          </div>
        </figure>
        <figure className="card chart">
          <figcaption>CSAT</figcaption>
          <div className="chart-box">
            <Line
              aria-label="CSAT per period"
              role="img"
              data={{
                labels,
                datasets: [
                  { label: 'Satisfied (4–5)', data: csat.map((c) => (c.count ? c.satisfiedPercent : null)), borderColor: COLORS.warn, backgroundColor: COLORS.warn, spanGaps: true },
                ],
              }}
              options={{ maintainAspectRatio: false, scales: percentAxis }}
            />
          </div>
        </figure>
      </div>
    </>
  );
}

function Kpi({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="kpi card" role="group" aria-label={label}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      {detail && <div className="muted">{detail}</div>}
    </div>
  );
}
