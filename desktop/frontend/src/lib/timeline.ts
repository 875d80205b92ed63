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
  }
}
