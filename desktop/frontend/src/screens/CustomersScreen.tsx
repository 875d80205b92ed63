import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import type { CustomersQuery as CustomersData, CustomersQueryVariables } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { debounce, effectiveQuery, initialSearch, searchReducer, type Page } from '../lib/search';
import { CustomersQuery } from '../operations';
import { href } from '../routes';

const PAGE_SIZE = 25;
const DEBOUNCE_MS = 250;

// Survives navigation to a profile and back, so the list is not lost.
let lastQuery = '';

export function CustomersScreen({ client }: { client: Client }) {
  const [state, dispatch] = useReducer(searchReducer, { ...initialSearch, query: lastQuery });
  const seq = useRef(0);

  const fetchPage = useCallback(
    async (query: string, after: string | null, append: boolean) => {
      const mySeq = ++seq.current;
      dispatch({ type: 'request', seq: mySeq });
      try {
        const data = await client<CustomersData, CustomersQueryVariables>(CustomersQuery, { query: effectiveQuery(query), first: PAGE_SIZE, after });
        const c = data.customers;
        const page: Page = {
          items: c.edges.map((e) => e.node),
          totalCount: c.totalCount,
          endCursor: c.pageInfo.endCursor ?? null,
          hasNextPage: c.pageInfo.hasNextPage,
        };
        dispatch({ type: 'page', seq: mySeq, page, append });
      } catch (e) {
        dispatch({ type: 'failed', seq: mySeq, error: errorMessage(e) });
      }
    },
    [client],
  );

  const search = useMemo(() => debounce((q: string) => fetchPage(q, null, false), DEBOUNCE_MS), [fetchPage]);
  useEffect(() => () => search.cancel(), [search]);

  useEffect(() => {
    void fetchPage(lastQuery, null, false);
  }, [fetchPage]);

  const onType = (q: string) => {
    lastQuery = q;
    dispatch({ type: 'typed', query: q });
    search(q);
  };

  const loading = state.pending !== null;
  return (
    <section className="customers">
      <div className="searchbar">
        <input
          type="search"
          aria-label="Search customers"
          placeholder="Search by name, e-mail, phone or id…"
          value={state.query}
          onChange={(e) => onType(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && search.flush()}
          autoFocus
        />
        <span className="count" aria-live="polite">
          {loading ? 'Searching…' : state.totalCount !== null ? `${state.totalCount} customer${state.totalCount === 1 ? '' : 's'}` : ''}
        </span>
      </div>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      <ul className="results" aria-label="Customers">
        {state.items.map((c) => (
          <li key={c.id}>
            <a href={href({ name: 'customer', id: c.id })}>
              <strong>{c.name || '(no name)'}</strong>
              <span className="muted">{[...c.emails, ...c.phones].join(' · ')}</span>
            </a>
          </li>
        ))}
      </ul>
      {!loading && state.items.length === 0 && state.totalCount === 0 && <p className="empty">No customers match “{state.query}”.</p>}
      {state.hasNextPage && (
        <button className="more" disabled={loading} onClick={() => fetchPage(state.query, state.endCursor, true)}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
