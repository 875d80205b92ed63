// Inbox logic: which queue a ticket belongs in, and how a ticketUpdated event changes
// a loaded queue page or the open ticket. Mirrors the server's queue definitions
// (internal/ticket/queue.go) so live events land in the right place without a refetch.
import type { TicketPriority, TicketStatus, TicketSummaryFragment } from '../gql/graphql';

export type TicketSummary = TicketSummaryFragment;

export type QueueKey = 'unassigned' | 'mine' | 'all-open' | 'breaching-soon';
export type QueueEnum = 'UNASSIGNED' | 'MINE' | 'ALL_OPEN' | 'BREACHING_SOON';

export interface QueueDef {
  key: QueueKey;
  label: string;
  queue: QueueEnum;
}

export const QUEUES: QueueDef[] = [
  { key: 'unassigned', label: 'Unassigned', queue: 'UNASSIGNED' },
  { key: 'mine', label: 'Mine', queue: 'MINE' },
  { key: 'all-open', label: 'All open', queue: 'ALL_OPEN' },
  { key: 'breaching-soon', label: 'Breaching soon', queue: 'BREACHING_SOON' },
];

export function queueByKey(key: string | undefined): QueueDef | undefined {
  return QUEUES.find((q) => q.key === key);
}

export const STATUSES: TicketStatus[] = ['NEW', 'OPEN', 'PENDING', 'ON_HOLD', 'SOLVED', 'CLOSED'];
export const PRIORITIES: TicketPriority[] = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];
const OPEN: TicketStatus[] = ['NEW', 'OPEN', 'PENDING', 'ON_HOLD'];

/** How far ahead BREACHING_SOON looks (resolvers.BreachingWindow). */
export const BREACHING_WINDOW_MS = 60 * 60 * 1000;

export function isOpen(t: Pick<TicketSummary, 'status'>): boolean {
  return OPEN.includes(t.status);
}

/** The earliest SLA target not met yet, as the server's nextDue. */
export function nextDue(t: TicketSummary): string | null {
  const dues = [t.firstResponseAt ? null : t.firstResponseDue, t.solvedAt ? null : t.resolutionDue].filter((d): d is string => !!d);
  if (dues.length === 0) return null;
  return dues.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

export function inQueue(t: TicketSummary, queue: QueueEnum, meId: string, now: number): boolean {
  if (!isOpen(t)) return false;
  switch (queue) {
    case 'UNASSIGNED':
      return !t.assigneeId;
    case 'MINE':
      return t.assigneeId === meId;
    case 'BREACHING_SOON': {
      const due = nextDue(t);
      return due !== null && Date.parse(due) <= now + BREACHING_WINDOW_MS;
    }
    case 'ALL_OPEN':
      return true;
  }
}

/** Sort order of each queue, as the server pages it. */
export function compareInQueue(queue: QueueEnum): (a: TicketSummary, b: TicketSummary) => number {
  const time = (s: string | null) => (s ? Date.parse(s) : Infinity);
  const byId = (a: TicketSummary, b: TicketSummary) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (queue) {
    case 'UNASSIGNED':
    case 'MINE':
      return (a, b) => time(a.createdAt) - time(b.createdAt) || byId(a, b);
    case 'BREACHING_SOON':
      return (a, b) => time(nextDue(a)) - time(nextDue(b)) || byId(a, b);
    case 'ALL_OPEN':
      return (a, b) => time(b.updatedAt) - time(a.updatedAt) || byId(b, a);
  }
}

/**
 * Applies a ticketUpdated event to a loaded queue page: inserts, replaces or removes
 * the ticket and keeps the queue's order. Older versions than the one shown are ignored
 * (events and query answers can cross).
 */
export function mergeIntoQueue(list: TicketSummary[], t: TicketSummary, queue: QueueEnum, meId: string, now: number): TicketSummary[] {
  const cur = list.find((x) => x.id === t.id);
  if (cur && cur.version > t.version) return list;
  const rest = list.filter((x) => x.id !== t.id);
  if (!inQueue(t, queue, meId, now)) return cur ? rest : list;
  return [...rest, t].sort(compareInQueue(queue));
}

/** True when an event says the open ticket changed since it was loaded. */
export function isNewer(loadedVersion: number | undefined, event: Pick<TicketSummary, 'version'>): boolean {
  return loadedVersion === undefined || event.version > loadedVersion;
}

/** "1 h 5 min overdue", "in 12 min": for SLA due times. */
export function dueLabel(due: string, now: number): string {
  const mins = Math.round((Date.parse(due) - now) / 60000);
  const fmt = (m: number) => (m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}` : `${m} min`);
  return mins < 0 ? `${fmt(-mins)} overdue` : `in ${fmt(mins)}`;
}

export function enumLabel(s: string): string {
  return s.charAt(0) + s.slice(1).toLowerCase().replace(/_/g, ' ');
}
