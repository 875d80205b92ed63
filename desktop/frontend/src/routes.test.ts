import { describe, expect, it } from 'vitest';
import { HOME, href, parseRoute, type Route } from './routes';

describe('routes', () => {
  it('round-trips', () => {
    const routes: Route[] = [
      { name: 'customers' },
      { name: 'sources' },
      { name: 'connect' },
      { name: 'dashboard' },
      { name: 'management' },
      { name: 'customer', id: 'cus/1 2' },
      { name: 'ticket', id: 'tkt 1' },
      { name: 'inbox', queue: 'breaching-soon' },
      { name: 'inbox', queue: 'mine' },
      { name: 'segments' },
      { name: 'segment-new' },
      { name: 'segment', id: 'seg/1 2' },
      { name: 'segment-edit', id: 'seg_1' },
      { name: 'matching' },
      { name: 'campaigns' },
      { name: 'campaign-new' },
      { name: 'campaign', id: 'cmp/1 2' },
      { name: 'journeys' },
      { name: 'journey', id: 'jrn 1' },
      { name: 'admin', tab: 'keys' },
      { name: 'admin', tab: 'audit' },
      { name: 'admin', tab: 'webhooks' },
      { name: 'admin', tab: 'helpdesk' },
    ];
    for (const r of routes) expect(parseRoute(href(r))).toEqual(r);
  });
  it('opens the admin screen on API keys', () => expect(parseRoute('#/admin')).toEqual({ name: 'admin', tab: 'keys' }));
  it('defaults to the inbox', () => expect(parseRoute('')).toEqual(HOME));
  it('falls back to all open for an unknown queue', () => expect(parseRoute('#/inbox/nope')).toEqual({ name: 'inbox', queue: 'all-open' }));
});
