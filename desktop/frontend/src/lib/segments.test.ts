import { describe, expect, it } from 'vitest';
import {
  builderReducer,
  compileRule,
  describeRule,
  initialRule,
  issuesById,
  newCondition,
  newGroup,
  nodeForServerMessage,
  ruleDepth,
  ruleToBuilder,
  traitValueMode,
  type Condition,
  type CountCond,
  type GroupNode,
  type RuleNode,
  type TraitCond,
} from './segments';

function trait(p: Partial<TraitCond>): TraitCond {
  return { ...(newCondition('trait') as TraitCond), ...p };
}
function count(kind: CountCond['type'], p: Partial<CountCond>): CountCond {
  return { ...(newCondition(kind) as CountCond), ...p };
}
function cond<T extends Condition>(kind: T['type'], p: Partial<T>): T {
  return { ...(newCondition(kind) as T), ...p };
}
const messages = (root: GroupNode) => compileRule(root).issues.map((i) => i.message);

describe('compileRule: state -> SegmentRuleInput', () => {
  it('converts the schema example (orders in 90 days and country DE)', () => {
    const root = newGroup('and', [count('orders', { atLeast: '2', withinDays: '90' }), trait({ field: 'country', op: 'EQ', value: ' DE ' })]);
    expect(compileRule(root)).toMatchObject({
      rule: { and: [{ orders: { atLeast: 2, withinDays: 90 } }, { trait: { field: 'country', op: 'EQ', value: 'DE' } }] },
      issues: [],
    });
  });

  it('a group of one is that rule; nested any-of stays', () => {
    expect(compileRule(newGroup('and', [trait({ value: 'Ng' })])).rule).toEqual({ trait: { field: 'lastName', op: 'EQ', value: 'Ng' } });
    const root = newGroup('and', [
      trait({ field: 'city', op: 'STARTS_WITH', value: 'Ber' }),
      newGroup('or', [cond('consent', { channel: 'sms', granted: true }), cond('identifier', { idType: 'phone', value: '' })]),
    ]);
    expect(compileRule(root).rule).toEqual({
      and: [{ trait: { field: 'city', op: 'STARTS_WITH', value: 'Ber' } }, { or: [{ consent: { channel: 'sms', granted: true } }, { identifier: { type: 'phone' } }] }],
    });
  });

  it('none of: NOT of the one child, or NOT of OR of several', () => {
    expect(compileRule(newGroup('not', [count('tickets', { atLeast: '1', statuses: ['OPEN', 'NEW'] })])).rule).toEqual({
      not: { tickets: { atLeast: 1, statuses: ['OPEN', 'NEW'] } },
    });
    expect(compileRule(newGroup('not', [trait({ value: 'a' }), trait({ value: 'b' })])).rule).toEqual({
      not: { or: [{ trait: { field: 'lastName', op: 'EQ', value: 'a' } }, { trait: { field: 'lastName', op: 'EQ', value: 'b' } }] },
    });
  });

  it('trait value shapes follow the operator', () => {
    const c = (p: Partial<TraitCond>) => compileRule(newGroup('and', [trait(p)])).rule;
    expect(c({ field: 'email', op: 'EXISTS', value: 'ignored' })).toEqual({ trait: { field: 'email', op: 'EXISTS' } });
    expect(c({ field: 'country', op: 'IN', values: 'DE, AT,,CH ' })).toEqual({ trait: { field: 'country', op: 'IN', values: ['DE', 'AT', 'CH'] } });
    expect(c({ field: 'attributes', attrKey: 'tier', op: 'EQ', value: 'gold' })).toEqual({ trait: { field: 'attributes.tier', op: 'EQ', value: 'gold' } });
    expect(c({ field: 'attributes', attrKey: 'score', op: 'GTE', value: '4.5', numeric: true })).toEqual({ trait: { field: 'attributes.score', op: 'GTE', number: 4.5 } });
    expect(c({ field: 'birthDate', op: 'LT', value: '1990-01-01' })).toEqual({ trait: { field: 'birthDate', op: 'LT', value: '1990-01-01' } });
  });

  it('count conditions keep only what is set, channel for interactions and statuses for tickets', () => {
    const c = (x: CountCond) => compileRule(newGroup('and', [x])).rule;
    expect(c(count('interactions', { atLeast: '', atMost: '0', channel: ' web ', statuses: ['OPEN'] }))).toEqual({ interactions: { atMost: 0, channel: 'web' } });
    expect(c(count('orders', { atLeast: '1', channel: 'web' }))).toEqual({ orders: { atLeast: 1 } });
    expect(c(count('tickets', { atLeast: '1', atMost: '3', withinDays: '30', statuses: ['SOLVED'] }))).toEqual({
      tickets: { atLeast: 1, atMost: 3, withinDays: 30, statuses: ['SOLVED'] },
    });
  });

  it('metric and identifier', () => {
    const root = newGroup('or', [cond('metric', { metric: 'NET_REVENUE', op: 'GT', value: '99.5' }), cond('identifier', { idType: ' email ', value: ' a@b.c ' })]);
    expect(compileRule(root).rule).toEqual({ or: [{ metric: { metric: 'NET_REVENUE', op: 'GT', value: 99.5 } }, { identifier: { type: 'email', value: 'a@b.c' } }] });
  });
});

