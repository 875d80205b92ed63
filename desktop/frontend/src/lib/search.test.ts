import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, effectiveQuery, initialSearch, searchReducer, type CustomerRow, type Page, type SearchState } from './search';

const row = (id: string): CustomerRow => ({ id, name: `C ${id}`, emails: [], phones: [], updatedAt: '2025-01-01T00:00:00Z' });
const page = (ids: string[], more = false): Page => ({ items: ids.map(row), totalCount: 99, endCursor: ids.at(-1) ?? null, hasNextPage: more });

describe('searchReducer', () => {
  it('shows the answer to the latest request only', () => {
    let s: SearchState = initialSearch;
    s = searchReducer(s, { type: 'request', seq: 1 }); // "an"
    s = searchReducer(s, { type: 'request', seq: 2 }); // "ann"
    s = searchReducer(s, { type: 'page', seq: 2, page: page(['ann']), append: false });
    s = searchReducer(s, { type: 'page', seq: 1, page: page(['an1', 'an2']), append: false }); // late, stale
    expect(s.items.map((c) => c.id)).toEqual(['ann']);
    expect(s.pending).toBeNull();
  });

  it('ignores stale failures', () => {
    let s = searchReducer(initialSearch, { type: 'request', seq: 1 });
    s = searchReducer(s, { type: 'request', seq: 2 });
    s = searchReducer(s, { type: 'failed', seq: 1, error: 'boom' });
    expect(s.error).toBeNull();
    expect(s.pending).toBe(2);
    s = searchReducer(s, { type: 'failed', seq: 2, error: 'boom' });
    expect(s.error).toBe('boom');
  });

  it('appends "load more" pages without duplicates and tracks the cursor', () => {
    let s = searchReducer(initialSearch, { type: 'request', seq: 1 });
    s = searchReducer(s, { type: 'page', seq: 1, page: page(['a', 'b'], true), append: false });
    expect(s.hasNextPage).toBe(true);
    s = searchReducer(s, { type: 'request', seq: 2 });
    s = searchReducer(s, { type: 'page', seq: 2, page: page(['b', 'c'], false), append: true });
    expect(s.items.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(s.endCursor).toBe('c');
    expect(s.hasNextPage).toBe(false);
  });

  it('keeps the old results visible while a new search is pending', () => {
    let s = searchReducer(initialSearch, { type: 'request', seq: 1 });
    s = searchReducer(s, { type: 'page', seq: 1, page: page(['a']), append: false });
    s = searchReducer(s, { type: 'typed', query: 'x' });
    s = searchReducer(s, { type: 'request', seq: 2 });
    expect(s.items).toHaveLength(1);
    expect(s.query).toBe('x');
  });

  it('treats a blank query as no filter', () => {
    expect(effectiveQuery('   ')).toBeNull();
    expect(effectiveQuery(' ann ')).toBe('ann');
  });
});

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once with the last arguments after the quiet period', () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d('a');
    vi.advanceTimersByTime(100);
    d('an');
    vi.advanceTimersByTime(100);
    d('ann');
    vi.advanceTimersByTime(249);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('ann');
  });

  it('flush runs a pending call now; cancel drops it', () => {
    const fn = vi.fn();
    const d = debounce(fn, 250);
    d('x');
    d.flush();
    expect(fn).toHaveBeenCalledWith('x');
    d.flush(); // nothing pending
    expect(fn).toHaveBeenCalledTimes(1);
    d('y');
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
