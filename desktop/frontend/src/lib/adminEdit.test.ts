import { describe, expect, it } from 'vitest';
import { businessHoursInput } from './admin';
import { agentUpdateInput, hoursFitForm, macroForm, macroInput, moveMember, slaForm, withMember } from './adminEdit';

describe('agentUpdateInput', () => {
  const before = { name: 'Ann', email: 'ann@example.com', available: true, groups: ['g1', 'g2'] };
  it('sends only what changed', () => {
    expect(agentUpdateInput(before, { ...before, name: ' Ann Smith ' })).toEqual({ name: 'Ann Smith' });
    expect(agentUpdateInput(before, { ...before, available: false, groups: ['g2'] })).toEqual({ available: false, groups: ['g2'] });
  });
  it('is null when nothing changed, group order included', () => {
    expect(agentUpdateInput(before, { ...before, groups: ['g2', 'g1'] })).toBeNull();
  });
});

describe('group order', () => {
  it('appends a new member and keeps the others in place', () => {
    expect(withMember(['a', 'b'], 'c', true)).toEqual(['a', 'b', 'c']);
    expect(withMember(['a', 'b', 'c'], 'b', false)).toEqual(['a', 'c']);
    expect(withMember(['a'], 'a', true)).toEqual(['a']);
  });
  it('moves a member up and down within bounds', () => {
    expect(moveMember(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveMember(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveMember(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });
});

describe('macro form', () => {
  it('round-trips a stored macro to the mutation input', () => {
    const m = { name: 'Close', body: 'Bye {{customer.firstName}}', setStatus: 'SOLVED' as const, setPriority: null, addTags: ['done', 'vip'] };
    expect(macroInput(macroForm(m))).toEqual({ name: 'Close', body: m.body, setStatus: 'SOLVED', setPriority: null, addTags: ['done', 'vip'] });
  });
});

describe('slaForm', () => {
  const fallback = { timeZone: 'UTC', weekdays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: '' };
  it('turns stored business hours back into the form, and the form into the same hours', () => {
    const bh = { timeZone: 'Europe/London', intervals: [1, 2, 3].map((weekday) => ({ weekday, start: '08:00', end: '16:00' })), holidays: ['2026-12-25'] };
    const f = slaForm({ priority: 'HIGH', firstResponseMinutes: 30, resolutionMinutes: 240, businessHours: bh }, fallback);
    expect(f.useHours).toBe(true);
    expect(businessHoursInput(f.hours)).toEqual(bh);
    expect(hoursFitForm(bh)).toBe(true);
  });
  it('keeps the fallback hours for a 24/7 policy', () => {
    const f = slaForm({ priority: 'LOW', firstResponseMinutes: 0, resolutionMinutes: 60, businessHours: null }, fallback);
    expect(f).toEqual({ priority: 'LOW', first: 0, resolution: 60, useHours: false, hours: fallback });
  });
  it('tells hours the form cannot hold', () => {
    expect(hoursFitForm({ intervals: [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }] })).toBe(false);
  });
});