describe('compileRule: validation mirrors the schema docs', () => {
  const one = (n: RuleNode) => messages(newGroup('and', [n]));

  it('needs values where the operator does', () => {
    expect(one(trait({ op: 'EQ', value: '  ' }))).toEqual(['Enter a value.']);
    expect(one(trait({ op: 'IN', values: ' , ' }))).toEqual(['Enter at least one value (comma-separated).']);
    expect(one(trait({ op: 'NOT_EXISTS' }))).toEqual([]);
    expect(one(trait({ op: 'EQ', value: 'é'.repeat(129) }))).toEqual(['The value is longer than 256 bytes.']);
  });

  it('attribute keys are letters, digits and underscores; numbers are for attributes only', () => {
    expect(one(trait({ field: 'attributes', attrKey: 'bad key', value: 'x' }))).toEqual(['Attribute key: a letter, then letters, digits or underscores (at most 64).']);
    expect(one(trait({ field: 'attributes', attrKey: '1st', value: 'x' }))).toHaveLength(1);
    expect(one(trait({ field: 'attributes', attrKey: '', value: 'x' }))).toHaveLength(1);
    expect(one(trait({ field: 'city', numeric: true, op: 'GT', value: '3' }))).toContain('Numeric comparison is for attributes only.');
    expect(one(trait({ field: 'attributes', attrKey: 'n', numeric: true, op: 'GT', value: 'abc' }))).toEqual(['Enter a number.']);
    expect(one(trait({ field: 'nickname', value: 'x' }))).toEqual(['Unknown trait field “nickname”.']);
  });

  it('birth dates are YYYY-MM-DD, except for substring matches', () => {
    expect(one(trait({ field: 'birthDate', op: 'EQ', value: '1.2.1990' }))).toEqual(['Birth dates are YYYY-MM-DD.']);
    expect(one(trait({ field: 'birthDate', op: 'STARTS_WITH', value: '1990' }))).toEqual([]);
    expect(one(trait({ field: 'birthDate', op: 'IN', values: '1990-01-01, 1990' }))).toEqual(['Birth dates are YYYY-MM-DD.']);
  });

  it('metrics compare with EQ, NE, GT, GTE, LT or LTE and a number', () => {
    expect(one(cond('metric', { op: 'CONTAINS', value: '1' }))).toEqual(['A metric compares with is, is not, >, ≥, < or ≤.']);
    expect(one(cond('metric', { op: 'GT', value: '' }))).toEqual(['Enter a number.']);
    expect(one(cond('metric', { metric: 'DAYS_SINCE_LAST_ORDER', op: 'GT', value: '-1' }))).toEqual(['Days must be from 0 to 36500.']);
    expect(one(cond('metric', { op: 'GT', value: '1e13' }))).toEqual(['That number is too large.']);
  });

  it('counts: whole numbers in range, withinDays at least 1, atLeast <= atMost', () => {
    expect(one(count('orders', { atLeast: '1.5' }))).toEqual(['At least must be a whole number from 0 to 1,000,000.']);
    expect(one(count('orders', { atLeast: '-1' }))).toEqual(['At least must be a whole number from 0 to 1,000,000.']);
    expect(one(count('orders', { atLeast: '1', withinDays: '0' }))).toEqual(['Within days must be a whole number from 1 to 3,650.']);
    expect(one(count('orders', { atLeast: '1', withinDays: '3651' }))).toHaveLength(1);
    expect(one(count('orders', { atLeast: '5', atMost: '2' }))).toEqual(['At least is more than at most.']);
    expect(one(count('orders', { atLeast: '', atMost: '' }))).toEqual([]); // the server reads that as at least 1
    expect(compileRule(newGroup('and', [count('orders', { atLeast: '' })])).rule).toEqual({ orders: {} });
    expect(one(count('orders', { atLeast: '1000001' }))).toHaveLength(1);
    expect(one(count('interactions', { atLeast: '1', channel: 'pigeon' }))).toEqual(['Unknown interaction channel “pigeon”.']);
  });

  it('identifier types and consent channels', () => {
    expect(one(cond('identifier', { idType: '' }))).toEqual(['Enter an identifier type, e.g. email.']);
    expect(one(cond('identifier', { idType: 'e mail' }))).toEqual(['An identifier type is letters, digits, “_”, “.” or “-” (at most 64), no spaces.']);
    expect(one(cond('identifier', { idType: 'customer_no' }))).toEqual([]);
    expect(one(cond('consent', { channel: 'fax' }))).toEqual(['Consent channel is one of email, sms, phone, push.']);
    expect(one(cond('consent', { channel: 'sms' }))).toEqual([]);
  });

  it('empty groups are reported on the group; issues are keyed by node', () => {
    const inner = newGroup('or', []);
    const bad = trait({ value: '' });
    const root = newGroup('and', [inner, bad]);
    const r = compileRule(root);
    expect(r.rule).toBeNull();
    const byId = issuesById(r.issues);
    expect(byId.get(inner.id)).toEqual(['An empty group selects nothing; add a condition or remove it.']);
    expect(byId.get(bad.id)).toEqual(['Enter a value.']);
    expect(byId.has(root.id)).toBe(false);
  });
});

