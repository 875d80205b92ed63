// The segment rule builder's state: a tree of groups (all of / any of / none of) and
// condition rows, edited as strings the way the inputs hold them. compileRule turns it
// into a SegmentRuleInput and checks it against the rules schema.graphqls documents, so
// the preview is only asked for rules the server can accept.
import type { ConditionOp, SegmentMetric, SegmentRuleInput, TicketStatus } from '../gql/graphql';

export type CondKind = 'trait' | 'identifier' | 'metric' | 'orders' | 'interactions' | 'tickets' | 'consent';
/** and = all of, or = any of, not = none of (NOT over OR of the children). */
export type GroupOp = 'and' | 'or' | 'not';

export interface GroupNode {
  type: 'group';
  id: string;
  op: GroupOp;
  children: RuleNode[];
}

export interface TraitCond {
  type: 'trait';
  id: string;
  /** One of TRAIT_FIELDS, or 'attributes' with attrKey. */
  field: string;
  attrKey: string;
  op: ConditionOp;
  value: string;
  /** Comma-separated, for IN / NOT_IN. */
  values: string;
  /** Compare numerically (attributes only): sends `number` instead of `value`. */
  numeric: boolean;
}

export interface IdentifierCond {
  type: 'identifier';
  id: string;
  idType: string;
  value: string;
}

export interface MetricCond {
  type: 'metric';
  id: string;
  metric: SegmentMetric;
  op: ConditionOp;
  value: string;
}

export interface CountCond {
  type: 'orders' | 'interactions' | 'tickets';
  id: string;
  atLeast: string;
  atMost: string;
  withinDays: string;
  /** interactions only */
  channel: string;
  /** tickets only */
  statuses: TicketStatus[];
}

export interface ConsentCond {
  type: 'consent';
  id: string;
  channel: string;
  granted: boolean;
}

export type Condition = TraitCond | IdentifierCond | MetricCond | CountCond | ConsentCond;
export type RuleNode = GroupNode | Condition;

export const COND_KINDS: { kind: CondKind; label: string }[] = [
  { kind: 'trait', label: 'Trait' },
  { kind: 'identifier', label: 'Identifier' },
  { kind: 'metric', label: 'Metric' },
  { kind: 'orders', label: 'Orders' },
  { kind: 'interactions', label: 'Interactions' },
  { kind: 'tickets', label: 'Tickets' },
  { kind: 'consent', label: 'Consent' },
];

export const GROUP_OPS: { op: GroupOp; label: string }[] = [
  { op: 'and', label: 'All of' },
  { op: 'or', label: 'Any of' },
  { op: 'not', label: 'None of' },
];

/** Trait fields the server knows (TraitConditionInput.field), besides attributes.<key>. */
export const TRAIT_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'birthDate', 'locale', 'city', 'postcode', 'country'] as const;
export const ATTRIBUTES = 'attributes';

export const TRAIT_OPS: ConditionOp[] = ['EQ', 'NE', 'CONTAINS', 'STARTS_WITH', 'IN', 'NOT_IN', 'EXISTS', 'NOT_EXISTS', 'GT', 'GTE', 'LT', 'LTE'];
export const COMPARE_OPS: ConditionOp[] = ['EQ', 'NE', 'GT', 'GTE', 'LT', 'LTE'];
export const OP_LABELS: Record<ConditionOp, string> = {
  EQ: 'is',
  NE: 'is not',
  IN: 'is one of',
  NOT_IN: 'is none of',
  EXISTS: 'is set',
  NOT_EXISTS: 'is not set',
  CONTAINS: 'contains',
  STARTS_WITH: 'starts with',
  GT: '>',
  GTE: '≥',
  LT: '<',
  LTE: '≤',
};

export const METRICS: { metric: SegmentMetric; label: string }[] = [
  { metric: 'ORDERS', label: 'Orders' },
  { metric: 'NET_REVENUE', label: 'Net revenue' },
  { metric: 'AOV', label: 'Average order value' },
  { metric: 'RFM_RECENCY', label: 'RFM recency' },
  { metric: 'RFM_FREQUENCY', label: 'RFM frequency' },
  { metric: 'RFM_MONETARY', label: 'RFM monetary' },
  { metric: 'DAYS_SINCE_LAST_ORDER', label: 'Days since last order' },
  { metric: 'INTERACTIONS', label: 'Interactions' },
];

