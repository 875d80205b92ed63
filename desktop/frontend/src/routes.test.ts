import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './routes';

describe('routes', () => {
  it('round-trips', () => {
    for (const r of [{ name: 'customers' }, { name: 'sources' }, { name: 'connect' }, { name: 'customer', id: 'cus/1 2' }] as const) {
      expect(parseRoute(href(r))).toEqual(r);
    }
  });
  it('defaults to customers', () => expect(parseRoute('')).toEqual({ name: 'customers' }));
});
