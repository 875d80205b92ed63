// Campaign and journey effectiveness (schema/marketing.graphqls): the rows of the
// table, one shared axis for the uplift whiskers, and the significance in words.
import type { MarketingEffectivenessQuery } from '../gql/graphql';
import { formatPoints } from './campaigns';

type Report = MarketingEffectivenessQuery['marketingEffectiveness'];
type MoneyLike = { amountMinor: number; currency: string } | null;

export interface UpliftLike {
  difference: number;
  low: number;
  high: number;
  pValue: number;
  significant: boolean;
}

/** One line of the table: a campaign or a journey version. */
export interface EffectivenessRow {
  key: string;
  kind: 'Campaign' | 'Journey';
  name: string;
  /** State of a campaign, "version 2 (live)" of a journey. */
  detail: string;
  /** Messages sent (campaign: accepted by the relay; journey: e-mail steps). */
  sent: number;
  treated: { n: number; converted: number; rate: number | null };
  holdout: { n: number; converted: number; rate: number | null };
  /** Campaigns only: treated revenue and revenue per customer, treated and holdout. */
  revenue: MoneyLike;
  perTreated: MoneyLike;
  perHoldout: MoneyLike;
  uplift: UpliftLike | null;
  computedAt: string;
}

const stateWords: Record<string, string> = { DRAFT: 'Draft', SCHEDULED: 'Scheduled', SENDING: 'Sending', SENT: 'Sent', CANCELLED: 'Cancelled' };

/** The report's campaigns, then its journeys, as table rows. */
export function effectivenessRows(r: Report): EffectivenessRow[] {
  const rows: EffectivenessRow[] = r.campaigns.map((c) => ({
    key: `campaign:${c.campaignId}`,
    kind: 'Campaign',
    name: c.name,
    detail: stateWords[c.state] ?? c.state,
    sent: c.sent,
    treated: { n: c.treated.customers, converted: c.treated.converted, rate: c.treated.customers ? c.treated.conversionRate : null },
    holdout: { n: c.holdout.customers, converted: c.holdout.converted, rate: c.holdout.customers ? c.holdout.conversionRate : null },
    revenue: c.treated.revenue,
    perTreated: c.treated.revenuePerCustomer,
    perHoldout: c.holdout.customers ? c.holdout.revenuePerCustomer : null,
    uplift: c.uplift,
    computedAt: c.computedAt,
  }));
  for (const j of r.journeys) {
    rows.push({
      key: `journey:${j.journeyId}:${j.version}`,
      kind: 'Journey',
      name: j.name,
      detail: `version ${j.version}${j.live ? ' (live)' : ''}`,
      sent: j.messagesSent,
      treated: { n: j.entered - j.holdout, converted: j.converted, rate: j.conversionRate },
      holdout: { n: j.holdout, converted: j.holdoutConverted, rate: j.holdoutConversionRate },
      revenue: null,
      perTreated: null,
      perHoldout: null,
      uplift: j.uplift,
      computedAt: j.computedAt,
    });
  }
  return rows;
}

/** The significance in words, for a reader who does not know p-values. */
export function significanceWords(u: UpliftLike | null | undefined, holdoutSize: number): string {
  if (!u) return holdoutSize === 0 ? 'No holdout to compare with' : 'Not enough data yet';
  const p = u.pValue < 0.001 ? 'p < 0.001' : `p = ${u.pValue.toFixed(3)}`;
  if (!u.significant) return `Could be chance (${p})`;
  return u.difference > 0 ? `Real gain (${p})` : `Real loss (${p})`;
}

/** A tone for the significance: a significant gain, a significant loss, or neither. */
export function significanceTone(u: UpliftLike | null | undefined): 'gain' | 'loss' | 'neutral' {
  if (!u?.significant) return 'neutral';
  return u.difference > 0 ? 'gain' : 'loss';
}

/** One axis shared by every row's whisker so they compare: always shows zero, padded 10%. */
export interface Axis {
  min: number;
  max: number;
  /** Ticks in percentage points, with their position (0–100% of the width). */
  ticks: { at: number; label: string }[];
}

export function upliftAxis(us: (UpliftLike | null | undefined)[]): Axis {
  let min = 0;
  let max = 0;
  for (const u of us) {
    if (!u) continue;
    min = Math.min(min, u.low, u.difference);
    max = Math.max(max, u.high, u.difference);
  }
  if (max - min < 1e-9) {
    min -= 0.05;
    max += 0.05;
  }
  const pad = (max - min) * 0.1;
  min -= pad;
  max += pad;
  const a: Axis = { min, max, ticks: [] };
  // Zero is always labelled; an end too close to it would overprint it.
  const zero = position(a, 0);
  a.ticks = [min, 0, max].map((v) => ({ at: position(a, v), label: formatPoints(v) })).filter((t, i) => i === 1 || Math.abs(t.at - zero) >= 12);
  return a;
}

/** Where a value sits on the axis, 0–100. */
export function position(a: Axis, v: number): number {
  return Math.min(100, Math.max(0, ((v - a.min) / (a.max - a.min)) * 100));
}

/** A whisker on the axis: interval, point and zero as positions. */
export function whisker(a: Axis, u: UpliftLike): { low: number; high: number; point: number; zero: number } {
  return { low: position(a, u.low), high: position(a, u.high), point: position(a, u.difference), zero: position(a, 0) };
}

/** A conversion rate: 0.1234 → "12.3%"; none → "–". */
export function formatRate(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** How old a figure is: "just now", "4 min ago", "3 h ago", "2 days ago". */
export function freshness(computedAt: string, now: Date): string {
  const s = Math.max(0, (now.getTime() - Date.parse(computedAt)) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

export type PeriodPreset = 'all' | '30' | '90' | '365';

/** The period of a preset ending now: campaigns started and journey runs entered then. */
export function presetRange(p: PeriodPreset, now: Date): { from?: string; to?: string } {
  if (p === 'all') return {};
  const from = new Date(now.getTime() - Number(p) * 86400 * 1000);
  return { from: from.toISOString(), to: now.toISOString() };
}