export const TICKET_STATUSES: TicketStatus[] = ['NEW', 'OPEN', 'PENDING', 'ON_HOLD', 'SOLVED', 'CLOSED'];
/** What the server accepts for consent_<channel> and interaction channels. */
export const CONSENT_CHANNELS = ['email', 'sms', 'phone', 'push'];
export const INTERACTION_CHANNELS = ['email', 'chat', 'social', 'web', 'support'];

/** The server's limits on a rule (internal/segment/validate.go). */
export const LIMITS = {
  depth: 8,
  conditions: 50,
  values: 500,
  valueBytes: 256,
  withinDays: 3650,
  count: 1_000_000,
  metric: 1e12,
  days: 36500,
};

// ---------------------------------------------------------------- constructors

let nextId = 0;
export function newId(): string {
  return `n${++nextId}`;
}

export function newGroup(op: GroupOp = 'and', children: RuleNode[] = []): GroupNode {
  return { type: 'group', id: newId(), op, children };
}

export function newCondition(kind: CondKind, id = newId()): Condition {
  switch (kind) {
    case 'trait':
      return { type: 'trait', id, field: 'lastName', attrKey: '', op: 'EQ', value: '', values: '', numeric: false };
    case 'identifier':
      return { type: 'identifier', id, idType: 'email', value: '' };
    case 'metric':
      return { type: 'metric', id, metric: 'NET_REVENUE', op: 'GTE', value: '' };
    case 'orders':
    case 'interactions':
    case 'tickets':
      return { type: kind, id, atLeast: '1', atMost: '', withinDays: '', channel: '', statuses: [] };
    case 'consent':
      return { type: 'consent', id, channel: 'email', granted: true };
  }
}

/** An empty builder: "all of" with one trait row. */
export function initialRule(): GroupNode {
  return newGroup('and', [newCondition('trait')]);
}

// ---------------------------------------------------------------- editing

export type BuilderAction =
  | { type: 'add-condition'; groupId: string; kind: CondKind }
  | { type: 'add-group'; groupId: string; op: GroupOp }
  | { type: 'remove'; id: string }
  | { type: 'set-op'; groupId: string; op: GroupOp }
  | { type: 'change-kind'; id: string; kind: CondKind }
  | { type: 'update'; id: string; patch: Partial<Condition> }
  | { type: 'reset'; root: GroupNode };

function mapTree(node: RuleNode, f: (n: RuleNode) => RuleNode | null): RuleNode | null {
  const m = f(node);
  if (m === null || m.type !== 'group') return m;
  const children = m.children.map((c) => mapTree(c, f)).filter((c): c is RuleNode => c !== null);
  return children.length === m.children.length && children.every((c, i) => c === m.children[i]) ? m : { ...m, children };
}

export function builderReducer(root: GroupNode, a: BuilderAction): GroupNode {
  if (a.type === 'reset') return a.root;
  if (a.type === 'remove' && a.id === root.id) return root; // the root group stays
  const next = mapTree(root, (n) => {
    switch (a.type) {
      case 'add-condition':
        return n.type === 'group' && n.id === a.groupId ? { ...n, children: [...n.children, newCondition(a.kind)] } : n;
      case 'add-group':
        return n.type === 'group' && n.id === a.groupId ? { ...n, children: [...n.children, newGroup(a.op, [newCondition('trait')])] } : n;
      case 'remove':
        return n.id === a.id ? null : n;
      case 'set-op':
        return n.type === 'group' && n.id === a.groupId ? { ...n, op: a.op } : n;
      case 'change-kind':
        return n.type !== 'group' && n.id === a.id && n.type !== a.kind ? newCondition(a.kind, n.id) : n;
      case 'update':
        return n.type !== 'group' && n.id === a.id ? ({ ...n, ...a.patch, id: n.id, type: n.type } as Condition) : n;
    }
  });
  return next as GroupNode;
}

// ---------------------------------------------------------------- validation + conversion

export interface Issue {
  /** The node the message belongs next to. */
  id: string;
  message: string;
}

export interface Compiled {
  /** null while there are issues. */
  rule: SegmentRuleInput | null;
  issues: Issue[];
  /** Path of each node in the rule as the server names it ("rule.and[1]") -> node id. */
  paths: Map<string, string>;
}

