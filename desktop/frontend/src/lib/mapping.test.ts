import { describe, expect, it } from 'vitest';
import { formatMappings, parseMappings, sourceUpdateInput } from './mapping';

describe('parseMappings', () => {
  it('accepts : = and -> separated pairs, by comma or newline', () => {
    expect(parseMappings('email:email, mobile = phone\nshop_id -> customer_id').mappings).toEqual([
      { field: 'email', target: 'email' },
      { field: 'mobile', target: 'phone' },
      { field: 'shop_id', target: 'customer_id' },
    ]);
  });
  it('reports malformed and repeated fields', () => {
    const { mappings, errors } = parseMappings('email, a:b, a:c');
    expect(mappings).toEqual([{ field: 'a', target: 'b' }]);
    expect(errors).toEqual(['"email" is not field:target', 'field "a" is mapped twice']);
  });
});

describe('source edit form', () => {
  it('formats mappings as the parser reads them', () => {
    const ms = [
      { field: 'email', target: 'email' },
      { field: 'member', target: 'loyalty_card' },
    ];
    expect(parseMappings(formatMappings(ms)).mappings).toEqual(ms);
  });
  it('builds updateSource input with the revision it was loaded at', () => {
    const { input, errors } = sourceUpdateInput({ kind: 'CRM', priority: 3, identifiers: 'mail:email', traits: '' }, 4);
    expect(errors).toEqual([]);
    expect(input).toEqual({ kind: 'CRM', priority: 3, identifierFields: [{ field: 'mail', target: 'email' }], traitFields: [], expectedRevision: 4 });
  });
  it('reports bad mappings and a missing identifier', () => {
    expect(sourceUpdateInput({ kind: 'CRM', priority: 0, identifiers: '', traits: 'x' }, 0).errors).toEqual([
      'traits: "x" is not field:target',
      'map at least one payload field to an identifier type',
    ]);
  });
});
