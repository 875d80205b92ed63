// Customer 360 timeline: one line of text per item, whatever its kind.
import type { CustomerCommerceQuery } from '../gql/graphql';

export type TimelineItem = NonNullable<CustomerCommerceQuery['customer']>['timeline']['edges'][number]['node'];

export function describeTimelineItem(it: TimelineItem): string {
  const channel = it.channel.replace(/_/g, ' ');
  switch (it.kind) {
    case 'ORDER': {
      const what = it.type === 'cancellation' ? 'Cancellation' : 'Order';
      return `${what} ${it.order?.total.formatted ?? ''} via ${channel}`.replace(/\s+/g, ' ');
    }
    case 'TICKET': {
      const verb = { created: 'opened', replied: 'replied to', solved: 'solved' }[it.type] ?? it.type;
      return `Ticket ${verb}${it.ticket ? `: “${it.ticket.subject}”` : ''} (${channel})`;
    }
    case 'INTERACTION':
      return `${channel}: ${it.type}`;
    case 'CONSENT':
      // channel: the consent channel; type: the status in lower case.
      return `Consent (${channel.toLowerCase()}): ${it.type}`;
  }
  // A kind added to the schema after this was written: still one readable line.
  return `${it.kind.charAt(0)}${it.kind.slice(1).toLowerCase()}: ${it.type} (${channel})`;
}
