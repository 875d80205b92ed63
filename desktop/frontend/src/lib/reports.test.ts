import { describe, expect, it } from 'vitest';
import {
  bandLabel,
  cellSegmentName,
  cohortTable,
  dayEnd,
  defaultRange,
  forecastSeries,
  formatChange,
  formatMinor,
  formatMoney,
  heatColor,
  histogram,
  parseMajor,
  periodLabel,
  preparing,
  rankingAsOfToRefetch,
  rankingPreparing,
  rankingText,
  rfmMatrix,
  toMajor,
  trendSeries,
  type TrendPeriodIn,
} from './reports';

const gbp = (amountMinor: number) => ({ amountMinor, currency: 'GBP' });

describe('money', () => {
  it('minor units to major by the currency', () => {
    expect(toMajor(123456, 'GBP')).toBe(1234.56);
    expect(toMajor(1200, 'JPY')).toBe(1200);
    expect(toMajor(1234, 'KWD')).toBe(1.234);
  });
  it('formats with the currency, compact for axes', () => {
    expect(formatMinor(gbp(123450))).toBe('£1,234.50');
    expect(formatMinor(gbp(-500))).toBe('-£5.00');
    expect(formatMinor(null)).toBe('—');
    expect(formatMoney(1_250_000, 'GBP', true)).toBe('£1.3M');
    expect(formatMoney(12, null)).toBe('12');
  });
  it('parses typed amounts into minor units', () => {
    expect(parseMajor('1,250.5', 'GBP')).toBe(125050);
    expect(parseMajor('', 'GBP')).toBeNull();
    expect(parseMajor('abc', 'GBP')).toBeNull();
    expect(parseMajor('300', 'JPY')).toBe(300);
  });
});

describe('labels and ranges', () => {
  it('period labels per interval', () => {
    expect(periodLabel('2011-11-01T00:00:00Z', 'MONTH')).toBe('Nov 2011');
    expect(periodLabel('2011-11-07T00:00:00Z', 'WEEK')).toBe('wk of Nov 7');
    expect(periodLabel('2011-11-07T00:00:00Z', 'DAY')).toBe('Nov 7');
  });
  it('change from the previous period', () => {
    expect(formatChange(0.123)).toBe('+12%');
    expect(formatChange(-0.05)).toBe('−5%');
    expect(formatChange(0)).toBe('0%');
    expect(formatChange(null)).toBe('—');
  });
  it('the default range is the twelve months up to the as-of day', () => {
    // The retail data's asOf: midnight after its last day.
    expect(defaultRange('2011-12-10T00:00:00Z')).toEqual({ from: '2011-01-01', to: '2011-12-09' });
    expect(defaultRange('2026-03-04T10:00:00Z')).toEqual({ from: '2025-04-01', to: '2026-03-04' });
    expect(dayEnd('2011-12-09')).toBe('2011-12-10T00:00:00.000Z');
    expect(dayEnd('')).toBeUndefined();
  });
  it('RFM band labels', () => {
    expect(bandLabel({ score: 5, min: 0, max: 30 }, 'days')).toBe('0–30 days');
    expect(bandLabel({ score: 1, min: 366, max: null }, 'days')).toBe('> 365 days');
    expect(bandLabel({ score: 1, min: 1, max: 1 }, 'orders')).toBe('1 order');
    expect(bandLabel({ score: 2, min: 2, max: 2 }, 'orders')).toBe('2 orders');
    expect(bandLabel({ score: 5, min: 11, max: null }, 'orders')).toBe('11+ orders');
  });
});

describe('trend', () => {
  const period = (start: string, over: Partial<TrendPeriodIn> = {}): TrendPeriodIn => ({
    start,
    partial: false,
    newCustomers: 0,
    returningCustomers: 0,
    churnedCustomers: 0,
    activeCustomers: 0,
    orders: 0,
    revenue: null,
    change: { newCustomers: null, returningCustomers: null, churnedCustomers: null, revenue: null },
    ...over,
  });
  it('series with churn below the axis and revenue in major units; the latest whole period', () => {
    const s = trendSeries(
      [
        period('2011-10-01T00:00:00Z', { newCustomers: 5, returningCustomers: 3, churnedCustomers: 2, activeCustomers: 8, orders: 9, revenue: gbp(10050) }),
        period('2011-11-01T00:00:00Z', { newCustomers: 4, activeCustomers: 4, orders: 4, revenue: gbp(2000) }),
        period('2011-12-01T00:00:00Z', { partial: true, newCustomers: 1, activeCustomers: 1, orders: 1, revenue: gbp(100) }),
      ],
      'MONTH',
      'GBP',
    );
    expect(s.labels).toEqual(['Oct 2011', 'Nov 2011', 'Dec 2011 (so far)']);
    expect(s.churned).toEqual([-2, -0, -0]);
    expect(s.revenue).toEqual([100.5, 20, 1]);
    expect(s.latest?.label).toBe('Nov 2011');
    expect(s.empty).toBe(false);
  });
  it('empty when nothing happened; revenue gaps stay gaps', () => {
    const s = trendSeries([period('2011-10-01T00:00:00Z'), period('2011-11-01T00:00:00Z')], 'MONTH', null);
    expect(s.empty).toBe(true);
    expect(s.revenue).toEqual([null, null]);
    expect(trendSeries([], 'WEEK', null)).toMatchObject({ empty: true, latest: null, labels: [] });
  });
});

