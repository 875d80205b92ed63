// Hash routes, so the same build works from Wails' asset server and a static server.
export type Route =
  | { name: 'connect' }
  | { name: 'customers' }
  | { name: 'customer'; id: string }
  | { name: 'sources' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head, arg] = path.split('/');
  if (head === 'customers' && arg) return { name: 'customer', id: decodeURIComponent(arg) };
  if (head === 'sources') return { name: 'sources' };
  if (head === 'connect') return { name: 'connect' };
  return { name: 'customers' };
}

export function href(r: Route): string {
  switch (r.name) {
    case 'customer':
      return `#/customers/${encodeURIComponent(r.id)}`;
    default:
      return `#/${r.name}`;
  }
}
