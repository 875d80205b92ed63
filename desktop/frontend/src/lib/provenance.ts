// How trait provenance is shown: one line per trait value, details on hover.

export type Rule = 'MOST_RECENT' | 'SOURCE_PRIORITY' | 'MOST_FREQUENT' | 'FIRST_SEEN' | 'UNION';

export interface Provenance {
  field: string;
  value?: unknown;
  source: string;
  recordId: string;
  receivedAt: string;
  rule: Rule;
}

const RULE_LABELS: Record<Rule, string> = {
  MOST_RECENT: 'most recent value wins',
  SOURCE_PRIORITY: 'highest-priority source wins',
  MOST_FREQUENT: 'most frequent value wins',
  FIRST_SEEN: 'first value seen wins',
  UNION: 'all values kept',
};

export function ruleLabel(rule: string): string {
  return RULE_LABELS[rule as Rule] ?? rule.toLowerCase().replace(/_/g, ' ');
}

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return v.map(formatValue).join(', ');
  return JSON.stringify(v);
}

/** Timestamps in the viewer's zone, but always with the date: provenance is about when. */
export function formatTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function provenanceTooltip(p: Provenance, locale?: string): string {
  return `from ${p.source}, received ${formatTime(p.receivedAt, locale)}\nrule: ${ruleLabel(p.rule)}\nrecord: ${p.recordId}`;
}

const FIELD_ORDER = ['firstName', 'lastName', 'email', 'emails', 'phone', 'phones', 'birthDate', 'locale', 'address', 'addresses'];

/** Known traits first in a natural order, then the rest alphabetically; UNION fields keep one row per value. */
export function sortProvenance(list: Provenance[]): Provenance[] {
  const rank = (f: string) => {
    const i = FIELD_ORDER.indexOf(f);
    return i < 0 ? FIELD_ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a.field) - rank(b.field) || a.field.localeCompare(b.field) || a.receivedAt.localeCompare(b.receivedAt));
}

/** "firstName" -> "First name", "attributes.tier" -> "Attributes › tier". */
export function fieldLabel(field: string): string {
  const [head, ...rest] = field.split('.');
  const words = head.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return rest.length ? `${label} › ${rest.join('.')}` : label;
}
