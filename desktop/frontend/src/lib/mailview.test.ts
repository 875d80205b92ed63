import { describe, expect, it } from 'vitest';
import { byChannel, channelDeliveryView, channelsFromParam, channelsToParam, emailDeliveryView, formatBytes, splitQuoted } from './mailview';

describe('splitQuoted', () => {
  it('folds from the attribution line on', () => {
    const body = 'Thanks, that worked.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <help@shop.example> wrote:\n> Try turning it off.\n> Regards';
    expect(splitQuoted(body)).toEqual({
      main: 'Thanks, that worked.',
      quoted: 'On Mon, 3 Mar 2025 at 10:00, Support <help@shop.example> wrote:\n> Try turning it off.\n> Regards',
    });
  });
  it('folds a trailing block of > lines, blank lines within', () => {
    const r = splitQuoted('Yes please.\r\n> Shall we refund?\r\n>\r\n> Ann\r\n\r\n');
    expect(r.main).toBe('Yes please.');
    expect(r.quoted).toBe('> Shall we refund?\n>\n> Ann');
  });
  it('folds from an Outlook separator', () => {
    expect(splitQuoted('See below.\n-----Original Message-----\nFrom: x').quoted).toBe('-----Original Message-----\nFrom: x');
  });
  it('keeps interleaved quotes visible', () => {
    const body = '> Is it broken?\nYes.\n> Since when?\nMonday.';
    expect(splitQuoted(body)).toEqual({ main: body, quoted: null });
  });
  it('does not fold a body that is all quote, or plain text', () => {
    expect(splitQuoted('> only a quote').quoted).toBeNull();
    expect(splitQuoted('Hello\nthere').quoted).toBeNull();
    expect(splitQuoted('').quoted).toBeNull();
  });
});

describe('channels', () => {
  const tickets = [
    { id: '1', channel: 'EMAIL' as const },
    { id: '2', channel: 'CHAT' as const },
    { id: '3', channel: 'SOCIAL' as const },
  ];
  it('filters by the picked channels, all when none', () => {
    expect(byChannel(tickets, new Set()).map((t) => t.id)).toEqual(['1', '2', '3']);
    expect(byChannel(tickets, new Set(['EMAIL', 'SOCIAL'] as const)).map((t) => t.id)).toEqual(['1', '3']);
  });
  it('round-trips the filter through a parameter, in a stable order, dropping junk', () => {
    const picked = channelsFromParam('PHONE,EMAIL,NOPE');
    expect([...picked].sort()).toEqual(['EMAIL', 'PHONE']);
    expect(channelsToParam(picked)).toBe('EMAIL,PHONE');
    expect(channelsFromParam(channelsToParam(picked))).toEqual(picked);
    expect(channelsFromParam(undefined).size).toBe(0);
  });
});

describe('labels', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(300 * 1024)).toBe('300 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
  it('names delivery states', () => {
    expect(emailDeliveryView('SENT')?.tone).toBe('ok');
    expect(emailDeliveryView('FAILED', '550 no such user')).toMatchObject({ tone: 'bad', title: '550 no such user' });
    expect(emailDeliveryView('UNCERTAIN')?.label).toBe('Delivery uncertain');
    expect(emailDeliveryView(null)).toBeNull();
    expect(channelDeliveryView({ state: 'PENDING', attempts: 2, lastError: 'timeout', channel: 'insta' })).toMatchObject({ tone: 'pending', title: 'timeout (2 attempts, retrying)' });
    expect(channelDeliveryView({ state: 'DELIVERED', attempts: 1, channel: 'insta' }).label).toBe('Delivered to insta');
  });
});
