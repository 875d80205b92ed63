import { describe, expect, test } from 'vitest';
import type { MarketingEffectivenessQuery } from '../gql/graphql';
import { effectivenessRows, formatRate, freshness, position, presetRange, significanceTone, significanceWords, upliftAxis, whisker } from './marketing';

type Report = MarketingEffectivenessQuery['marketingEffectiveness'];

const gbp = (amountMinor: number) => ({ amountMinor, currency: 'GBP' });

const report: Report = {
  from: null,
  to: null,
  ready: true,
  currency: 'GBP',
  currencies: ['GBP'],
  totals: { messagesSent: 45, conversions: 30, attributedRevenue: gbp(52000), significantCampaigns: 1, significantJourneys: 0 },
  campaigns: [
    {
      campaignId: 'c1',
      name: 'Spring sale',
      state: 'SENT',
      startedAt: '2026-03-02T09:00:00Z',
      planned: 40,
      sent: 25,
      delivered: 25,
      opened: 10,
      clicked: 4,
      unsubscribed: 1,
      computedAt: '2026-03-02T10:00:00Z',
      treated: { customers: 25, converted: 18, conversionRate: 0.72, revenue: gbp(30000), revenuePerCustomer: gbp(1200) },
      holdout: { customers: 11, converted: 2, conversionRate: 2 / 11, revenue: gbp(3000), revenuePerCustomer: gbp(273) },
      uplift: { difference: 0.538, low: 0.27, high: 0.8, relative: 2.96, pValue: 0.002, significant: true },
    },
    {
      campaignId: 'c2',
      name: 'Draft',
      state: 'DRAFT',
      startedAt: null,
      planned: 0,
      sent: 0,
      delivered: 0,
      opened: 0,
      clicked: 0,
      unsubscribed: 0,
      computedAt: '2026-03-02T10:00:00Z',
      treated: { customers: 0, converted: 0, conversionRate: 0, revenue: gbp(0), revenuePerCustomer: gbp(0) },
      holdout: { customers: 0, converted: 0, conversionRate: 0, revenue: gbp(0), revenuePerCustomer: gbp(0) },
      uplift: null,
    },
  ],
  journeys: [
    {
      journeyId: 'j1',
      name: 'Welcome',
      status: 'ACTIVE',
      version: 2,
      live: true,
      entered: 30,
      inProgress: 2,
      done: 20,
      exited: 8,
      converted: 12,
      conversionRate: 0.5,
      holdout: 6,
      holdoutConverted: 4,
      holdoutConversionRate: 4 / 6,
      messagesSent: 20,
      computedAt: '2026-03-02T10:05:00Z',
      uplift: { difference: -1 / 6, low: -0.6, high: 0.27, relative: -0.25, pValue: 0.46, significant: false },
    },
  ],
};

describe('effectiveness rows', () => {
  test('campaigns then journeys, each with treated and holdout', () => {
    const rows = effectivenessRows(report);
    expect(rows.map((r) => [r.kind, r.name, r.detail, r.sent])).toEqual([
      ['Campaign', 'Spring sale', 'Sent', 25],
      ['Campaign', 'Draft', 'Draft', 0],
      ['Journey', 'Welcome', 'version 2 (live)', 20],
    ]);
    expect(rows[0].treated).toEqual({ n: 25, converted: 18, rate: 0.72 });
    expect(rows[0].perHoldout).toEqual(gbp(273));
    // Without customers there is no rate (not 0%), and no revenue per holdout customer.
    expect(rows[1].treated.rate).toBeNull();
    expect(rows[1].perHoldout).toBeNull();
    // A journey's treated runs are those outside the holdout.
    expect(rows[2].treated).toEqual({ n: 24, converted: 12, rate: 0.5 });
    expect(rows[2].revenue).toBeNull();
  });
});

describe('significance', () => {
  const u = report.campaigns[0].uplift!;
  test('in words', () => {
    expect(significanceWords(u, 11)).toBe('Real gain (p = 0.002)');
    expect(significanceWords({ ...u, difference: -0.2, significant: true, pValue: 0.0001 }, 11)).toBe('Real loss (p < 0.001)');
    expect(significanceWords(report.journeys[0].uplift, 6)).toBe('Could be chance (p = 0.460)');
    expect(significanceWords(null, 0)).toBe('No holdout to compare with');
    expect(significanceWords(null, 5)).toBe('Not enough data yet');
  });
  test('tone', () => {
    expect(significanceTone(u)).toBe('gain');
    expect(significanceTone({ ...u, difference: -0.1 })).toBe('loss');
    expect(significanceTone(report.journeys[0].uplift)).toBe('neutral');
    expect(significanceTone(null)).toBe('neutral');
  });
});

describe('uplift axis', () => {
  test('shared by all rows, shows zero, padded', () => {
    const a = upliftAxis([report.campaigns[0].uplift, null, report.journeys[0].uplift]);
    // From the lowest low (-0.6) to the highest high (0.8), 10% of 1.4 either side.
    expect(a.min).toBeCloseTo(-0.74);
    expect(a.max).toBeCloseTo(0.94);
    expect(a.ticks.map((t) => t.label)).toEqual(['-74.0 pp', '0.0 pp', '+94.0 pp']);
    const w = whisker(a, report.campaigns[0].uplift!);
    expect(w.zero).toBeCloseTo((0.74 / 1.68) * 100);
    expect(w.low).toBeCloseTo(((0.27 + 0.74) / 1.68) * 100);
    expect(w.point).toBeGreaterThan(w.low);
    expect(w.high).toBeGreaterThan(w.point);
  });
  test('without uplifts it still draws around zero', () => {
    const a = upliftAxis([null]);
    expect(a.min).toBeLessThan(0);
    expect(a.max).toBeGreaterThan(0);
    expect(position(a, 0)).toBeCloseTo(50);
  });
  test('positions stay inside the drawing', () => {
    const a = upliftAxis([{ difference: 0.1, low: 0.05, high: 0.15, pValue: 0.01, significant: true }]);
    expect(a.ticks.map((t) => t.label)).toEqual(['0.0 pp', '+16.5 pp']);
    expect(position(a, 5)).toBe(100);
    expect(position(a, -5)).toBe(0);
  });
});

test('formatting', () => {
  expect(formatRate(0.12345)).toBe('12.3%');
  expect(formatRate(null)).toBe('–');
  const now = new Date('2026-03-02T12:00:00Z');
  expect(freshness('2026-03-02T11:59:30Z', now)).toBe('just now');
  expect(freshness('2026-03-02T11:55:00Z', now)).toBe('5 min ago');
  expect(freshness('2026-03-02T09:00:00Z', now)).toBe('3 h ago');
  expect(freshness('2026-02-27T12:00:00Z', now)).toBe('3 days ago');
  expect(presetRange('all', now)).toEqual({});
  expect(presetRange('30', now)).toEqual({ from: '2026-01-31T12:00:00.000Z', to: '2026-03-02T12:00:00.000Z' });
});