describe('heatmap scale', () => {
  it('zero is blank, the max is darkest with white text, values are clamped', () => {
    expect(heatColor(0, 0.4)).toEqual({ background: 'rgba(50, 87, 214, 0.000)', color: '#1d2330' });
    expect(heatColor(0.4, 0.4)).toEqual({ background: 'rgba(50, 87, 214, 0.950)', color: '#fff' });
    expect(heatColor(0.1, 0.4).color).toBe('#1d2330');
    expect(heatColor(2, 0.4)).toEqual(heatColor(0.4, 0.4));
    expect(heatColor(1, 0).background).toBe('rgba(50, 87, 214, 0.000)');
  });
  it('cohort table scales on the months after the first (always 100%) and pads short cohorts', () => {
    const t = cohortTable([
      {
        month: '2011-01-01T00:00:00Z',
        customers: 10,
        revenue: gbp(5000),
        months: [
          { offset: 0, partial: false, customers: 10, share: 1 },
          { offset: 1, partial: false, customers: 3, share: 0.3 },
          { offset: 2, partial: true, customers: 2, share: 0.2 },
        ],
      },
      { month: '2011-02-01T00:00:00Z', customers: 4, revenue: null, months: [{ offset: 0, partial: false, customers: 4, share: 1 }] },
    ]);
    expect(t.offsets).toEqual([0, 1, 2]);
    expect(t.max).toBe(0.3);
    expect(t.rows[0]).toMatchObject({ label: 'Jan 2011', customers: 10, revenue: '£50' });
    expect(t.rows[0].cells[2]).toEqual({ share: 0.2, customers: 2, partial: true });
    expect(t.rows[1].cells).toEqual([{ share: 1, customers: 4, partial: false }, null, null]);
    expect(t.rows[1].revenue).toBe('—');
  });
  it('no cohorts, or only first months: a scale that does not divide by zero', () => {
    expect(cohortTable([])).toEqual({ offsets: [], rows: [], max: 1 });
  });
});

describe('RFM matrix', () => {
  it('rows most recent first, columns fewest orders first, missing cells are zero', () => {
    const bands = [1, 2, 3].map((score) => ({ score, min: score, max: score }));
    const m = rfmMatrix(bands, bands, [
      { r: 3, f: 1, customers: 7, revenue: gbp(700) },
      { r: 1, f: 2, customers: 2, revenue: gbp(100) },
    ]);
    expect(m.rows.map((b) => b.score)).toEqual([3, 2, 1]);
    expect(m.cols.map((b) => b.score)).toEqual([1, 2, 3]);
    expect(m.cell(3, 1).customers).toBe(7);
    expect(m.cell(2, 2)).toEqual({ r: 2, f: 2, customers: 0, revenue: null });
    expect(m.max).toBe(7);
    expect(rfmMatrix([], [], []).max).toBe(0);
  });
});

describe('value histogram', () => {
  const b = (lower: number | null, upper: number | null, customers: number) => ({ lower: lower === null ? null : gbp(lower), upper: upper === null ? null : gbp(upper), customers });
  it('drops empty buckets at the ends, keeps gaps inside, labels with the currency', () => {
    const h = histogram([b(null, 0, 1), b(0, 100, 0), b(100, 200, 3), b(200, 500, 0), b(500, 1000, 2), b(1000, 2000, 0), b(5_000_000, null, 0)], 'GBP');
    expect(h.labels).toEqual(['< £0', '£0–1', '£1–2', '£2–5', '£5–10']);
    expect(h.counts).toEqual([1, 0, 3, 0, 2]);
  });
  it('open top bucket and compact thousands', () => {
    const h = histogram([b(1_000_000, 2_000_000, 4), b(5_000_000, null, 1)], 'GBP');
    expect(h.labels).toEqual(['£10K–20K', '≥ £50K']);
  });
  it('no customers: nothing to draw', () => {
    expect(histogram([b(0, 100, 0)], 'GBP')).toEqual({ labels: [], counts: [] });
    expect(histogram([], null)).toEqual({ labels: [], counts: [] });
  });
});

