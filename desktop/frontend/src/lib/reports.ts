// Shapes the management reports (schema/reports.graphqls) into chart series, table cells
// and labels. Amounts arrive in minor units; charts plot major units. Times are UTC.

export type Interval = 'DAY' | 'WEEK' | 'MONTH';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = 86_400_000;

export interface MoneyLike {
  amountMinor: number;
  currency: string;
}

/** Digits after the decimal point of a currency (2 for GBP, 0 for JPY). */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2; // not an ISO code Intl knows
  }
}

export function toMajor(minor: number, currency: string): number {
  return minor / 10 ** currencyDigits(currency);
}

/** An amount in major units with its currency: "£1,234.50"; compact: "£1.2K" (axis ticks). */
export function formatMoney(major: number, currency: string | null | undefined, compact = false): string {
  if (!currency) return compact ? compactNumber(major) : major.toLocaleString('en');
  let f: Intl.NumberFormat;
  try {
    f = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
  } catch {
    return `${currency} ${compact ? compactNumber(major) : major.toLocaleString('en')}`;
  }
  if (!compact) return f.format(major);
  // Intl's compact currency notation varies by locale ("£10.0k"): symbol + compact number.
  const symbol = f.formatToParts(0).find((p) => p.type === 'currency')?.value ?? currency;
  return `${major < 0 ? '-' : ''}${symbol}${compactNumber(Math.abs(major))}`;
}

export function formatMinor(m: MoneyLike | null | undefined, compact = false): string {
  return m ? formatMoney(toMajor(m.amountMinor, m.currency), m.currency, compact) : '—';
}

function compactNumber(n: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** Period-over-period change: "+12%", "−5%", "—" (no previous figure). */
export function formatChange(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const p = Math.round(x * 100);
  return p > 0 ? `+${p}%` : p < 0 ? `−${-p}%` : '0%';
}

export function formatShare(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** A period's label on an axis: "Dec 2010", "wk of Dec 6", "Dec 6". */
export function periodLabel(start: string, interval: Interval): string {
  const d = new Date(start);
  const md = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  if (interval === 'MONTH') return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  return interval === 'WEEK' ? `wk of ${md}` : md;
}

/** "2011-12-10T00:00:00Z" -> "2011-12-10" (for <input type=date>). */
export function dateInput(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().slice(0, 10) : '';
}

/** The default report range: the twelve calendar months up to asOf's, as date inputs. */
export function defaultRange(asOf: string): { from: string; to: string } {
  const d = new Date(asOf);
  // asOf is often midnight after the last day (the end of the data): that day belongs.
  const last = new Date(d.getTime() - 1);
  const from = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 11, 1));
  return { from: dateInput(from.toISOString()), to: dateInput(last.toISOString()) };
}

