// Campaigns (issue 16): the editor's form and its CampaignInput, the report's funnel and
// the uplift's interval bar. Pure, so the screens only draw.
import type { CampaignAudience, CampaignInput, CampaignQuery, CampaignReportQuery } from '../gql/graphql';

type Campaign = NonNullable<CampaignQuery['campaign']>;
type Report = CampaignReportQuery['campaignReport'];
type Uplift = NonNullable<Report['uplift']>;

/** The placeholders templates may use (schema/campaigns.graphqls). */
export const PLACEHOLDERS = [
  'customer.firstName',
  'customer.lastName',
  'customer.name',
  'customer.email',
  'customer.city',
  'customer.country',
  'customer.attributes.<name>',
  'metrics.orderCount',
  'metrics.revenue',
  'metrics.averageOrderValue',
  'metrics.lastOrderDate',
  'recommendation.1',
  'recommendation.2',
  'recommendation.3',
  'campaign.name',
  'unsubscribe.url',
];

export interface DefaultRow {
  placeholder: string;
  value: string;
}

/** The editor's state: numbers as the strings the inputs hold. */
export interface CampaignForm {
  name: string;
  segmentId: string;
  audience: CampaignAudience;
  subject: string;
  html: string;
  text: string;
  fromName: string;
  defaults: DefaultRow[];
  holdoutPercent: string;
  attributionDays: string;
  ratePerMinute: string;
}

export function emptyCampaignForm(): CampaignForm {
  return {
    name: '',
    segmentId: '',
    audience: 'FROZEN',
    subject: 'Hello {{customer.firstName}}',
    html: '<p>Hi {{customer.firstName}},</p>\n<p>We have something for you.</p>\n<p><a href="{{unsubscribe.url}}">Unsubscribe</a></p>',
    text: 'Hi {{customer.firstName}},\n\nWe have something for you.\n\nUnsubscribe: {{unsubscribe.url}}',
    fromName: '',
    defaults: [{ placeholder: 'customer.firstName', value: 'there' }],
    holdoutPercent: '10',
    attributionDays: '7',
    ratePerMinute: '',
  };
}

export function campaignToForm(c: Campaign): CampaignForm {
  return {
    name: c.name,
    segmentId: c.segmentId,
    audience: c.audience,
    subject: c.subject,
    html: c.html,
    text: c.text,
    fromName: c.fromName ?? '',
    defaults: c.defaults.map((d) => ({ placeholder: d.placeholder, value: d.value })),
    holdoutPercent: String(c.holdoutPercent),
    attributionDays: String(c.attributionDays),
    ratePerMinute: c.ratePerMinute ? String(c.ratePerMinute) : '',
  };
}

export type FormErrors = Partial<Record<keyof CampaignForm, string>>;

function num(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : NaN;
}

/** The input for create/update, or the fields the server would refuse. */
export function formToInput(f: CampaignForm): { input: CampaignInput; errors: FormErrors } {
  const errors: FormErrors = {};
  if (!f.name.trim()) errors.name = 'Name the campaign.';
  if (!f.segmentId) errors.segmentId = 'Pick a segment.';
  if (!f.subject.trim()) errors.subject = 'A subject is needed.';
  if (!f.text.trim()) errors.text = 'Every message has a text part.';
  const holdout = num(f.holdoutPercent);
  if (holdout !== null && !(holdout >= 0 && holdout <= 50)) errors.holdoutPercent = 'From 0 to 50.';
  const days = num(f.attributionDays);
  if (days !== null && !(Number.isInteger(days) && days >= 1 && days <= 365)) errors.attributionDays = 'A whole number of days, 1 to 365.';
  const rate = num(f.ratePerMinute);
  if (rate !== null && !(Number.isInteger(rate) && rate >= 0)) errors.ratePerMinute = 'A whole number, 0 or more.';
  const input: CampaignInput = {
    name: f.name.trim(),
    segmentId: f.segmentId,
    audience: f.audience,
    subject: f.subject,
    html: f.html.trim() ? f.html : null,
    text: f.text,
    fromName: f.fromName.trim() || null,
    defaults: f.defaults.filter((d) => d.placeholder.trim()).map((d) => ({ placeholder: d.placeholder.trim(), value: d.value })),
    holdoutPercent: holdout ?? null,
    attributionDays: days ?? null,
    ratePerMinute: rate ?? null,
  };
  return { input, errors };
}