describe('limits and server messages', () => {
  it('counts conditions and nesting like the server', () => {
    const many = newGroup('or', Array.from({ length: 51 }, () => trait({ value: 'x' })));
    expect(messages(many)).toEqual(['At most 50 conditions in a rule.']);
    let deep: GroupNode = newGroup('and', [trait({ value: 'x' }), trait({ value: 'y' })]);
    for (let i = 0; i < 7; i++) deep = newGroup(i % 2 ? 'and' : 'or', [deep, trait({ value: 'z' })]);
    expect(ruleDepth(compileRule(newGroup('and', [trait({ value: 'x' })])).rule!)).toBe(1);
    expect(messages(deep)).toEqual(['Groups are nested too deeply (at most 8 levels).']);
  });

  it('finds the row a server validation message is about', () => {
    const a = trait({ value: 'x' });
    const b = cond('metric', { op: 'GT', value: '1' });
    const c = trait({ value: 'y' });
    const inner = newGroup('not', [b, c]);
    const root = newGroup('and', [a, inner]);
    const { paths } = compileRule(root);
    expect(nodeForServerMessage('rule.and[0].trait.field: unknown field "x"', paths)).toBe(a.id);
    expect(nodeForServerMessage('rule.and[1].not.or[0].metric.value: too big', paths)).toBe(b.id);
    expect(nodeForServerMessage('rule.and[1].not.or[1]: whatever', paths)).toBe(c.id);
    expect(nodeForServerMessage('rule.and[1].not: x', paths)).toBe(inner.id);
    expect(nodeForServerMessage('rule: x', paths)).toBe(root.id);
    expect(nodeForServerMessage('something else', paths)).toBeNull();
    // A group of one is its child on the wire, so the child gets the message.
    const only = trait({ value: 'x' });
    expect(nodeForServerMessage('rule.trait.op: bad', compileRule(newGroup('and', [only])).paths)).toBe(only.id);
  });
});

