// Shapes report answers into chart series. Periods are UTC days or ISO weeks (Monday
// 00:00 UTC), oldest first, the last one containing `now`.

export type Unit = 'day' | 'week';

export interface Period {
  from: Date;
  to: Date;
  label: string;
}

const DAY = 24 * 60 * 60 * 1000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function startOf(unit: Unit, t: Date): Date {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  if (unit === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

export function periods(now: Date, count: number, unit: Unit): Period[] {
  const step = unit === 'day' ? DAY : 7 * DAY;
  const last = startOf(unit, now).getTime();
  const out: Period[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const from = new Date(last - i * step);
    const label = `${MONTHS[from.getUTCMonth()]} ${from.getUTCDate()}`;
    out.push({ from, to: new Date(from.getTime() + step), label: unit === 'week' ? `wk of ${label}` : label });
  }
  return out;
}

/** How many timestamps fall in each period; those outside every period are ignored. */
export function countByPeriod(timestamps: string[], ps: Period[]): number[] {
  const counts = ps.map(() => 0);
  for (const ts of timestamps) {
    const t = Date.parse(ts);
    const i = ps.findIndex((p) => t >= p.from.getTime() && t < p.to.getTime());
    if (i >= 0) counts[i]++;
  }
  return counts;
}

export interface Ratio {
  met: number;
  total: number;
  percent: number | null;
}

/** Percent per period; null (a gap in the line) where nothing settled. */
export function percentSeries(ratios: Ratio[]): (number | null)[] {
  return ratios.map((r) => (r.total > 0 && r.percent !== null ? Math.round(r.percent * 10) / 10 : null));
}

/** Sums ratios over periods, for the headline number next to a chart. */
export function overall(ratios: Ratio[]): Ratio {
  const met = ratios.reduce((s, r) => s + r.met, 0);
  const total = ratios.reduce((s, r) => s + r.total, 0);
  return { met, total, percent: total ? (100 * met) / total : null };
}

export interface CsatSummary {
  count: number;
  average: number | null;
  satisfiedPercent: number | null;
}

/** Ratings-weighted average over periods. */
export function overallCsat(ss: CsatSummary[]): CsatSummary {
  const count = ss.reduce((s, x) => s + x.count, 0);
  if (!count) return { count: 0, average: null, satisfiedPercent: null };
  const w = (f: (x: CsatSummary) => number | null) => ss.reduce((s, x) => s + (f(x) ?? 0) * x.count, 0) / count;
  return { count, average: w((x) => x.average), satisfiedPercent: w((x) => x.satisfiedPercent) };
}

export function formatPercent(p: number | null): string {
  return p === null ? '—' : `${Math.round(p)}%`;
}

/** "2026-03-04" -> "Mar 4" (a UTC day as the server reports it). */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  if (!m) return day;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}`;
}
