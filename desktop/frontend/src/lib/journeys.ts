// Journeys (issue 16): the builder's form and its JourneyDefinitionInput, and the step
// tree a saved definition is drawn as. Pure, so the screens only draw.
import type {
  JourneyAttributeOp,
  JourneyDefinitionInput,
  JourneyReentryMode,
  JourneyStepInput,
  JourneyStepKind,
  JourneyTriggerKind,
} from '../gql/graphql';

export const STEP_KINDS: { kind: JourneyStepKind; label: string }[] = [
  { kind: 'WAIT', label: 'Wait' },
  { kind: 'BRANCH', label: 'Branch on a rule' },
  { kind: 'SPLIT', label: 'Random split with holdout' },
  { kind: 'SEND_EMAIL', label: 'Send e-mail' },
  { kind: 'WEBHOOK', label: 'Call a webhook' },
  { kind: 'ATTRIBUTE', label: 'Change an attribute or tag' },
  { kind: 'CREATE_TICKET', label: 'Create a ticket' },
  { kind: 'EXIT', label: 'Exit' },
];

export const TRIGGER_KINDS: { kind: JourneyTriggerKind; label: string }[] = [
  { kind: 'SEGMENT_ENTERED', label: 'Enters a segment' },
  { kind: 'SEGMENT_EXITED', label: 'Leaves a segment' },
  { kind: 'INTERACTION', label: 'An interaction of a type' },
  { kind: 'ORDER_PLACED', label: 'Places an order' },
  { kind: 'TICKET_SOLVED', label: 'A ticket is solved' },
  { kind: 'TICKET_RATED', label: 'A ticket is rated' },
];

export const ATTRIBUTE_OPS: JourneyAttributeOp[] = ['SET', 'REMOVE', 'ADD_TAG', 'REMOVE_TAG'];