describe('builderReducer', () => {
  it('adds, edits, re-kinds and removes nodes anywhere in the tree', () => {
    let root = initialRule();
    const first = root.children[0] as TraitCond;
    root = builderReducer(root, { type: 'add-group', groupId: root.id, op: 'or' });
    const group = root.children[1] as GroupNode;
    root = builderReducer(root, { type: 'add-condition', groupId: group.id, kind: 'orders' });
    expect((root.children[1] as GroupNode).children.map((c) => c.type)).toEqual(['trait', 'orders']);

    root = builderReducer(root, { type: 'update', id: first.id, patch: { value: 'Ng' } });
    expect((root.children[0] as TraitCond).value).toBe('Ng');

    const orders = (root.children[1] as GroupNode).children[1];
    root = builderReducer(root, { type: 'change-kind', id: orders.id, kind: 'consent' });
    const consent = (root.children[1] as GroupNode).children[1];
    expect(consent).toMatchObject({ type: 'consent', id: orders.id, channel: 'email', granted: true });

    root = builderReducer(root, { type: 'set-op', groupId: group.id, op: 'not' });
    expect((root.children[1] as GroupNode).op).toBe('not');

    root = builderReducer(root, { type: 'remove', id: group.id });
    expect(root.children).toHaveLength(1);
    expect(builderReducer(root, { type: 'remove', id: root.id })).toBe(root); // the root stays
  });

  it('keeps untouched subtrees identical (cheap re-renders)', () => {
    const root = newGroup('and', [newGroup('or', [trait({ value: 'x' })]), trait({ value: 'y' })]);
    const next = builderReducer(root, { type: 'update', id: (root.children[1] as TraitCond).id, patch: { value: 'z' } });
    expect(next.children[0]).toBe(root.children[0]);
  });
});

describe('ruleToBuilder', () => {
  it('round-trips through compileRule', () => {
    const rules = [
      { and: [{ orders: { atLeast: 2, withinDays: 90 } }, { trait: { field: 'country', op: 'EQ', value: 'DE' } }] },
      { or: [{ trait: { field: 'attributes.score', op: 'GT', number: 3 } }, { not: { identifier: { type: 'email' } } }] },
      { not: { or: [{ consent: { channel: 'sms', granted: false } }, { tickets: { atMost: 0, statuses: ['OPEN'] } }] } },
      { and: [{ trait: { field: 'country', op: 'IN', values: ['DE', 'AT'] } }, { metric: { metric: 'AOV', op: 'LTE', value: 20 } }, { interactions: { atLeast: 1, channel: 'web' } }] },
    ];
    for (const r of rules) expect(compileRule(ruleToBuilder(r)).rule).toEqual(r);
  });

  it('wraps a single condition in an all-of group and rejects junk', () => {
    const b = ruleToBuilder({ trait: { field: 'city', op: 'EXISTS' } });
    expect(b.op).toBe('and');
    expect(b.children[0]).toMatchObject({ type: 'trait', field: 'city', op: 'EXISTS' });
    expect(() => ruleToBuilder({ and: [], or: [] })).toThrow();
    expect(() => ruleToBuilder({ bogus: {} })).toThrow(/unknown/);
  });

  it('describes a saved rule in one line', () => {
    expect(describeRule({ and: [{ orders: { atLeast: 2, withinDays: 90 } }, { trait: { field: 'country', op: 'EQ', value: 'DE' } }] })).toBe(
      '≥ 2 orders in 90 days and country is DE',
    );
    expect(describeRule('nope')).toBe('(rule not shown)');
  });
});

it('traitValueMode picks the input for the operator', () => {
  expect(traitValueMode({ op: 'EXISTS', field: 'email', numeric: false })).toBe('none');
  expect(traitValueMode({ op: 'NOT_IN', field: 'email', numeric: false })).toBe('list');
  expect(traitValueMode({ op: 'GT', field: 'attributes', numeric: true })).toBe('number');
  expect(traitValueMode({ op: 'CONTAINS', field: 'attributes', numeric: true })).toBe('text');
});
