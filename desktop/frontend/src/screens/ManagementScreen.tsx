// Management reports (issue 17): customers and revenue over time, cohort retention, the
// RFM grid with drill-down, the value distribution, the sales forecast and the customers
// ranked by value. Every figure comes from the server's in-process order book
// (schema/reports.graphqls); this screen only picks the scope and draws.
import { useEffect, useState } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { Bar, Chart, Line } from 'react-chartjs-2';
import type {
  CustomerTrendQuery as TrendData,
  CustomerTrendQueryVariables,
  ReportsStatusQuery as StatusData,
  SalesForecastQuery as ForecastData,
  SalesForecastQueryVariables,
  TrendInterval,
  ValueDistributionQuery as DistributionData,
  ValueDistributionQueryVariables,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { dateInput, dayEnd, dayStart, defaultRange, forecastSeries, formatChange, formatMinor, formatMoney, formatShare, histogram, trendSeries } from '../lib/reports';
import { CustomerTrendQuery, ReportsStatusQuery, SalesForecastQuery, ValueDistributionQuery } from '../operations';
import { ReportFrame, usePolled } from './ReportFrame';
import { CohortHeatmap, RankedCustomers, RfmGridCard } from './ReportTables';
import { MarketingEffectiveness } from './MarketingEffectiveness';
import { ProductQuality } from './ProductQuality';

ChartJS.register(CategoryScale, LinearScale, BarController, LineController, BarElement, LineElement, PointElement, Filler, Tooltip, Legend);
// Numbers, not motion: charts draw in their final state (also what screenshots see).
ChartJS.defaults.animation = false;

const COLORS = { new: '#3257d6', returning: '#7f9cf5', churned: '#c0392b', revenue: '#1e7d4f', forecast: '#c77d00', band: 'rgba(199, 125, 0, 0.18)' };
const STATUS_POLL_MS = 1500;

type Status = StatusData['reportsStatus'];

/** What every report is asked for; undefined leaves the server's default. */
export interface Scope {
  asOf?: string;
  country?: string;
  currency?: string;
}

export function ManagementScreen({ client }: { client: Client }) {
  const [status, setStatus] = useState<Status | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [period, setPeriod] = useState<TrendInterval>('MONTH');
  const [asOfDate, setAsOfDate] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [country, setCountry] = useState('');
  const [currency, setCurrency] = useState('');

  // The book loads in the background after a start: poll its status until it is ready.
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const d = await client<StatusData>(ReportsStatusQuery, {}, ac.signal);
        setStatus(d.reportsStatus);
        if (!d.reportsStatus.ready) timer = setTimeout(run, STATUS_POLL_MS);
      } catch (e) {
        if (!ac.signal.aborted) setStatusError(errorMessage(e));
      }
    };
    void run();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
  }, [client]);

  // The default as-of is the end of a day (or now): show the last day it includes.
  const defaultDay = status ? dateInput(new Date(Date.parse(status.defaultAsOf) - 1).toISOString()) : '';
  const day = asOfDate || defaultDay;
  const scope: Scope = { asOf: asOfDate && asOfDate !== defaultDay ? dayEnd(asOfDate) : undefined, country: country || undefined, currency: currency || undefined };
  const range = status ? defaultRange(scope.asOf ?? status.defaultAsOf) : { from: '', to: '' };
  const span = { from: dayStart(from || range.from), to: dayStart(to || range.to) };

  return (
    <section className="management">
      <header className="section-header">
        <h1>Management</h1>
        <BookState status={status} />
      </header>
      {statusError && (
        <p className="error" role="alert">
          {statusError}
        </p>
      )}
      <div className="report-filters card" role="group" aria-label="Report filters">
        <label>
          Period
          <select aria-label="Period" value={period} onChange={(e) => setPeriod(e.target.value as TrendInterval)}>
            <option value="DAY">Day</option>
            <option value="WEEK">Week</option>
            <option value="MONTH">Month</option>
          </select>
        </label>
        <label>
          From
          <input type="date" aria-label="From" value={from || range.from} max={to || range.to} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" aria-label="To" value={to || range.to} min={from || range.from} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          As of
          <input
            type="date"
            aria-label="As of"
            value={day}
            onChange={(e) => {
              setAsOfDate(e.target.value);
              // A new as-of moves the default range with it.
              setFrom('');
              setTo('');
            }}
          />
        </label>
        <label>
          Country
          <select aria-label="Country" value={country} onChange={(e) => setCountry(e.target.value)}>
            <option value="">All countries</option>
            {status?.countries.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        {status && status.currencies.length > 1 && (
          <label>
            Currency
            <select aria-label="Currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
              <option value="">{status.currencies[0]} (most orders)</option>
              {status.currencies.slice(1).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          className="small"
          onClick={() => {
            setAsOfDate('');
            setFrom('');
            setTo('');
            setCountry('');
            setCurrency('');
          }}
        >
          Reset
        </button>
      </div>
      {status && (
        <>
          <TrendCard client={client} scope={scope} interval={period} from={span.from} to={span.to} />
          <div className="charts">
            <CohortHeatmap client={client} scope={scope} from={span.from} to={span.to} />
            <RfmGridCard client={client} scope={scope} />
            <DistributionCard client={client} scope={scope} />
            <ForecastCard client={client} scope={scope} />
          </div>
          <RankedCustomers client={client} scope={scope} asOfLabel={day} />
        </>
      )}
      <MarketingEffectiveness client={client} />
      <ProductQuality client={client} />
    </section>
  );
}

function BookState({ status }: { status: Status | null }) {
  if (!status) return <span className="muted">…</span>;
  if (!status.ready)
    return (
      <span className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Loading order history: {status.loadedOrders.toLocaleString('en')} orders read
        {status.error ? ` (retrying: ${status.error})` : ''}
      </span>
    );
  return (
    <span className="muted">
      {status.orders.toLocaleString('en')} orders of {status.customers.toLocaleString('en')} customers
      {status.firstOrderAt && status.lastOrderAt ? `, ${dateInput(status.firstOrderAt)} to ${dateInput(status.lastOrderAt)}` : ''}
    </span>
  );
}

const key = (...parts: unknown[]) => JSON.stringify(parts);

// ---------------------------------------------------------------- customers and revenue over time

function TrendCard({ client, scope, interval, from, to }: { client: Client; scope: Scope; interval: TrendInterval; from?: string; to?: string }) {
  const polled = usePolled(key('trend', scope, interval, from, to), (signal) =>
    client<TrendData, CustomerTrendQueryVariables>(CustomerTrendQuery, { ...scope, interval, from, to }, signal).then((d) => d.customerTrend),
  );
  return (
    <ReportFrame
      label="Customers and revenue over time"
      className="wide trend"
      title="Customers and net revenue"
      preparingText="Loading the order history"
      polled={polled}
      empty={(t) => (trendSeries(t.periods, t.interval, t.currency).empty ? 'No orders in this range.' : null)}
      summary={(t) => <TrendSummary t={t} />}
    >
      {(t) => {
        const s = trendSeries(t.periods, t.interval, t.currency);
        const money = (v: number | string) => formatMoney(Number(v), s.currency, true);
        return (
          <Chart
            type="bar"
            role="img"
            aria-label="New, returning and churned customers and net revenue per period"
            data={{
              labels: s.labels,
              datasets: [
                { type: 'line' as const, label: `Net revenue${s.currency ? ` (${s.currency})` : ''}`, data: s.revenue, yAxisID: 'revenue', borderColor: COLORS.revenue, backgroundColor: COLORS.revenue, pointRadius: 2, order: 0 },
                { type: 'bar' as const, label: 'New', data: s.newCustomers, backgroundColor: COLORS.new, stack: 'customers', yAxisID: 'customers', order: 1 },
                { type: 'bar' as const, label: 'Returning', data: s.returning, backgroundColor: COLORS.returning, stack: 'customers', yAxisID: 'customers', order: 1 },
                { type: 'bar' as const, label: 'Churned', data: s.churned, backgroundColor: COLORS.churned, stack: 'customers', yAxisID: 'customers', order: 1 },
              ],
            }}
            options={{
              maintainAspectRatio: false,
              interaction: { mode: 'index', intersect: false },
              scales: {
                x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 } },
                customers: { type: 'linear', position: 'left', stacked: true, title: { display: true, text: 'Customers (churned below 0)' }, ticks: { precision: 0, callback: (v) => Math.abs(Number(v)).toLocaleString('en') } },
                revenue: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'Net revenue' }, ticks: { callback: money } },
              },
              plugins: {
                tooltip: {
                  callbacks: {
                    label: (c) => {
                      const v = Number(c.raw ?? 0);
                      return c.dataset.yAxisID === 'revenue' ? `${c.dataset.label}: ${formatMoney(v, s.currency)}` : `${c.dataset.label}: ${Math.abs(v).toLocaleString('en')}`;
                    },
                  },
                },
              },
            }}
          />
        );
      }}
    </ReportFrame>
  );
}

