// Admin screens: the audit trail's filter form ↔ auditLog variables, webhook events, and
// the snippet that points the Segment SDKs at this server.
import type { AuditLogQueryVariables, BusinessHoursInput, Role, WebhookEvent } from '../gql/graphql';
import { normalizeServerUrl } from './graphql';

export const ROLES: { role: Role; hint: string }[] = [
  { role: 'ADMIN', hint: 'everything, including keys and settings' },
  { role: 'AGENT', hint: 'works tickets, reads customers' },
  { role: 'ANALYST', hint: 'reads customers, segments and reports' },
  { role: 'INGEST', hint: 'only sends records' },
];

export const WEBHOOK_EVENTS: { event: WebhookEvent; label: string }[] = [
  { event: 'PROFILE_CREATED', label: 'Profile created' },
  { event: 'PROFILE_MERGED', label: 'Profiles merged' },
  { event: 'PROFILE_SPLIT', label: 'Profile split' },
  { event: 'PROFILE_ERASED', label: 'Profile erased' },
  { event: 'TICKET_CHANGED', label: 'Ticket changed' },
];

/** The audit filter form: free text, and local date-times as <input type="datetime-local"> gives them. */
export interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  from: string;
  to: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { actor: '', action: '', target: '', from: '', to: '' };

/** Local "YYYY-MM-DDTHH:MM" as an ISO instant; null when empty or not a date. */
export function localToIso(s: string): string | null {
  if (!s.trim()) return null;
  const t = new Date(s).getTime();
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** An ISO instant as local "YYYY-MM-DDTHH:MM", for a datetime-local input. */
export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The form as auditLog variables: empty fields left out, text trimmed. */
export function auditVariables(f: AuditFilters, first: number, after: string | null = null): AuditLogQueryVariables {
  const v: AuditLogQueryVariables = { first };
  if (after) v.after = after;
  const actor = f.actor.trim();
  const action = f.action.trim();
  const target = f.target.trim();
  if (actor) v.actor = actor;
  if (action) v.action = action;
  if (target) v.target = target;
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (from) v.from = from;
  if (to) v.to = to;
  return v;
}

/** Checks a to-be-created webhook before asking the server. */
export function webhookProblem(url: string, events: readonly WebhookEvent[]): string | null {
  if (!/^https?:\/\/\S+$/i.test(url.trim())) return 'The URL must start with http:// or https://.';
  if (events.length === 0) return 'Pick at least one event.';
  return null;
}

/**
 * How to send a source's events to this server with the Segment SDKs (Node and browser),
 * host taken from the server URL the app is connected to.
 */
export function segmentSnippet(serverUrl: string, writeKey: string): string {
  const base = normalizeServerUrl(serverUrl);
  const u = new URL(base);
  const protocol = u.protocol.replace(/:$/, '');
  const hostPath = `${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return [
    '// Node: @segment/analytics-node',
    "import { Analytics } from '@segment/analytics-node'",
    `const analytics = new Analytics({ writeKey: '${writeKey}', host: '${base}' })`,
    "analytics.track({ userId: 'u-1', event: 'Order Completed' })",
    '',
    '// Browser: @segment/analytics-next',
    `AnalyticsBrowser.load({ writeKey: '${writeKey}', cdnSettings: { integrations: {`,
    `  'Segment.io': { apiKey: '${writeKey}', apiHost: '${hostPath}/v1', protocol: '${protocol}' } } } })`,
    '',
    '// Any HTTP client',
    `curl -u '${writeKey}:' -H 'Content-Type: application/json' -d '{"userId":"u-1","event":"Signed Up"}' ${base}/v1/track`,
  ].join('\n');
}

export type AdminTab = 'keys' | 'audit' | 'webhooks' | 'helpdesk';

export const ADMIN_TABS: { tab: AdminTab; label: string }[] = [
  { tab: 'keys', label: 'API keys' },
  { tab: 'audit', label: 'Audit trail' },
  { tab: 'webhooks', label: 'Webhooks' },
  { tab: 'helpdesk', label: 'Help desk setup' },
];

export function adminTab(s: string | undefined): AdminTab {
  return ADMIN_TABS.find((t) => t.tab === s)?.tab ?? 'keys';
}

/** The redacted change of an audit entry, pretty-printed; "—" when the action sent nothing. */
export function changeJson(change: unknown): string {
  if (change === null || change === undefined) return '—';
  if (typeof change === 'object' && Object.keys(change as object).length === 0) return '—';
  return JSON.stringify(change, null, 2);
}

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export interface HoursForm {
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday */
  weekdays: number[];
  start: string;
  end: string;
  /** Comma or space separated YYYY-MM-DD. */
  holidays: string;
}

/** The same hours on each picked weekday, as setSlaPolicy's businessHours. */
export function businessHoursInput(f: HoursForm): BusinessHoursInput {
  return {
    timeZone: f.timeZone.trim(),
    intervals: [...f.weekdays].sort((a, b) => a - b).map((weekday) => ({ weekday, start: f.start, end: f.end })),
    holidays: f.holidays.split(/[\s,]+/).filter(Boolean),
  };
}

/** "Mon–Fri 09:00–17:00, Sat 10:00–14:00 (Europe/London)"; consecutive days with equal hours joined. */
export function hoursLabel(bh: { timeZone: string; intervals: { weekday: number; start: string; end: string }[] } | null | undefined): string {
  if (!bh) return '24/7';
  const iv = [...bh.intervals].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
  const runs: { from: number; to: number; hours: string }[] = [];
  for (const i of iv) {
    const hours = `${i.start}–${i.end}`;
    const last = runs[runs.length - 1];
    if (last && last.hours === hours && last.to === i.weekday - 1) last.to = i.weekday;
    else runs.push({ from: i.weekday, to: i.weekday, hours });
  }
  const days = runs.map((r) => `${WEEKDAYS[r.from]}${r.to > r.from ? `–${WEEKDAYS[r.to]}` : ''} ${r.hours}`);
  return `${days.join(', ') || 'never'} (${bh.timeZone})`;
}
