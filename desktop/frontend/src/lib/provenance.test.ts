import { describe, expect, it } from 'vitest';
import { fieldLabel, formatValue, provenanceTooltip, ruleLabel, sortProvenance, type Provenance } from './provenance';

const p = (field: string, receivedAt = '2025-03-04T10:20:00Z'): Provenance => ({
  field,
  value: 'x',
  source: 'shop',
  recordId: `shop:${field}`,
  receivedAt,
  rule: 'MOST_RECENT',
});

describe('provenance formatting', () => {
  it('formats JSON values for display', () => {
    expect(formatValue(null)).toBe('—');
    expect(formatValue(undefined)).toBe('—');
    expect(formatValue('Ann')).toBe('Ann');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(false)).toBe('false');
    expect(formatValue(['a@x.io', 'b@x.io'])).toBe('a@x.io, b@x.io');
    expect(formatValue({ city: 'Oslo' })).toBe('{"city":"Oslo"}');
  });

  it('explains rules in words, passing unknown future rules through', () => {
    expect(ruleLabel('SOURCE_PRIORITY')).toBe('highest-priority source wins');
    expect(ruleLabel('LONGEST_VALUE')).toBe('longest value');
  });

  it('puts source, time, rule and record in the tooltip', () => {
    const t = provenanceTooltip({ ...p('firstName'), rule: 'FIRST_SEEN' }, 'en-GB');
    expect(t).toMatch(/^from shop, received 4 Mar 2025/);
    expect(t).toContain('rule: first value seen wins');
    expect(t).toContain('record: shop:firstName');
  });

  it('orders well-known traits first, then alphabetically, then by time', () => {
    const sorted = sortProvenance([p('zeta'), p('email', '2025-02-01T00:00:00Z'), p('email', '2025-01-01T00:00:00Z'), p('alpha'), p('firstName')]);
    expect(sorted.map((x) => `${x.field}@${x.receivedAt.slice(5, 7)}`)).toEqual(['firstName@03', 'email@01', 'email@02', 'alpha@03', 'zeta@03']);
  });

  it('labels fields', () => {
    expect(fieldLabel('firstName')).toBe('First name');
    expect(fieldLabel('birth_date')).toBe('Birth date');
    expect(fieldLabel('attributes.loyaltyTier')).toBe('Attributes › loyaltyTier');
  });
});
