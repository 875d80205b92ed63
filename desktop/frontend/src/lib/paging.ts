// TicketConnection has no totalCount: counts and report data page through ids.

export interface PageOf<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Fetches pages until the end or until `cap` items; `capped` says there were more. */
export async function collectPages<T>(fetchPage: (after: string | null) => Promise<PageOf<T>>, cap: number): Promise<{ items: T[]; capped: boolean }> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const p = await fetchPage(after);
    items.push(...p.items);
    if (items.length >= cap) return { items: items.slice(0, cap), capped: p.hasNextPage || items.length > cap };
    if (!p.hasNextPage || !p.endCursor) return { items, capped: false };
    after = p.endCursor;
  }
}

export function countLabel(n: number, capped: boolean): string {
  return capped ? `${n}+` : String(n);
}
