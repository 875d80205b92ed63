import { describe, expect, it } from 'vitest';
import { campaignToForm, emptyCampaignForm, formToInput, funnelData, intervalBar, reasonLabel, scheduleAt, upliftSentence } from './campaigns';

describe('campaign form', () => {
  it('refuses a form without name, segment or text', () => {
    const { errors } = formToInput({ ...emptyCampaignForm(), text: ' ' });
    expect(Object.keys(errors).sort()).toEqual(['name', 'segmentId', 'text']);
  });
  it('turns the form into an input and back', () => {
    const f = { ...emptyCampaignForm(), name: ' Spring ', segmentId: 'seg1', holdoutPercent: '20', attributionDays: '14', ratePerMinute: '' };
    const { input, errors } = formToInput(f);
    expect(errors).toEqual({});
    expect(input).toMatchObject({ name: 'Spring', segmentId: 'seg1', holdoutPercent: 20, attributionDays: 14, ratePerMinute: null, fromName: null });
    expect(input.defaults).toEqual([{ placeholder: 'customer.firstName', value: 'there' }]);
    const back = campaignToForm({
      ...input,
      id: 'c1',
      html: input.html ?? '',
      fromName: null,
      audience: 'FROZEN',
      defaults: input.defaults ?? [],
      holdoutPercent: 20,
      attributionDays: 14,
      ratePerMinute: 0,
      state: 'DRAFT',
      scheduledAt: null,
      scheduledLocal: null,
      timeZone: null,
      startedAt: null,
      finishedAt: null,
      planned: 0,
      lastError: null,
      createdAt: '',
      updatedAt: '',
    });
    expect(back).toEqual({ ...f, name: 'Spring' });
  });
  it('checks the ranges of holdout, attribution and rate', () => {
    const { errors } = formToInput({ ...emptyCampaignForm(), name: 'x', segmentId: 's', holdoutPercent: '60', attributionDays: '1.5', ratePerMinute: '-1' });
    expect(Object.keys(errors).sort()).toEqual(['attributionDays', 'holdoutPercent', 'ratePerMinute']);
  });
  it('takes the wall-clock time of a datetime-local value', () => {
    expect(scheduleAt('2026-03-01T09:00')).toBe('2026-03-01T09:00');
    expect(scheduleAt('2026-03-01T09:00:30')).toBe('2026-03-01T09:00');
    expect(scheduleAt('')).toBeNull();
  });
});

describe('campaign report', () => {
  it('orders the funnel from planned to converted', () => {
    const f = funnelData({ planned: 100, sent: 90, delivered: 85, opened: 40, clicked: 10, treated: { converted: 4 } });
    expect(f.labels).toEqual(['Planned', 'Sent', 'Delivered', 'Opened', 'Clicked', 'Converted']);
    expect(f.values).toEqual([100, 90, 85, 40, 10, 4]);
  });
  it('lays the interval out with zero in view', () => {
    const b = intervalBar({ difference: 0.04, low: 0.01, high: 0.07 });
    expect(b.zero).toBeGreaterThan(0);
    expect(b.low).toBeGreaterThan(b.zero);
    expect(b.point).toBeGreaterThan(b.low);
    expect(b.high).toBeGreaterThan(b.point);
    expect(b.high).toBeLessThan(100);
    expect(b.ticks.some((t) => t.label === '0.0 pp')).toBe(true);
    const straddle = intervalBar({ difference: 0.01, low: -0.02, high: 0.04 });
    expect(straddle.low).toBeLessThan(straddle.zero);
    expect(straddle.high).toBeGreaterThan(straddle.zero);
    const flat = intervalBar({ difference: 0, low: 0, high: 0 });
    expect(flat.point).toBeCloseTo(50);
  });
  it('states the uplift and its significance in words', () => {
    const s = upliftSentence({ difference: 0.03, low: 0.01, high: 0.05, relative: 0.5, z: 2.9, pValue: 0.004, significant: true });
    expect(s).toContain('+3.0 pp');
    expect(s).toContain('+1.0 pp to +5.0 pp');
    expect(s).toContain('statistically significant (p = 0.004)');
    const n = upliftSentence({ difference: -0.01, low: -0.03, high: 0.01, relative: null, z: -1, pValue: 0.3, significant: false });
    expect(n).toContain('not statistically significant');
  });
  it('labels suppression reasons', () => {
    expect(reasonLabel('no_consent')).toBe('No consent');
    expect(reasonLabel('suppressed identifier')).toBe('Suppressed identifier');
  });
});