function TrendSummary({ t }: { t: TrendData['customerTrend'] }) {
  const s = trendSeries(t.periods, t.interval, t.currency);
  if (!s.latest) return null;
  const p = s.latest.period;
  const figures: [string, string, number | null][] = [
    ['New customers', p.newCustomers.toLocaleString('en'), p.change.newCustomers],
    ['Returning', p.returningCustomers.toLocaleString('en'), p.change.returningCustomers],
    ['Churned', p.churnedCustomers.toLocaleString('en'), p.change.churnedCustomers],
    ['Net revenue', formatMinor(p.revenue), p.change.revenue],
  ];
  return (
    <div className="report-kpis" aria-label="Latest period">
      <span className="muted">{s.latest.label} vs the period before:</span>
      {figures.map(([label, value, change]) => (
        <span key={label} className="report-kpi">
          {label} <strong>{value}</strong>{' '}
          <span className={`change ${change === null ? '' : (label === 'Churned' ? -change : change) >= 0 ? 'up' : 'down'}`}>{formatChange(change)}</span>
        </span>
      ))}
    </div>
  );
}

// ---------------------------------------------------------------- value distribution

function DistributionCard({ client, scope }: { client: Client; scope: Scope }) {
  const polled = usePolled(key('distribution', scope), (signal) =>
    client<DistributionData, ValueDistributionQueryVariables>(ValueDistributionQuery, scope, signal).then((d) => d.customerValueDistribution),
  );
  return (
    <ReportFrame
      label="Customer value distribution"
      title="Customer value (net revenue to date)"
      preparingText="Loading the order history"
      polled={polled}
      empty={(d) => (d.customers === 0 ? 'No customers with orders in this currency.' : null)}
      summary={(d) => {
        const median = d.quantiles.find((q) => Math.abs(q.q - 0.5) < 1e-9)?.value;
        return (
          <div className="report-kpis">
            <span className="report-kpi">
              Customers <strong>{d.customers.toLocaleString('en')}</strong>
            </span>
            <span className="report-kpi">
              Median <strong>{formatMinor(median)}</strong>
            </span>
            <span className="report-kpi">
              Mean <strong>{formatMinor(d.mean)}</strong>
            </span>
            <span className="report-kpi" title="Share of the total from the highest-value tenth of the customers">
              Top 10% <strong>{formatShare(d.topDecileShare)}</strong>
            </span>
          </div>
        );
      }}
    >
      {(d) => {
        const h = histogram(d.buckets, d.currency);
        return (
          <Bar
            role="img"
            aria-label="Customers per value band"
            data={{ labels: h.labels, datasets: [{ label: 'Customers', data: h.counts, backgroundColor: COLORS.new }] }}
            options={{
              maintainAspectRatio: false,
              plugins: { legend: { display: false } },
              scales: {
                x: { title: { display: true, text: `Net revenue per customer${d.currency ? ` (${d.currency})` : ''}` }, ticks: { maxRotation: 45, autoSkip: false } },
                y: { beginAtZero: true, title: { display: true, text: 'Customers' }, ticks: { precision: 0 } },
              },
            }}
          />
        );
      }}
    </ReportFrame>
  );
}