const ATTR_KEY_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const ID_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export function splitValues(s: string): string[] {
  return s
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A finite number, or undefined for "not a number"; '' is null ("not given"). */
function parseNumber(s: string): number | null | undefined {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function parseCount(s: string, label: string, min: number, max: number, issues: string[]): number | undefined {
  const n = parseNumber(s);
  if (n === null) return undefined;
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
    issues.push(`${label} must be a whole number from ${min} to ${max.toLocaleString('en')}.`);
    return undefined;
  }
  return n;
}

function checkString(v: string, label: string, issues: string[]) {
  if (utf8Length(v) > LIMITS.valueBytes) issues.push(`${label} is longer than ${LIMITS.valueBytes} bytes.`);
}

export function traitFieldPath(c: Pick<TraitCond, 'field' | 'attrKey'>): string {
  return c.field === ATTRIBUTES ? `${ATTRIBUTES}.${c.attrKey.trim()}` : c.field;
}

/** What the value input of a trait row looks like for its op. */
export function traitValueMode(c: Pick<TraitCond, 'op' | 'field' | 'numeric'>): 'none' | 'list' | 'number' | 'text' {
  if (c.op === 'EXISTS' || c.op === 'NOT_EXISTS') return 'none';
  if (c.op === 'IN' || c.op === 'NOT_IN') return 'list';
  if (c.field === ATTRIBUTES && c.numeric && COMPARE_OPS.includes(c.op)) return 'number';
  return 'text';
}

function compileCondition(c: Condition, issues: string[]): SegmentRuleInput {
  switch (c.type) {
    case 'trait': {
      if (c.field === ATTRIBUTES) {
        if (!ATTR_KEY_RE.test(c.attrKey.trim())) issues.push('Attribute key: a letter, then letters, digits or underscores (at most 64).');
      } else if (!(TRAIT_FIELDS as readonly string[]).includes(c.field)) {
        issues.push(`Unknown trait field “${c.field}”.`);
      }
      if (!TRAIT_OPS.includes(c.op)) issues.push('Pick an operator.');
      if (c.numeric && c.field !== ATTRIBUTES) issues.push('Numeric comparison is for attributes only.');
      if (c.numeric && !COMPARE_OPS.includes(c.op)) issues.push('A number compares with is, is not, >, ≥, < or ≤.');
      const field = traitFieldPath(c);
      const mode = traitValueMode(c);
      if (mode === 'none') return { trait: { field, op: c.op } };
      if (mode === 'list') {
        const values = splitValues(c.values);
        if (values.length === 0) issues.push('Enter at least one value (comma-separated).');
        if (values.length > LIMITS.values) issues.push(`At most ${LIMITS.values} values.`);
        if (values.some((v) => utf8Length(v) > LIMITS.valueBytes)) issues.push(`A value is longer than ${LIMITS.valueBytes} bytes.`);
        if (c.field === 'birthDate' && values.some((v) => !DATE_RE.test(v))) issues.push('Birth dates are YYYY-MM-DD.');
        return { trait: { field, op: c.op, values } };
      }
      if (mode === 'number') {
        const n = parseNumber(c.value);
        if (n === null || n === undefined) issues.push('Enter a number.');
        return { trait: { field, op: c.op, number: n ?? 0 } };
      }
      const value = c.value.trim();
      if (value === '') issues.push('Enter a value.');
      else if (c.field === 'birthDate' && c.op !== 'CONTAINS' && c.op !== 'STARTS_WITH' && !DATE_RE.test(value)) issues.push('Birth dates are YYYY-MM-DD.');
      checkString(value, 'The value', issues);
      return { trait: { field, op: c.op, value } };
    }
    case 'identifier': {
      const type = c.idType.trim();
      if (type === '') issues.push('Enter an identifier type, e.g. email.');
      else if (!ID_TYPE_RE.test(type)) issues.push('An identifier type is letters, digits, “_”, “.” or “-” (at most 64), no spaces.');
      const value = c.value.trim();
      checkString(value, 'The value', issues);
      return { identifier: value ? { type, value } : { type } };
    }
    case 'metric': {
      if (!COMPARE_OPS.includes(c.op)) issues.push('A metric compares with is, is not, >, ≥, < or ≤.');
      const n = parseNumber(c.value);
      if (n === null || n === undefined) issues.push('Enter a number.');
      else if (Math.abs(n) > LIMITS.metric) issues.push('That number is too large.');
      else if (c.metric === 'DAYS_SINCE_LAST_ORDER' && (n < 0 || n > LIMITS.days)) issues.push(`Days must be from 0 to ${LIMITS.days}.`);
      return { metric: { metric: c.metric, op: c.op, value: n ?? 0 } };
    }
    case 'orders':
    case 'interactions':
    case 'tickets': {
      const atLeast = parseCount(c.atLeast, 'At least', 0, LIMITS.count, issues);
      const atMost = parseCount(c.atMost, 'At most', 0, LIMITS.count, issues);
      const withinDays = parseCount(c.withinDays, 'Within days', 1, LIMITS.withinDays, issues);
      if (c.type === 'interactions' && c.channel.trim() && !INTERACTION_CHANNELS.includes(c.channel.trim())) issues.push(`Unknown interaction channel “${c.channel.trim()}”.`);
      if (atLeast !== undefined && atMost !== undefined && atLeast > atMost) issues.push('At least is more than at most.');
      const count: NonNullable<SegmentRuleInput['orders']> = {};
      if (atLeast !== undefined) count.atLeast = atLeast;
      if (atMost !== undefined) count.atMost = atMost;
      if (withinDays !== undefined) count.withinDays = withinDays;
      if (c.type === 'interactions' && c.channel.trim()) count.channel = c.channel.trim();
      if (c.type === 'tickets' && c.statuses.length) count.statuses = [...c.statuses];
      return { [c.type]: count };
    }
    case 'consent': {
      const channel = c.channel.trim();
      if (!CONSENT_CHANNELS.includes(channel)) issues.push(`Consent channel is one of ${CONSENT_CHANNELS.join(', ')}.`);
      return { consent: { channel, granted: c.granted } };
    }
  }
}

interface Ctx {
  issues: Issue[];
  paths: Map<string, string>;
  conditions: number;
}

function compileNode(n: RuleNode, path: string, cx: Ctx): SegmentRuleInput {
  cx.paths.set(path, n.id);
  if (n.type !== 'group') {
    cx.conditions++;
    const msgs: string[] = [];
    const rule = compileCondition(n, msgs);
    for (const message of msgs) cx.issues.push({ id: n.id, message });
    return rule;
  }
  if (n.children.length === 0) cx.issues.push({ id: n.id, message: 'An empty group selects nothing; add a condition or remove it.' });
  // Children's paths are where the server will see them after the shaping below.
  if (n.op === 'not') {
    if (n.children.length === 1) return { not: compileNode(n.children[0], `${path}.not`, cx) };
    return { not: { or: n.children.map((c, i) => compileNode(c, `${path}.not.or[${i}]`, cx)) } };
  }
  // A group of one is that one rule.
  if (n.children.length === 1) {
    const only = compileNode(n.children[0], path, cx);
    cx.paths.set(path, n.children[0].id); // the server's message is about the child
    return only;
  }
  const children = n.children.map((c, i) => compileNode(c, `${path}.${n.op}[${i}]`, cx));
  return n.op === 'and' ? { and: children } : { or: children };
}

/** Nesting depth as the server counts it (the root is 1). */
export function ruleDepth(r: SegmentRuleInput): number {
  const kids = r.and ?? r.or ?? (r.not ? [r.not] : []);
  return 1 + Math.max(0, ...kids.map(ruleDepth));
}

export function compileRule(root: GroupNode): Compiled {
  const cx: Ctx = { issues: [], paths: new Map(), conditions: 0 };
  const rule = compileNode(root, 'rule', cx);
  if (cx.conditions > LIMITS.conditions) cx.issues.push({ id: root.id, message: `At most ${LIMITS.conditions} conditions in a rule.` });
  if (ruleDepth(rule) > LIMITS.depth) cx.issues.push({ id: root.id, message: `Groups are nested too deeply (at most ${LIMITS.depth} levels).` });
  return { rule: cx.issues.length ? null : rule, issues: cx.issues, paths: cx.paths };
}

/**
 * The builder row a server validation message is about: its messages start with the
 * path of the offending part ("rule.and[1].trait.field: unknown field"); the longest
 * known node path that prefixes it wins.
 */
export function nodeForServerMessage(message: string, paths: Map<string, string>): string | null {
  const m = /^(rule[\w.[\]]*):/.exec(message.trim());
  if (!m) return null;
  let p = m[1];
  for (;;) {
    const id = paths.get(p);
    if (id) return id;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return null;
    p = p.slice(0, cut);
  }
}

/** Issues grouped by node id, for showing next to each row. */
export function issuesById(issues: Issue[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const i of issues) m.set(i.id, [...(m.get(i.id) ?? []), i.message]);
  return m;
}

// ---------------------------------------------------------------- back from a saved rule

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function parseNode(v: unknown): RuleNode {
  if (!isObj(v)) throw new Error('not a rule object');
  const keys = Object.keys(v).filter((k) => v[k] !== null && v[k] !== undefined);
  if (keys.length !== 1) throw new Error(`a rule node has exactly one field, got ${keys.join(', ') || 'none'}`);
  const k = keys[0];
  const x = v[k];
  switch (k) {
    case 'and':
    case 'or':
      if (!Array.isArray(x)) throw new Error(`${k} is not a list`);
      return newGroup(k, x.map(parseNode));
    case 'not': {
      if (isObj(x) && Array.isArray(x.or) && Object.keys(x).length === 1) return newGroup('not', x.or.map(parseNode));
      return newGroup('not', [parseNode(x)]);
    }
  }
  if (!isObj(x)) throw new Error(`${k} is not an object`);
  switch (k) {
    case 'trait': {
      const path = str(x.field);
      const isAttr = path.startsWith(`${ATTRIBUTES}.`);
      const hasNumber = typeof x.number === 'number';
      return {
        ...(newCondition('trait') as TraitCond),
        field: isAttr ? ATTRIBUTES : path,
        attrKey: isAttr ? path.slice(ATTRIBUTES.length + 1) : '',
        op: str(x.op) as ConditionOp,
        value: hasNumber ? String(x.number) : str(x.value),
        values: Array.isArray(x.values) ? x.values.map(str).join(', ') : '',
        numeric: hasNumber,
      };
    }
    case 'identifier':
      return { ...(newCondition('identifier') as IdentifierCond), idType: str(x.type), value: str(x.value) };
    case 'metric':
      return { ...(newCondition('metric') as MetricCond), metric: str(x.metric) as SegmentMetric, op: str(x.op) as ConditionOp, value: str(x.value) };
    case 'orders':
    case 'interactions':
    case 'tickets':
      return {
        ...(newCondition(k) as CountCond),
        atLeast: str(x.atLeast),
        atMost: str(x.atMost),
        withinDays: str(x.withinDays),
        channel: str(x.channel),
        statuses: Array.isArray(x.statuses) ? (x.statuses.map(str) as TicketStatus[]) : [],
      };
    case 'consent':
      return { ...(newCondition('consent') as ConsentCond), channel: str(x.channel), granted: x.granted === true };
  }
  throw new Error(`unknown rule field ${k}`);
}

/** A saved rule (Segment.rule) as builder state; the root is always a group. */
export function ruleToBuilder(rule: unknown): GroupNode {
  const n = parseNode(rule);
  return n.type === 'group' ? n : newGroup('and', [n]);
}

/** Stable text of a rule, to skip asking for the same preview twice. */
export function ruleKey(rule: SegmentRuleInput): string {
  return JSON.stringify(rule);
}

/** A one-line summary of a saved rule, for the segment list. */
export function describeRule(rule: unknown): string {
  try {
    return describeNode(parseNode(rule));
  } catch {
    return '(rule not shown)';
  }
}

function describeNode(n: RuleNode): string {
  if (n.type === 'group') {
    const parts = n.children.map((c) => (c.type === 'group' && n.children.length > 1 ? `(${describeNode(c)})` : describeNode(c)));
    if (n.op === 'not') return `not ${parts.length > 1 ? `(${parts.join(' or ')})` : parts[0]}`;
    return parts.join(n.op === 'and' ? ' and ' : ' or ');
  }
  switch (n.type) {
    case 'trait': {
      const mode = traitValueMode(n);
      const v = mode === 'none' ? '' : mode === 'list' ? ` ${splitValues(n.values).join(', ')}` : ` ${n.value}`;
      return `${traitFieldPath(n)} ${OP_LABELS[n.op] ?? n.op}${v}`;
    }
    case 'identifier':
      return `has ${n.idType}${n.value ? ` ${n.value}` : ''}`;
    case 'metric':
      return `${METRICS.find((m) => m.metric === n.metric)?.label ?? n.metric} ${OP_LABELS[n.op] ?? n.op} ${n.value}`;
    case 'consent':
      return `consent ${n.channel} ${n.granted ? 'granted' : 'not granted'}`;
    default: {
      // Both bounds unset means at least 1 (the server's rule).
      const range =
        n.atLeast && n.atMost ? `${n.atLeast}–${n.atMost}` : n.atLeast ? `≥ ${n.atLeast}` : n.atMost === '0' ? 'no' : n.atMost ? `≤ ${n.atMost}` : '≥ 1';
      const within = n.withinDays ? ` in ${n.withinDays} days` : '';
      return `${range} ${n.type}${within}`;
    }
  }
}