describe('forecast band', () => {
  const week = (d: string, minor: number) => ({ start: `2011-${d}T00:00:00Z`, revenue: gbp(minor) });
  const fc = (d: string, p: number, lo: number, hi: number) => ({ start: `2011-${d}T00:00:00Z`, revenue: { point: gbp(p), lower: gbp(lo), upper: gbp(hi) } });
  it('history, then the forecast and its band opening from the last actual week', () => {
    const s = forecastSeries({ history: [week('11-21', 1000), week('11-28', 2000)], forecast: [fc('12-05', 2100, 1500, 2700), fc('12-12', 2200, 1200, 3200)] });
    expect(s.labels).toEqual(['wk of Nov 21', 'wk of Nov 28', 'wk of Dec 5', 'wk of Dec 12']);
    expect(s.history).toEqual([10, 20, null, null]);
    expect(s.point).toEqual([null, 20, 21, 22]);
    expect(s.lower).toEqual([null, 20, 15, 12]);
    expect(s.upper).toEqual([null, 20, 27, 32]);
    // The band never inverts.
    s.upper.forEach((u, i) => u !== null && expect(u).toBeGreaterThanOrEqual(s.lower[i]!));
  });
  it('keeps only the latest history weeks', () => {
    const history = Array.from({ length: 60 }, (_, i) => ({ start: new Date(Date.UTC(2010, 0, 4) + i * 7 * 86_400_000).toISOString(), revenue: gbp(i) }));
    const s = forecastSeries({ history, forecast: [] }, 52);
    expect(s.history).toHaveLength(52);
    expect(s.history[0]).toBe(0.08);
    expect(s.point.every((v) => v === null) || s.point.length === 52).toBe(true);
  });
  it('a forecast without history starts at its first week', () => {
    const s = forecastSeries({ history: [], forecast: [fc('12-05', 100, 50, 150)] });
    expect(s).toMatchObject({ history: [null], point: [1], lower: [0.5], upper: [1.5] });
  });
});

describe('readiness and ranking', () => {
  it('prepares while the book loads or the model fits', () => {
    expect(preparing({ ready: false })).toBe(true);
    expect(preparing({ ready: true })).toBe(false);
    expect(preparing({ status: 'FITTING' })).toBe(true);
    expect(preparing({ status: 'LOADING' })).toBe(true);
    expect(preparing({ status: 'READY' })).toBe(false);
    expect(preparing({ status: 'NO_ORDERS' })).toBe(false);
    expect(preparing(null)).toBe(false);
  });
  it('follows the server ranking by predicted value', () => {
    const r = (status: string, message: string | null = null) => ({ status, message, asOf: '2011-12-10T00:00:00Z', days: 90, currency: 'GBP' });
    expect(['LOADING', 'FITTING', 'RANKING', 'READY', 'UNAVAILABLE'].map((s) => rankingPreparing(r(s)))).toEqual([true, true, true, false, false]);
    expect(rankingPreparing(null)).toBe(false);
    expect(rankingText(r('FITTING'))).toBe('Fitting the value model');
    expect(rankingText(r('UNAVAILABLE', 'forecast: not enough data to fit'))).toBe('No predicted values: forecast: not enough data to fit');
    expect(rankingText(r('READY'))).toBe('Expected GBP value in the 90 days from 2011-12-10');
    // The rows' predictions are asked again only when they are not as of the ranking's day.
    const row = (asOf: string) => ({ predictedValue: { asOf } });
    expect(rankingAsOfToRefetch(r('READY'), [row('2011-12-10T00:00:00.000Z')])).toBeNull();
    expect(rankingAsOfToRefetch(r('READY'), [row('2011-12-10T15:04:05Z')])).toBe('2011-12-10T00:00:00Z');
    expect(rankingAsOfToRefetch(r('FITTING'), [row('2011-12-10T15:04:05Z')])).toBeNull();
    expect(rankingAsOfToRefetch(r('READY'), [])).toBeNull();
    expect(rankingAsOfToRefetch(null, [row('2011-12-10T15:04:05Z')])).toBeNull();
  });
});

describe('cellSegmentName', () => {
  it('names the cell, the country and the as-of day', () => {
    expect(cellSegmentName(4, 3, '2011-12-09T23:59:59Z', 'GB')).toBe('RFM R4 F3 GB as of 2011-12-09');
    expect(cellSegmentName(5, 1, '2011-12-10T00:00:00.000Z')).toBe('RFM R5 F1 as of 2011-12-10');
    expect(cellSegmentName(1, 1, undefined)).toMatch(/^RFM R1 F1 as of \d{4}-\d\d-\d\d$/);
  });
});