/** The browser's IANA time zone, the schedule's default. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A datetime-local value ("2026-03-01T09:00") to the wall-clock string scheduleCampaign takes. */
export function scheduleAt(local: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(local.trim());
  return m ? `${m[1]}T${m[2]}` : null;
}

export interface Funnel {
  labels: string[];
  values: number[];
}

/** Planned → sent → delivered → opened → clicked → converted (treated customers). */
export function funnelData(r: Pick<Report, 'planned' | 'sent' | 'delivered' | 'opened' | 'clicked'> & { treated: { converted: number } }): Funnel {
  return {
    labels: ['Planned', 'Sent', 'Delivered', 'Opened', 'Clicked', 'Converted'],
    values: [r.planned, r.sent, r.delivered, r.opened, r.clicked, r.treated.converted],
  };
}

/** Positions (0–100% of the drawing's width) of an uplift's interval, its point and zero. */
export interface IntervalBar {
  min: number;
  max: number;
  low: number;
  high: number;
  point: number;
  zero: number;
  ticks: { at: number; label: string }[];
}

/** Lays the interval out on a symmetric-ish axis that always shows zero, padded 10%. */
export function intervalBar(u: Pick<Uplift, 'difference' | 'low' | 'high'>): IntervalBar {
  let min = Math.min(0, u.low, u.difference);
  let max = Math.max(0, u.high, u.difference);
  if (max - min < 1e-9) {
    min -= 0.01;
    max += 0.01;
  }
  const pad = (max - min) * 0.1;
  min -= pad;
  max += pad;
  const at = (v: number) => ((v - min) / (max - min)) * 100;
  const ticks = [min, (min + max) / 2, max, 0].map((v) => ({ at: at(v), label: formatPoints(v) }));
  return { min, max, low: at(u.low), high: at(u.high), point: at(u.difference), zero: at(0), ticks: dedupe(ticks) };
}

function dedupe(ticks: { at: number; label: string }[]): { at: number; label: string }[] {
  const kept: { at: number; label: string }[] = [];
  for (const t of ticks) if (!kept.some((k) => Math.abs(k.at - t.at) < 8)) kept.push(t);
  return kept.sort((a, b) => a.at - b.at);
}

/** A rate difference in percentage points: 0.0123 → "+1.2 pp". */
export function formatPoints(v: number): string {
  const pp = v * 100;
  const s = Math.abs(pp) < 0.05 ? '0.0' : pp.toFixed(1);
  return `${pp > 0.05 ? '+' : ''}${s} pp`;
}

/** The uplift in words: what it is, its interval, and whether chance explains it. */
export function upliftSentence(u: Uplift): string {
  const p = u.pValue < 0.001 ? 'p < 0.001' : `p = ${u.pValue.toFixed(3)}`;
  const rel = u.relative === null || u.relative === undefined ? '' : ` (${u.relative >= 0 ? '+' : ''}${(u.relative * 100).toFixed(0)}% relative)`;
  const verdict = u.significant
    ? `The difference is statistically significant (${p}): it is unlikely to be chance alone.`
    : `The difference is not statistically significant (${p}): it could be chance.`;
  return `Treated customers converted ${formatPoints(u.difference)} against the holdout${rel}; 95% interval ${formatPoints(u.low)} to ${formatPoints(u.high)}. ${verdict}`;
}

/** Suppression reasons as labels: "no_consent" → "No consent". */
export function reasonLabel(reason: string): string {
  const s = reason.replace(/[_-]+/g, ' ').toLowerCase().trim();
  return s ? s[0].toUpperCase() + s.slice(1) : reason;
}