export function stepKindLabel(kind: string): string {
  return STEP_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

/** One step of the builder; every kind's fields are kept so switching kinds loses nothing. */
export interface StepForm {
  id: string;
  kind: JourneyStepKind;
  waitMinutes: string;
  /** BRANCH: a SegmentRuleInput as JSON; matching customers go on, the others to `no`. */
  rule: string;
  /** BRANCH: the step id the non-matching go to ("" ends their run). */
  no: string;
  /** SPLIT: share kept as the holdout (their run ends: the goal's control group). */
  holdoutPercent: string;
  subject: string;
  text: string;
  html: string;
  url: string;
  attrOp: JourneyAttributeOp;
  attrKey: string;
  attrValue: string;
  ticketSubject: string;
  ticketBody: string;
  ticketPriority: string;
}

export interface JourneyForm {
  name: string;
  triggerKind: JourneyTriggerKind;
  segmentId: string;
  interactionType: string;
  channel: string;
  steps: StepForm[];
  reentry: JourneyReentryMode;
  reentryDays: string;
  goalDays: string;
}

/** A step id not used yet in `steps`: "wait-1", "wait-2"... */
export function nextStepId(kind: JourneyStepKind, steps: { id: string }[]): string {
  const base = kind.toLowerCase().replace(/_/g, '-');
  for (let n = 1; ; n++) {
    const id = `${base}-${n}`;
    if (!steps.some((s) => s.id === id)) return id;
  }
}

export function newStep(kind: JourneyStepKind, steps: { id: string }[]): StepForm {
  return {
    id: nextStepId(kind, steps),
    kind,
    waitMinutes: '1440',
    rule: '{"orders": {"atLeast": 1, "withinDays": 30}}',
    no: '',
    holdoutPercent: '10',
    subject: 'Hello {{customer.firstName}}',
    text: 'Hi {{customer.firstName}},\n\nWe thought of you.',
    html: '',
    url: 'https://',
    attrOp: 'ADD_TAG',
    attrKey: '',
    attrValue: '',
    ticketSubject: 'Follow up with {{customer.name}}',
    ticketBody: '',
    ticketPriority: 'normal',
  };
}

export function emptyJourneyForm(): JourneyForm {
  const wait = newStep('WAIT', []);
  return {
    name: '',
    triggerKind: 'SEGMENT_ENTERED',
    segmentId: '',
    interactionType: '',
    channel: '',
    steps: [wait, newStep('EXIT', [wait])],
    reentry: 'NEVER',
    reentryDays: '30',
    goalDays: '7',
  };
}

export function addStep(steps: StepForm[], kind: JourneyStepKind): StepForm[] {
  return [...steps, newStep(kind, steps)];
}

/** Removes a step; branches that went to it end there instead. */
export function removeStep(steps: StepForm[], id: string): StepForm[] {
  return steps.filter((s) => s.id !== id).map((s) => (s.no === id ? { ...s, no: '' } : s));
}

export function moveStep(steps: StepForm[], index: number, by: -1 | 1): StepForm[] {
  const to = index + by;
  if (index < 0 || index >= steps.length || to < 0 || to >= steps.length) return steps;
  const out = [...steps];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

function int(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isInteger(n) ? n : NaN;
}

export type JourneyErrors = { form?: string; name?: string; trigger?: string } & Record<string, string | undefined>;

/**
 * The definition of a form: steps run in list order (each one's next is the one below;
 * an EXIT ends the run), a branch's matching customers go on and the others to its
 * chosen step, a split's holdout arm ends. Errors are keyed by field or step id.
 */
export function formToDefinition(f: JourneyForm): { input: { name: string; definition: JourneyDefinitionInput }; errors: JourneyErrors } {
  const errors: JourneyErrors = {};
  if (!f.name.trim()) errors.name = 'Name the journey.';
  const segmentTrigger = f.triggerKind === 'SEGMENT_ENTERED' || f.triggerKind === 'SEGMENT_EXITED';
  if (segmentTrigger && !f.segmentId) errors.trigger = 'Pick the segment.';
  if (f.triggerKind === 'INTERACTION' && !f.interactionType.trim()) errors.trigger = 'Name the interaction type.';
  if (f.steps.length === 0) errors.form = 'Add at least one step.';
  const steps: JourneyStepInput[] = f.steps.map((s, i) => {
    const following = f.steps[i + 1]?.id ?? null;
    const step: JourneyStepInput = { id: s.id, kind: s.kind, next: s.kind === 'EXIT' || s.kind === 'BRANCH' || s.kind === 'SPLIT' ? null : following };
    const fail = (msg: string) => (errors[s.id] ??= msg);
    switch (s.kind) {
      case 'WAIT': {
        const m = int(s.waitMinutes);
        if (m === null || Number.isNaN(m) || m <= 0) fail('Wait a whole number of minutes, 1 or more.');
        step.wait = { minutes: m };
        break;
      }
      case 'BRANCH': {
        try {
          step.branch = { rule: JSON.parse(s.rule), yes: following, no: s.no || null };
        } catch {
          fail('The rule is not valid JSON.');
          step.branch = { rule: {}, yes: following, no: s.no || null };
        }
        const target = f.steps.findIndex((t) => t.id === s.no);
        if (s.no && target <= i) fail('“Otherwise” must go to a later step (a journey may not loop).');
        break;
      }
      case 'SPLIT': {
        const h = int(s.holdoutPercent);
        if (h === null || Number.isNaN(h) || h < 1 || h > 99) fail('Holdout: a whole percentage from 1 to 99.');
        const hold = h && !Number.isNaN(h) ? h : 10;
        step.split = {
          arms: [
            { name: 'treated', weight: 100 - hold, next: following },
            { name: 'holdout', weight: hold, holdout: true },
          ],
        };
        break;
      }
      case 'SEND_EMAIL':
        if (!s.subject.trim() || !s.text.trim()) fail('An e-mail needs a subject and a text.');
        step.email = { subject: s.subject, text: s.text, html: s.html.trim() ? s.html : null };
        break;
      case 'WEBHOOK':
        if (!/^https?:\/\/\S+\.\S+/.test(s.url.trim())) fail('An http(s) URL.');
        step.webhook = { url: s.url.trim() };
        break;
      case 'ATTRIBUTE':
        if (!s.attrKey.trim()) fail('Name the attribute or tag.');
        step.attribute = { op: s.attrOp, key: s.attrKey.trim(), value: s.attrOp === 'SET' ? s.attrValue : null };
        break;
      case 'CREATE_TICKET':
        if (!s.ticketSubject.trim() || !s.ticketBody.trim()) fail('A ticket needs a subject and a body.');
        step.ticket = { subject: s.ticketSubject, body: s.ticketBody, priority: s.ticketPriority || null };
        break;
      case 'EXIT':
        break;
    }
    return step;
  });
  const reentryDays = int(f.reentryDays);
  if (f.reentry === 'AFTER' && (reentryDays === null || Number.isNaN(reentryDays) || reentryDays < 1)) errors.reentry = 'Re-entry after a whole number of days, 1 or more.';
  const goal = int(f.goalDays);
  if (goal !== null && (Number.isNaN(goal) || goal < 1)) errors.goal = 'A whole number of days, 1 or more (or empty: no goal).';
  const definition: JourneyDefinitionInput = {
    trigger: {
      kind: f.triggerKind,
      segmentId: segmentTrigger ? f.segmentId : null,
      type: f.triggerKind === 'INTERACTION' ? f.interactionType.trim() : null,
      channel: f.triggerKind === 'INTERACTION' && f.channel.trim() ? f.channel.trim() : null,
    },
    steps,
    reentry: { mode: f.reentry, afterDays: f.reentry === 'AFTER' ? reentryDays : null },
    goal: goal && !Number.isNaN(goal) ? { orderWithinDays: goal } : null,
  };
  return { input: { name: f.name.trim(), definition }, errors };
}

// ---------------------------------------------------------------- step tree

/** A row of the drawn flow: a step, a way out of a branch/split, or a jump to a step shown above. */
export type FlowRow =
  | { type: 'step'; id: string; kind: string; depth: number; summary: string }
  | { type: 'arm'; label: string; depth: number }
  | { type: 'goto'; id: string; depth: number }
  | { type: 'end'; depth: number };

interface DefStep {
  id: string;
  kind: string;
  next?: string | null;
  wait?: { minutes?: number | null; until?: string | null; event?: string | null; timeoutMinutes?: number | null; timeoutNext?: string | null } | null;
  branch?: { rule?: unknown; yes?: string | null; no?: string | null } | null;
  split?: { arms?: { name: string; weight: number; next?: string | null; holdout?: boolean | null }[] } | null;
  email?: { subject?: string } | null;
  webhook?: { url?: string } | null;
  attribute?: { op?: string; key?: string; value?: string | null } | null;
  ticket?: { subject?: string; priority?: string | null } | null;
}

export interface DefShape {
  trigger?: { kind?: string; segmentId?: string | null; type?: string | null; channel?: string | null };
  start?: string | null;
  steps?: DefStep[];
  reentry?: { mode?: string; afterDays?: number | null } | null;
  goal?: { orderWithinDays?: number } | null;
}

export function formatMinutes(m: number): string {
  if (m % 1440 === 0) return `${m / 1440} day${m === 1440 ? '' : 's'}`;
  if (m % 60 === 0) return `${m / 60} hour${m === 60 ? '' : 's'}`;
  return `${m} minute${m === 1 ? '' : 's'}`;
}

export function stepSummary(s: DefStep): string {
  switch (s.kind) {
    case 'WAIT': {
      const w = s.wait ?? {};
      if (w.event) return `until a “${w.event}” interaction${w.timeoutMinutes ? `, at most ${formatMinutes(w.timeoutMinutes)}` : ''}`;
      if (w.until) return `until ${w.until}`;
      return w.minutes ? formatMinutes(w.minutes) : '';
    }
    case 'BRANCH':
      return `if ${JSON.stringify(s.branch?.rule ?? {})}`;
    case 'SPLIT':
      return (s.split?.arms ?? []).map((a) => `${a.name} ${a.weight}${a.holdout ? ' (holdout)' : ''}`).join(' / ');
    case 'SEND_EMAIL':
      return `“${s.email?.subject ?? ''}”`;
    case 'WEBHOOK':
      return s.webhook?.url ?? '';
    case 'ATTRIBUTE': {
      const a = s.attribute ?? {};
      return `${a.op ?? ''} ${a.key ?? ''}${a.op === 'SET' ? ` = “${a.value ?? ''}”` : ''}`.trim();
    }
    case 'CREATE_TICKET':
      return `“${s.ticket?.subject ?? ''}”${s.ticket?.priority ? `, ${s.ticket.priority}` : ''}`;
    default:
      return '';
  }
}

/**
 * The flow of a definition from its start: steps one under the other, the ways out of a
 * branch, split or event wait as indented arms. A step reached twice is drawn once, the
 * second time as a jump to it.
 */
export function flowRows(def: DefShape): FlowRow[] {
  const steps = def.steps ?? [];
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const rows: FlowRow[] = [];
  const walk = (from: string | null | undefined, depth: number) => {
    let id = from ?? null;
    while (id) {
      const s = byId.get(id);
      if (!s) return;
      if (seen.has(id)) {
        rows.push({ type: 'goto', id, depth });
        return;
      }
      seen.add(id);
      rows.push({ type: 'step', id, kind: s.kind, depth, summary: stepSummary(s) });
      const arms: [string, string | null | undefined][] =
        s.kind === 'BRANCH'
          ? [
              ['Matches', s.branch?.yes],
              ['Otherwise', s.branch?.no],
            ]
          : s.kind === 'SPLIT'
            ? (s.split?.arms ?? []).map((a) => [`${a.name} (${a.weight})${a.holdout ? ', holdout' : ''}`, a.holdout ? null : a.next])
            : s.kind === 'WAIT' && s.wait?.event && s.wait.timeoutNext
              ? [
                  ['Event arrives', s.next],
                  ['Timed out', s.wait.timeoutNext],
                ]
              : [];
      if (arms.length > 0) {
        for (const [label, next] of arms) {
          rows.push({ type: 'arm', label, depth: depth + 1 });
          if (next) walk(next, depth + 2);
          else rows.push({ type: 'end', depth: depth + 2 });
        }
        return;
      }
      if (!s.next && s.kind !== 'EXIT') rows.push({ type: 'end', depth });
      id = s.next ?? null;
    }
  };
  walk(def.start || steps[0]?.id, 0);
  return rows;
}

export interface StepBars {
  labels: string[];
  entered: number[];
  completed: number[];
  waiting: number[];
}

/** Per-step counts in flow order (steps without stats count 0). */
export function stepBars(def: DefShape, stats: { stepId: string; entered: number; completed: number; waiting: number }[]): StepBars {
  const order = flowRows(def).flatMap((r) => (r.type === 'step' ? [r.id] : []));
  for (const s of stats) if (!order.includes(s.stepId)) order.push(s.stepId);
  const by = new Map(stats.map((s) => [s.stepId, s]));
  return {
    labels: order,
    entered: order.map((id) => by.get(id)?.entered ?? 0),
    completed: order.map((id) => by.get(id)?.completed ?? 0),
    waiting: order.map((id) => by.get(id)?.waiting ?? 0),
  };
}

export function triggerSummary(t: DefShape['trigger'], segmentName: (id: string) => string): string {
  const kind = TRIGGER_KINDS.find((k) => k.kind === t?.kind)?.label ?? t?.kind ?? '';
  if (t?.segmentId) return `${kind}: ${segmentName(t.segmentId)}`;
  if (t?.type) return `${kind}: ${t.type}${t.channel ? ` (${t.channel})` : ''}`;
  return kind;
}
