// Search-as-you-type state: a reducer that ignores answers to superseded requests
// (typing fast sends several; only the latest may win) plus a small debouncer.

export interface CustomerRow {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  updatedAt: string;
}

export interface SearchState {
  query: string;
  /** Sequence number of the request whose answer we are waiting for. */
  pending: number | null;
  seq: number;
  items: CustomerRow[];
  totalCount: number | null;
  endCursor: string | null;
  hasNextPage: boolean;
  error: string | null;
}

export interface Page {
  items: CustomerRow[];
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
}

export type SearchAction =
  | { type: 'typed'; query: string }
  | { type: 'request'; seq: number }
  | { type: 'page'; seq: number; page: Page; append: boolean }
  | { type: 'failed'; seq: number; error: string };

export const initialSearch: SearchState = {
  query: '',
  pending: null,
  seq: 0,
  items: [],
  totalCount: null,
  endCursor: null,
  hasNextPage: false,
  error: null,
};

export function searchReducer(s: SearchState, a: SearchAction): SearchState {
  switch (a.type) {
    case 'typed':
      return { ...s, query: a.query };
    case 'request':
      return { ...s, seq: a.seq, pending: a.seq, error: null };
    case 'page':
      if (a.seq !== s.seq) return s; // stale answer
      return {
        ...s,
        pending: null,
        items: a.append ? dedupe([...s.items, ...a.page.items]) : a.page.items,
        totalCount: a.page.totalCount,
        endCursor: a.page.endCursor,
        hasNextPage: a.page.hasNextPage,
      };
    case 'failed':
      if (a.seq !== s.seq) return s;
      return { ...s, pending: null, error: a.error };
  }
}

// Newest-first paging can shift while we page; never show the same profile twice.
function dedupe(items: CustomerRow[]): CustomerRow[] {
  const seen = new Set<string>();
  return items.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

/** Trimmed query, or null for "no filter" (the server then lists newest first). */
export function effectiveQuery(q: string): string | null {
  const t = q.trim();
  return t === '' ? null : t;
}

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  flush(): void;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: A | undefined;
  const d = ((...args: A) => {
    last = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...(last as A));
    }, ms);
  }) as Debounced<A>;
  d.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  d.flush = () => {
    if (timer === undefined) return;
    d.cancel();
    fn(...(last as A));
  };
  return d;
}
