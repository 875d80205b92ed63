import { describe, expect, it } from 'vitest';
import { parseMappings } from './mapping';

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
