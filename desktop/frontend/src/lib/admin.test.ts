import { describe, expect, it } from 'vitest';
import { auditVariables, isoToLocal, localToIso, NO_AUDIT_FILTERS, segmentSnippet, webhookProblem } from './admin';

describe('audit filters', () => {
  it('leaves empty fields out', () => {
    expect(auditVariables(NO_AUDIT_FILTERS, 50)).toEqual({ first: 50 });
    expect(auditVariables({ ...NO_AUDIT_FILTERS, action: '  ' }, 20, 'x')).toEqual({ first: 20, after: 'x' });
  });
  it('trims text and turns local times into instants', () => {
    const v = auditVariables({ actor: ' key_1 ', action: 'createApiKey', target: 'cus_9', from: '2026-03-01T09:30', to: 'garbage' }, 50);
    expect(v).toEqual({ first: 50, actor: 'key_1', action: 'createApiKey', target: 'cus_9', from: new Date('2026-03-01T09:30').toISOString() });
  });
  it('round-trips the form times through the variables', () => {
    const f = { actor: 'k1', action: 'revokeApiKey', target: 't', from: '2026-01-02T03:04', to: '2026-02-03T00:00' };
    const v = auditVariables(f, 50);
    expect([isoToLocal(v.from), isoToLocal(v.to)]).toEqual([f.from, f.to]);
  });
  it('converts times both ways', () => {
    expect(localToIso('')).toBeNull();
    expect(isoToLocal(localToIso('2026-12-31T23:59'))).toBe('2026-12-31T23:59');
    expect(isoToLocal(null)).toBe('');
  });
});

describe('webhooks', () => {
  it('wants an http(s) URL and an event', () => {
    expect(webhookProblem('ftp://x', ['TICKET_CHANGED'])).toMatch(/http/);
    expect(webhookProblem('https://hooks.example.com/t', [])).toMatch(/event/);
    expect(webhookProblem('https://hooks.example.com/t', ['PROFILE_CREATED'])).toBeNull();
  });
});

describe('segmentSnippet', () => {
  it('points the SDKs at the connected server', () => {
    const s = segmentSnippet('http://127.0.0.1:8080/', 'wk_abc');
    expect(s).toContain("host: 'http://127.0.0.1:8080'");
    expect(s).toContain("apiHost: '127.0.0.1:8080/v1', protocol: 'http'");
    expect(s).toContain("curl -u 'wk_abc:'");
    expect(s).toContain('http://127.0.0.1:8080/v1/track');
  });
  it('keeps a path prefix and https', () => {
    const s = segmentSnippet('https://cdp.example.com/tessera/query', 'wk_1');
    expect(s).toContain("host: 'https://cdp.example.com/tessera'");
    expect(s).toContain("apiHost: 'cdp.example.com/tessera/v1', protocol: 'https'");
  });
});

describe('admin tabs and changes', () => {
  it('falls back to the keys tab', async () => {
    const { adminTab } = await import('./admin');
    expect(adminTab('audit')).toBe('audit');
    expect(adminTab('nope')).toBe('keys');
    expect(adminTab(undefined)).toBe('keys');
  });
  it('pretty-prints a change, dash when empty', async () => {
    const { changeJson } = await import('./admin');
    expect(changeJson(null)).toBe('—');
    expect(changeJson({})).toBe('—');
    expect(changeJson({ name: '[personal]', role: 'AGENT' })).toBe('{\n  "name": "[personal]",\n  "role": "AGENT"\n}');
  });
});

describe('business hours', () => {
  it('builds the input from the form', async () => {
    const { businessHoursInput } = await import('./admin');
    expect(businessHoursInput({ timeZone: ' Europe/London ', weekdays: [5, 1], start: '09:00', end: '17:00', holidays: '2026-12-25, 2026-12-26\n' })).toEqual({
      timeZone: 'Europe/London',
      intervals: [
        { weekday: 1, start: '09:00', end: '17:00' },
        { weekday: 5, start: '09:00', end: '17:00' },
      ],
      holidays: ['2026-12-25', '2026-12-26'],
    });
  });
  it('labels hours, joining runs of days', async () => {
    const { businessHoursInput, hoursLabel } = await import('./admin');
    expect(hoursLabel(null)).toBe('24/7');
    const week = businessHoursInput({ timeZone: 'UTC', weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: '' });
    expect(hoursLabel(week)).toBe('Mon–Fri 09:00–17:00 (UTC)');
    expect(hoursLabel({ timeZone: 'UTC', intervals: [...week.intervals, { weekday: 6, start: '10:00', end: '14:00' }] })).toBe('Mon–Fri 09:00–17:00, Sat 10:00–14:00 (UTC)');
  });
});
