import { describe, expect, it } from 'vitest';
import { formatCsat, formatRate, formatUnmatched, returnRateBars, rowLabel, truncate } from './quality';

describe('quality labels', () => {
  it('truncates with an ellipsis and keeps short text', () => {
    expect(truncate('Lantern', 10)).toBe('Lantern');
    expect(truncate('SET/3 OCEAN SCENT CANDLE JEWEL BOX', 12)).toBe('SET/3 OCEAN…');
    expect(truncate('a   b', 10)).toBe('a b');
  });
  it('labels products with their SKU and categories by name', () => {
    expect(rowLabel({ key: 'A1', sku: 'A1', name: 'Lantern', category: 'Lights', returnRate: 0, ticketsPer100Orders: 0 })).toBe('Lantern (A1)');
    const long = rowLabel({ key: '72807B', sku: '72807B', name: 'SET/3 OCEAN SCENT CANDLE JEWEL BOX', category: 'x', returnRate: 0, ticketsPer100Orders: 0 });
    expect(long.endsWith('… (72807B)')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(28);
    expect(rowLabel({ key: 'X', sku: 'X', name: '', category: 'x', returnRate: 0, ticketsPer100Orders: 0 })).toBe('X');
    expect(rowLabel({ key: 'Lights', sku: null, name: 'Lights', category: 'Lights', returnRate: 0, ticketsPer100Orders: 0 })).toBe('Lights');
  });
  it('formats rates and CSAT', () => {
    expect(formatRate(0.1234)).toBe('12.3%');
    expect(formatRate(16.712)).toBe('1671.2%');
    expect(formatCsat(null)).toBe('–');
    expect(formatCsat(3.456)).toBe('3.46');
  });
  it('formats unmatched returns with their credit notes', () => {
    expect(formatUnmatched(0, 0)).toBe('–');
    expect(formatUnmatched(1440, 2)).toBe('1,440 in 2');
  });
});

describe('return-rate bars', () => {
  const row = (key: string, returnRate: number) => ({ key, sku: key, name: `N${key}`, category: 'c', returnRate, ticketsPer100Orders: 0 });
  it('takes the first n rows in percent on a 0-100% axis', () => {
    const b = returnRateBars([row('a', 0.5), row('b', 0.254), row('c', 0.1)], 2);
    expect(b.labels).toEqual(['Na (a)', 'Nb (b)']);
    expect(b.values).toEqual([50, 25.4]);
    expect(b.rates).toEqual([50, 25.4]);
    expect(b.max).toBe(100);
  });
  it('draws a period rate over 100% at the edge and keeps its value', () => {
    const b = returnRateBars([row('a', 1.25), row('b', 1)], 5);
    expect(b.values).toEqual([100, 100]);
    expect(b.rates).toEqual([125, 100]);
  });
  it('has an axis without rows', () => {
    expect(returnRateBars([], 10)).toEqual({ labels: [], values: [], rates: [], max: 100 });
  });
});
