import { describe, expect, it } from 'vitest';
import { countByPeriod, dayLabel, overall, overallCsat, percentSeries, periods } from './charts';

describe('periods', () => {
  it('days end with the one containing now, oldest first', () => {
    const ps = periods(new Date('2026-03-04T15:30:00Z'), 3, 'day');
    expect(ps.map((p) => [p.from.toISOString(), p.to.toISOString(), p.label])).toEqual([
      ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z', 'Mar 2'],
      ['2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z', 'Mar 3'],
      ['2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z', 'Mar 4'],
    ]);
  });

  it('weeks start on Monday', () => {
    const ps = periods(new Date('2026-03-08T23:00:00Z'), 2, 'week'); // a Sunday
    expect(ps.map((p) => p.from.toISOString())).toEqual(['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(ps[1].label).toBe('wk of Mar 2');
  });
});

describe('series', () => {
  const ps = periods(new Date('2026-03-04T15:30:00Z'), 3, 'day');

  it('counts tickets per period and drops the rest', () => {
    const created = ['2026-03-02T00:00:00Z', '2026-03-02T23:59:59Z', '2026-03-04T01:00:00Z', '2026-03-01T23:00:00Z', '2026-03-05T00:00:00Z'];
    expect(countByPeriod(created, ps)).toEqual([2, 0, 1]);
  });

  it('leaves gaps where nothing settled', () => {
    expect(
      percentSeries([
        { met: 2, total: 3, percent: 66.666 },
        { met: 0, total: 0, percent: null },
        { met: 0, total: 1, percent: 0 },
      ]),
    ).toEqual([66.7, null, 0]);
  });

  it('sums ratios and weights CSAT by ratings', () => {
    expect(overall([{ met: 1, total: 2, percent: 50 }, { met: 3, total: 3, percent: 100 }, { met: 0, total: 0, percent: null }])).toEqual({
      met: 4,
      total: 5,
      percent: 80,
    });
    expect(overallCsat([{ count: 1, average: 5, satisfiedPercent: 100 }, { count: 3, average: 3, satisfiedPercent: 0 }, { count: 0, average: null, satisfiedPercent: null }])).toEqual({
      count: 4,
      average: 3.5,
      satisfiedPercent: 25,
    });
    expect(overallCsat([]).average).toBeNull();
  });
});

it('labels server days', () => {
  expect(dayLabel('2026-03-04')).toBe('Mar 4');
  expect(dayLabel('2026-12-31T00:00:00Z')).toBe('Dec 31');
  expect(dayLabel('yesterday')).toBe('yesterday');
});