/** A date input as the instant the server reads: the start of that UTC day, or undefined. */
export function dayStart(date: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T00:00:00Z` : undefined;
}

/** The end of a picked as-of day (the server's asOf sees orders before it). */
export function dayEnd(date: string): string | undefined {
  const s = dayStart(date);
  return s ? new Date(Date.parse(s) + DAY).toISOString() : undefined;
}

// ---------------------------------------------------------------- customers and revenue

export interface TrendPeriodIn {
  start: string;
  partial: boolean;
  newCustomers: number;
  returningCustomers: number;
  churnedCustomers: number;
  activeCustomers: number;
  orders: number;
  revenue: MoneyLike | null;
  change: { newCustomers: number | null; returningCustomers: number | null; churnedCustomers: number | null; revenue: number | null };
}

export interface TrendSeries {
  labels: string[];
  newCustomers: number[];
  returning: number[];
  /** Negative, so churn hangs below the axis. */
  churned: number[];
  revenue: (number | null)[];
  currency: string | null;
  /** The last whole period and its change from the one before (a partial last period is skipped). */
  latest: { label: string; period: TrendPeriodIn } | null;
  empty: boolean;
}

export function trendSeries(periods: TrendPeriodIn[], interval: Interval, currency: string | null): TrendSeries {
  const labels = periods.map((p) => periodLabel(p.start, interval) + (p.partial ? ' (so far)' : ''));
  const whole = periods.filter((p) => !p.partial);
  const last = whole.at(-1) ?? periods.at(-1) ?? null;
  return {
    labels,
    newCustomers: periods.map((p) => p.newCustomers),
    returning: periods.map((p) => p.returningCustomers),
    churned: periods.map((p) => -p.churnedCustomers),
    revenue: periods.map((p) => (p.revenue ? toMajor(p.revenue.amountMinor, p.revenue.currency) : null)),
    currency,
    latest: last ? { label: periodLabel(last.start, interval), period: last } : null,
    empty: periods.every((p) => p.activeCustomers === 0 && p.churnedCustomers === 0 && p.orders === 0),
  };
}

// ---------------------------------------------------------------- cohorts

/** Background for a share on a 0..max scale: the accent at an opacity, and a text colour that stays legible. */
export function heatColor(value: number, max: number): { background: string; color: string } {
  const t = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  const alpha = t === 0 ? 0 : 0.08 + 0.87 * t;
  return { background: `rgba(50, 87, 214, ${alpha.toFixed(3)})`, color: alpha > 0.55 ? '#fff' : '#1d2330' };
}

export interface CohortIn {
  month: string;
  customers: number;
  revenue: MoneyLike | null;
  months: { offset: number; partial: boolean; customers: number; share: number }[];
}

export interface CohortTable {
  /** Month offsets shown as columns: 0..the oldest cohort's last. */
  offsets: number[];
  rows: { label: string; customers: number; revenue: string; cells: ({ share: number; customers: number; partial: boolean } | null)[] }[];
  /** The top of the colour scale: the highest share after month 0 (month 0 is always 100%). */
  max: number;
}

export function cohortTable(cohorts: CohortIn[]): CohortTable {
  const width = Math.max(0, ...cohorts.map((c) => c.months.length));
  const offsets = Array.from({ length: width }, (_, i) => i);
  let max = 0;
  for (const c of cohorts) for (const m of c.months) if (m.offset > 0 && c.customers > 0) max = Math.max(max, m.share);
  return {
    offsets,
    max: max || 1,
    rows: cohorts.map((c) => {
      const byOffset = new Map(c.months.map((m) => [m.offset, m]));
      return {
        label: periodLabel(c.month, 'MONTH'),
        customers: c.customers,
        revenue: formatMinor(c.revenue, true),
        cells: offsets.map((o) => {
          const m = byOffset.get(o);
          return m ? { share: m.share, customers: m.customers, partial: m.partial } : null;
        }),
      };
    }),
  };
}

// ---------------------------------------------------------------- RFM

export interface Band {
  score: number;
  min: number;
  max: number | null;
}

/** "0–30 days", "> 365 days"; "1 order", "3–5 orders", "11+ orders". */
export function bandLabel(b: Band, unit: 'days' | 'orders'): string {
  if (b.max === null) return unit === 'days' ? `> ${b.min - 1} days` : `${b.min}+ orders`;
  if (b.min === b.max) return `${b.min} ${unit === 'orders' && b.min === 1 ? 'order' : unit}`;
  return `${b.min}–${b.max} ${unit}`;
}

/**
 * The name offered for an RFM cell saved as a segment: the cell, the scope's country and
 * the as-of day (a cell means "as of" a date), e.g. "RFM R4 F3 GB as of 2011-12-09".
 */
export function cellSegmentName(r: number, f: number, asOf: string | undefined, country?: string): string {
  const day = asOf ? asOf.slice(0, 10) : new Date().toISOString().slice(0, 10);
  return `RFM R${r} F${f}${country ? ` ${country}` : ''} as of ${day}`;
}

export interface RfmCellIn {
  r: number;
  f: number;
  customers: number;
  revenue: MoneyLike | null;
}

export interface RfmMatrix {
  /** Recency bands, most recent first (rows). */
  rows: Band[];
  /** Frequency bands, fewest orders first (columns). */
  cols: Band[];
  cell(r: number, f: number): RfmCellIn;
  /** Most customers in any cell: the top of the colour scale. */
  max: number;
}

export function rfmMatrix(recency: Band[], frequency: Band[], cells: RfmCellIn[]): RfmMatrix {
  const byKey = new Map(cells.map((c) => [`${c.r}:${c.f}`, c]));
  return {
    rows: [...recency].sort((a, b) => b.score - a.score),
    cols: [...frequency].sort((a, b) => a.score - b.score),
    cell: (r, f) => byKey.get(`${r}:${f}`) ?? { r, f, customers: 0, revenue: null },
    max: Math.max(0, ...cells.map((c) => c.customers)),
  };
}

// ---------------------------------------------------------------- value distribution

export interface BucketIn {
  lower: MoneyLike | null;
  upper: MoneyLike | null;
  customers: number;
}

/**
 * Histogram bars from the 1-2-5 buckets: labels like "£10–20", "< £0", "≥ £50K", with the
 * empty buckets at either end dropped (gaps inside stay, so the axis keeps its steps).
 */
export function histogram(buckets: BucketIn[], currency: string | null): { labels: string[]; counts: number[] } {
  let lo = buckets.findIndex((b) => b.customers > 0);
  if (lo < 0) return { labels: [], counts: [] };
  let hi = buckets.length - 1;
  while (hi > lo && buckets[hi].customers === 0) hi--;
  const cur = currency ?? buckets.find((b) => b.lower || b.upper)?.lower?.currency ?? null;
  const amt = (m: MoneyLike) => formatMoney(toMajor(m.amountMinor, m.currency), cur, true);
  const bare = (m: MoneyLike) => compactNumber(toMajor(m.amountMinor, m.currency));
  const slice = buckets.slice(lo, hi + 1);
  return {
    labels: slice.map((b) => (!b.lower ? `< ${amt(b.upper ?? { amountMinor: 0, currency: cur ?? '' })}` : !b.upper ? `≥ ${amt(b.lower)}` : `${amt(b.lower)}–${bare(b.upper)}`)),
    counts: slice.map((b) => b.customers),
  };
}

// ---------------------------------------------------------------- forecast

export interface ForecastIn {
  history: { start: string; revenue: MoneyLike }[];
  forecast: { start: string; revenue: { point: MoneyLike; lower: MoneyLike; upper: MoneyLike } }[];
}

export interface ForecastSeries {
  labels: string[];
  history: (number | null)[];
  /** Starts at the last history week, so the two lines join. */
  point: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
}

/**
 * History and forecast on one axis of weeks. The interval band is drawn as the area
 * between `upper` and `lower`; both start at the last actual week (zero width there) so
 * the band opens out of the history line instead of floating beside it.
 */
export function forecastSeries(f: ForecastIn, historyWeeks = 52): ForecastSeries {
  const hist = f.history.slice(-historyWeeks);
  const major = (m: MoneyLike) => toMajor(m.amountMinor, m.currency);
  const labels = [...hist, ...f.forecast].map((w) => periodLabel(w.start, 'WEEK'));
  const pad = (n: number) => Array<number | null>(Math.max(0, n)).fill(null);
  const joint = hist.length ? major(hist[hist.length - 1].revenue) : null;
  const tail = (pick: (w: ForecastIn['forecast'][number]) => number) => [...pad(hist.length - 1), ...(hist.length ? [joint] : []), ...f.forecast.map(pick)];
  return {
    labels,
    history: [...hist.map((w) => major(w.revenue)), ...pad(f.forecast.length)],
    point: tail((w) => major(w.revenue.point)),
    lower: tail((w) => major(w.revenue.lower)),
    upper: tail((w) => major(w.revenue.upper)),
  };
}

// ---------------------------------------------------------------- readiness

/** Whether an answer is still being prepared (the book loads or the model fits): poll again. */
export function preparing(x: { ready?: boolean; status?: string } | null | undefined): boolean {
  if (!x) return false;
  if (x.ready === false) return true;
  return x.status === 'LOADING' || x.status === 'FITTING';
}

// ---------------------------------------------------------------- ranked customers

/** The server's predicted-value ranking (customers ordered by PREDICTED_VALUE). */
export interface RankingState {
  status: string;
  message?: string | null;
  asOf: string;
  days: number;
  currency: string | null;
}

/**
 * Whether the ranking is being prepared: the book loads, the value model of the day is
 * fitted or the customers are ranked, all in the background; the page is empty meanwhile.
 */
export function rankingPreparing(r: RankingState | null | undefined): boolean {
  return !!r && (r.status === 'LOADING' || r.status === 'FITTING' || r.status === 'RANKING');
}

/** What the ranking's state means to the reader (while preparing, or why it has no rows). */
export function rankingText(r: RankingState): string {
  switch (r.status) {
    case 'LOADING':
      return 'Loading the order history';
    case 'FITTING':
      return 'Fitting the value model';
    case 'RANKING':
      return 'Ranking customers by predicted value';
    case 'UNAVAILABLE':
      return `No predicted values${r.message ? `: ${r.message}` : ''}`;
  }
  return `Expected ${r.currency ?? ''} value in the ${r.days} days from ${dateInput(r.asOf)}`.replace('  ', ' ');
}

/**
 * The ranking is as of the start of a day; the rows' predictions were asked for at
 * another instant (the default as-of is "now" on current data): the as-of to ask them at
 * again so the figures shown are those the order comes from, or null.
 */
export function rankingAsOfToRefetch(r: RankingState | null | undefined, rows: { predictedValue: { asOf: string } }[]): string | null {
  if (!r || r.status !== 'READY' || rows.length === 0) return null;
  return rows.some((row) => Date.parse(row.predictedValue.asOf) !== Date.parse(r.asOf)) ? r.asOf : null;
}

/** A major-unit amount typed by the user ("1,250.5") as minor units; null when blank or not a number. */
export function parseMajor(text: string, currency: string): number | null {
  const t = text.replace(/[,\s]/g, '');
  if (!t || !/^\d+(\.\d*)?$/.test(t)) return null;
  return Math.round(Number(t) * 10 ** currencyDigits(currency));
}
