import { describe, expect, it } from 'vitest';
import { dueLabel, inQueue, isNewer, mergeIntoQueue, nextDue, type TicketSummary } from './tickets';

const NOW = Date.parse('2026-03-02T12:00:00Z');
const ME = 'key_me';

function ticket(id: string, over: Partial<TicketSummary> = {}): TicketSummary {
  return {
    id,
    subject: `Ticket ${id}`,
    status: 'OPEN',
    priority: 'NORMAL',
    channel: 'EMAIL',
    assigneeId: null,
    requesterId: 'cus_1',
    requester: { id: 'cus_1', name: 'Ann' },
    createdAt: '2026-03-02T10:00:00Z',
    updatedAt: '2026-03-02T10:00:00Z',
    firstResponseAt: null,
    solvedAt: null,
    firstResponseDue: null,
    resolutionDue: null,
    version: 1,
    ...over,
  };
}

describe('queue membership', () => {
  it('follows the server queues', () => {
    const unassigned = ticket('a');
    const mine = ticket('b', { assigneeId: ME });
    const theirs = ticket('c', { assigneeId: 'key_other' });
    const solved = ticket('d', { status: 'SOLVED' });
    expect([unassigned, mine, theirs, solved].map((t) => inQueue(t, 'UNASSIGNED', ME, NOW))).toEqual([true, false, false, false]);
    expect([unassigned, mine, theirs, solved].map((t) => inQueue(t, 'MINE', ME, NOW))).toEqual([false, true, false, false]);
    expect([unassigned, mine, theirs, solved].map((t) => inQueue(t, 'ALL_OPEN', ME, NOW))).toEqual([true, true, true, false]);
  });

  it('breaching soon: the earliest unmet target within the hour, or overdue', () => {
    const soon = ticket('a', { firstResponseDue: '2026-03-02T12:30:00Z' });
    const overdue = ticket('b', { resolutionDue: '2026-03-02T09:00:00Z' });
    const later = ticket('c', { firstResponseDue: '2026-03-02T15:00:00Z' });
    const met = ticket('d', { firstResponseDue: '2026-03-02T12:10:00Z', firstResponseAt: '2026-03-02T11:00:00Z', resolutionDue: '2026-03-03T12:00:00Z' });
    expect([soon, overdue, later, met].map((t) => inQueue(t, 'BREACHING_SOON', ME, NOW))).toEqual([true, true, false, false]);
    expect(nextDue(met)).toBe('2026-03-03T12:00:00Z');
    expect(nextDue(ticket('e'))).toBeNull();
  });
});

describe('mergeIntoQueue (ticketUpdated events)', () => {
  it('adds a new ticket in queue order', () => {
    const list = [ticket('a', { createdAt: '2026-03-02T09:00:00Z' }), ticket('c', { createdAt: '2026-03-02T11:00:00Z' })];
    const next = mergeIntoQueue(list, ticket('b', { createdAt: '2026-03-02T10:00:00Z' }), 'UNASSIGNED', ME, NOW);
    expect(next.map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });

  it('moves an updated ticket to the top of ALL_OPEN', () => {
    const list = [ticket('a', { updatedAt: '2026-03-02T11:00:00Z' }), ticket('b', { updatedAt: '2026-03-02T10:00:00Z' })];
    const next = mergeIntoQueue(list, ticket('b', { updatedAt: '2026-03-02T11:30:00Z', version: 2 }), 'ALL_OPEN', ME, NOW);
    expect(next.map((t) => [t.id, t.version])).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('removes a ticket that left the queue', () => {
    const list = [ticket('a'), ticket('b')];
    expect(mergeIntoQueue(list, ticket('a', { assigneeId: ME, version: 2 }), 'UNASSIGNED', ME, NOW).map((t) => t.id)).toEqual(['b']);
    expect(mergeIntoQueue(list, ticket('b', { status: 'SOLVED', version: 2 }), 'ALL_OPEN', ME, NOW).map((t) => t.id)).toEqual(['a']);
  });

  it('ignores events for tickets outside the queue and stale versions', () => {
    const list = [ticket('a', { version: 5 })];
    expect(mergeIntoQueue(list, ticket('z', { status: 'CLOSED' }), 'ALL_OPEN', ME, NOW)).toBe(list);
    expect(mergeIntoQueue(list, ticket('a', { version: 4, subject: 'old' }), 'ALL_OPEN', ME, NOW)).toBe(list);
  });

  it('isNewer decides whether the open ticket reloads', () => {
    expect(isNewer(3, { version: 4 })).toBe(true);
    expect(isNewer(3, { version: 3 })).toBe(false);
    expect(isNewer(undefined, { version: 1 })).toBe(true);
  });
});

it('labels due times', () => {
  expect(dueLabel('2026-03-02T12:12:00Z', NOW)).toBe('in 12 min');
  expect(dueLabel('2026-03-02T10:55:00Z', NOW)).toBe('1 h 5 min overdue');
});
