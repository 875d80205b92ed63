// Hash routes, so the same build works from Wails' asset server and a static server.
import { adminTab, type AdminTab } from './lib/admin';
import { queueByKey, type QueueKey } from './lib/tickets';

export type Route =
  | { name: 'connect' }
  | { name: 'inbox'; queue: QueueKey }
  | { name: 'ticket'; id: string }
  | { name: 'dashboard' }
  | { name: 'management' }
  | { name: 'customers' }
  | { name: 'customer'; id: string }
  | { name: 'sources' }
  | { name: 'segments' }
  | { name: 'segment-new' }
  | { name: 'segment'; id: string }
  | { name: 'segment-edit'; id: string }
  | { name: 'matching' }
  // Campaigns and journeys (issue 16).
  | { name: 'campaigns' }
  | { name: 'campaign-new' }
  | { name: 'campaign'; id: string }
  | { name: 'journeys' }
  | { name: 'journey'; id: string }
  // Admin: keys, audit trail, webhooks, help desk setup (issue 17).
  | { name: 'admin'; tab: AdminTab };

/** Where the app opens: the help-desk inbox. */
export const HOME: Route = { name: 'inbox', queue: 'all-open' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg, sub] = path.split('/');
  if (head === 'customers') return arg ? { name: 'customer', id: decodeURIComponent(arg) } : { name: 'customers' };
  if (head === 'tickets' && arg) return { name: 'ticket', id: decodeURIComponent(arg) };
  if (head === 'inbox') return { name: 'inbox', queue: queueByKey(arg)?.key ?? 'all-open' };
  if (head === 'dashboard') return { name: 'dashboard' };
  if (head === 'management') return { name: 'management' };
  if (head === 'sources') return { name: 'sources' };
  if (head === 'segments') {
    if (!arg) return { name: 'segments' };
    if (arg === 'new') return { name: 'segment-new' };
    const id = decodeURIComponent(arg);
    return sub === 'edit' ? { name: 'segment-edit', id } : { name: 'segment', id };
  }
  if (head === 'matching') return { name: 'matching' };
  // Campaigns and journeys (issue 16).
  if (head === 'campaigns') {
    if (!arg) return { name: 'campaigns' };
    return arg === 'new' ? { name: 'campaign-new' } : { name: 'campaign', id: decodeURIComponent(arg) };
  }
  if (head === 'journeys') return arg ? { name: 'journey', id: decodeURIComponent(arg) } : { name: 'journeys' };
  // Admin (issue 17).
  if (head === 'admin') return { name: 'admin', tab: adminTab(arg) };
  if (head === 'connect') return { name: 'connect' };
  return HOME;
}

export function href(r: Route): string {
  switch (r.name) {
    case 'customer':
      return `#/customers/${encodeURIComponent(r.id)}`;
    case 'ticket':
      return `#/tickets/${encodeURIComponent(r.id)}`;
    case 'inbox':
      return `#/inbox/${r.queue}`;
    case 'segment-new':
      return '#/segments/new';
    case 'segment':
      return `#/segments/${encodeURIComponent(r.id)}`;
    case 'segment-edit':
      return `#/segments/${encodeURIComponent(r.id)}/edit`;
    // Campaigns and journeys (issue 16).
    case 'campaign-new':
      return '#/campaigns/new';
    case 'campaign':
      return `#/campaigns/${encodeURIComponent(r.id)}`;
    case 'journey':
      return `#/journeys/${encodeURIComponent(r.id)}`;
    // Admin (issue 17).
    case 'admin':
      return `#/admin/${r.tab}`;
    default:
      return `#/${r.name}`;
  }
}