// ---------------------------------------------------------------- forecast

function ForecastCard({ client, scope }: { client: Client; scope: Scope }) {
  const polled = usePolled(key('forecast', scope.asOf, scope.currency), (signal) =>
    client<ForecastData, SalesForecastQueryVariables>(SalesForecastQuery, { asOf: scope.asOf, currency: scope.currency, weeks: 13 }, signal).then((d) => d.salesForecast),
  );
  return (
    <ReportFrame
      label="Sales forecast"
      title={
        <>
          Weekly net revenue and forecast <span className="muted">(all countries)</span>
        </>
      }
      preparingText="Loading the order history"
      polled={polled}
      empty={(f) => (f.forecast.length === 0 ? (f.message ?? 'No forecast.') : null)}
      summary={(f) => {
        const total = f.forecast.reduce((s, w) => s + w.revenue.point.amountMinor, 0);
        const cur = f.forecast[0]?.revenue.point.currency ?? f.currency ?? '';
        return (
          <div className="report-kpis">
            <span className="report-kpi">
              Next {f.weeks} weeks <strong>{formatMinor({ amountMinor: total, currency: cur })}</strong>
            </span>
            <span className="muted">shaded: {Math.round(f.level * 100)}% prediction interval per week</span>
          </div>
        );
      }}
    >
      {(f) => {
        const s = forecastSeries(f);
        const money = (v: number | string) => formatMoney(Number(v), f.currency, true);
        const level = `${Math.round(f.level * 100)}% interval`;
        return (
          <Line
            role="img"
            aria-label="Weekly net revenue, forecast and prediction interval"
            data={{
              labels: s.labels,
              datasets: [
                { label: 'Actual', data: s.history, borderColor: COLORS.new, backgroundColor: COLORS.new, pointRadius: 0, borderWidth: 1.5 },
                { label: 'Forecast', data: s.point, borderColor: COLORS.forecast, backgroundColor: COLORS.forecast, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
                { label: 'lower', data: s.lower, borderWidth: 0, pointRadius: 0, fill: false },
                { label: level, data: s.upper, borderWidth: 0, pointRadius: 0, backgroundColor: COLORS.band, fill: '-1' },
              ],
            }}
            options={{
              maintainAspectRatio: false,
              interaction: { mode: 'index', intersect: false },
              scales: {
                x: { ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 16 } },
                y: { beginAtZero: true, title: { display: true, text: `Net revenue per week${f.currency ? ` (${f.currency})` : ''}` }, ticks: { callback: money } },
              },
              plugins: {
                legend: { labels: { filter: (item) => item.text !== 'lower' } },
                tooltip: {
                  filter: (item) => item.raw !== null && item.dataset.label !== 'lower',
                  callbacks: {
                    label: (c) => {
                      if (c.dataset.label === level) return `${level}: ${formatMoney(Number(s.lower[c.dataIndex]), f.currency)} – ${formatMoney(Number(c.raw), f.currency)}`;
                      return `${c.dataset.label}: ${formatMoney(Number(c.raw), f.currency)}`;
                    },
                  },
                },
              },
            }}
          />
        );
      }}
    </ReportFrame>
  );
}
