// Hash routes, so the same build works from Wails' asset server and a static server.
import { queueByKey, type QueueKey } from './lib/tickets';

export type Route =
  | { name: 'connect' }
  | { name: 'inbox'; queue: QueueKey }
  | { name: 'ticket'; id: string }
  | { name: 'dashboard' }
  | { name: 'customers' }
  | { name: 'customer'; id: string }
  | { name: 'sources' };

/** Where the app opens: the help-desk inbox. */
export const HOME: Route = { name: 'inbox', queue: 'all-open' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg] = path.split('/');
  if (head === 'customers') return arg ? { name: 'customer', id: decodeURIComponent(arg) } : { name: 'customers' };
  if (head === 'tickets' && arg) return { name: 'ticket', id: decodeURIComponent(arg) };
  if (head === 'inbox') return { name: 'inbox', queue: queueByKey(arg)?.key ?? 'all-open' };
  if (head === 'dashboard') return { name: 'dashboard' };
  if (head === 'sources') return { name: 'sources' };
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
    default:
      return `#/${r.name}`;
  }
}
