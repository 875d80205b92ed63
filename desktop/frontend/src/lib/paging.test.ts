import { describe, expect, it } from 'vitest';
import { collectPages, countLabel } from './paging';

function pager(total: number, size: number) {
  const calls: (string | null)[] = [];
  const fetchPage = async (after: string | null) => {
    calls.push(after);
    const start = after ? Number(after) : 0;
    const items = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    const end = start + items.length;
    return { items, hasNextPage: end < total, endCursor: items.length ? String(end) : null };
  };
  return { calls, fetchPage };
}

describe('collectPages', () => {
  it('follows cursors to the end', async () => {
    const p = pager(250, 100);
    const r = await collectPages(p.fetchPage, 1000);
    expect(r.items.length).toBe(250);
    expect(r.capped).toBe(false);
    expect(p.calls).toEqual([null, '100', '200']);
  });

  it('stops at the cap and says so', async () => {
    const p = pager(1000, 100);
    const r = await collectPages(p.fetchPage, 150);
    expect(r).toMatchObject({ capped: true });
    expect(r.items.length).toBe(150);
    expect(p.calls.length).toBe(2);
    expect(countLabel(r.items.length, r.capped)).toBe('150+');
  });

  it('an exact fit is not capped', async () => {
    const r = await collectPages(pager(100, 100).fetchPage, 100);
    expect(r.capped).toBe(false);
  });
});
