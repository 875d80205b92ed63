import { describe, expect, it } from 'vitest';
import { describeTimelineItem, type TimelineItem } from './timeline';

const base = { id: 'x', at: '2026-03-02T10:00:00Z', order: null, interaction: null, ticket: null };

describe('describeTimelineItem', () => {
  it('orders and cancellations', () => {
    const order: TimelineItem = { ...base, kind: 'ORDER', channel: 'web', type: 'order', order: { id: 'o', status: 'PAID', total: { formatted: '£12.50' } } };
    expect(describeTimelineItem(order)).toBe('Order £12.50 via web');
    expect(describeTimelineItem({ ...order, type: 'cancellation' })).toBe('Cancellation £12.50 via web');
  });

  it('ticket activity', () => {
    const t: TimelineItem = { ...base, kind: 'TICKET', channel: 'web_form', type: 'replied', ticket: { id: 't', subject: 'Printer' } };
    expect(describeTimelineItem(t)).toBe('Ticket replied to: “Printer” (web form)');
    expect(describeTimelineItem({ ...t, type: 'created' })).toBe('Ticket opened: “Printer” (web form)');
    expect(describeTimelineItem({ ...t, ticket: null })).toBe('Ticket replied to (web form)');
  });

  it('interactions', () => {
    expect(describeTimelineItem({ ...base, kind: 'INTERACTION', channel: 'email', type: 'opened', interaction: { id: 'i' } })).toBe('email: opened');
  });
});
