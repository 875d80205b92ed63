// The rule tree editor: groups (all of / any of / none of) holding condition rows and
// further groups. State and its conversion live in lib/segments.ts.
import type { Dispatch } from 'react';
import type { ConditionOp, SegmentMetric, TicketStatus } from '../gql/graphql';
import {
  ATTRIBUTES,
  COMPARE_OPS,
  COND_KINDS,
  CONSENT_CHANNELS,
  GROUP_OPS,
  INTERACTION_CHANNELS,
  METRICS,
  OP_LABELS,
  TICKET_STATUSES,
  TRAIT_FIELDS,
  TRAIT_OPS,
  traitValueMode,
  type BuilderAction,
  type CondKind,
  type Condition,
  type CountCond,
  type GroupNode,
  type GroupOp,
  type RuleNode,
  type TraitCond,
} from '../lib/segments';
import { fieldLabel } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';

interface Props {
  root: GroupNode;
  dispatch: Dispatch<BuilderAction>;
  issues: Map<string, string[]>;
}

export function RuleBuilder({ root, dispatch, issues }: Props) {
  return (
    <div className="rule-builder" aria-label="Rule">
      <GroupEditor node={root} depth={0} dispatch={dispatch} issues={issues} />
    </div>
  );
}

function Issues({ id, issues }: { id: string; issues: Map<string, string[]> }) {
  const list = issues.get(id);
  if (!list?.length) return null;
  return (
    <ul className="field-errors" id={`issues-${id}`}>
      {list.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

interface GroupProps {
  node: GroupNode;
  depth: number;
  dispatch: Dispatch<BuilderAction>;
  issues: Map<string, string[]>;
}

function GroupEditor({ node, depth, dispatch, issues }: GroupProps) {
  return (
    <div className={`rule-group depth-${Math.min(depth, 3)} op-${node.op}`} role="group" aria-label={depth === 0 ? 'Rule group' : 'Nested group'} data-op={node.op}>
      <div className="group-head">
        <select aria-label="Match" value={node.op} onChange={(e) => dispatch({ type: 'set-op', groupId: node.id, op: e.target.value as GroupOp })}>
          {GROUP_OPS.map((g) => (
            <option key={g.op} value={g.op}>
              {g.label}
            </option>
          ))}
        </select>
        <span className="muted">{node.op === 'not' ? 'the following must match' : 'the following'}</span>
        {depth > 0 && (
          <button type="button" className="small link-danger" onClick={() => dispatch({ type: 'remove', id: node.id })}>
            Remove group
          </button>
        )}
      </div>
      <Issues id={node.id} issues={issues} />
      <ol className="rule-children">
        {node.children.map((c) => (
          <li key={c.id}>
            <NodeEditor node={c} depth={depth + 1} dispatch={dispatch} issues={issues} />
          </li>
        ))}
      </ol>
      <div className="group-actions">
        <button type="button" className="small" onClick={() => dispatch({ type: 'add-condition', groupId: node.id, kind: 'trait' })}>
          + Condition
        </button>
        {depth < 3 && (
          <button type="button" className="small" onClick={() => dispatch({ type: 'add-group', groupId: node.id, op: node.op === 'or' ? 'and' : 'or' })}>
            + Group
          </button>
        )}
      </div>
    </div>
  );
}

function NodeEditor({ node, depth, dispatch, issues }: { node: RuleNode; depth: number; dispatch: Dispatch<BuilderAction>; issues: Map<string, string[]> }) {
  if (node.type === 'group') return <GroupEditor node={node} depth={depth} dispatch={dispatch} issues={issues} />;
  return <ConditionRow cond={node} dispatch={dispatch} issues={issues} />;
}

function ConditionRow({ cond, dispatch, issues }: { cond: Condition; dispatch: Dispatch<BuilderAction>; issues: Map<string, string[]> }) {
  const update = (patch: Partial<Condition>) => dispatch({ type: 'update', id: cond.id, patch });
  const invalid = issues.has(cond.id);
  return (
    <div className={`condition${invalid ? ' invalid' : ''}`} data-kind={cond.type} aria-invalid={invalid || undefined} aria-describedby={invalid ? `issues-${cond.id}` : undefined}>
      <div className="condition-inputs">
        <select aria-label="Condition type" value={cond.type} onChange={(e) => dispatch({ type: 'change-kind', id: cond.id, kind: e.target.value as CondKind })}>
          {COND_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <ConditionInputs cond={cond} update={update} />
        <button type="button" className="small icon" aria-label="Remove condition" title="Remove condition" onClick={() => dispatch({ type: 'remove', id: cond.id })}>
          ×
        </button>
      </div>
      <Issues id={cond.id} issues={issues} />
    </div>
  );
}

function ConditionInputs({ cond, update }: { cond: Condition; update: (p: Partial<Condition>) => void }) {
  switch (cond.type) {
    case 'trait':
      return <TraitInputs cond={cond} update={update} />;
    case 'identifier':
      return (
        <>
          <input aria-label="Identifier type" list="identifier-types" placeholder="type, e.g. email" value={cond.idType} onChange={(e) => update({ idType: e.target.value })} />
          <datalist id="identifier-types">
            <option value="email" />
            <option value="phone" />
          </datalist>
          <input aria-label="Identifier value" placeholder="any value" value={cond.value} onChange={(e) => update({ value: e.target.value })} />
        </>
      );
    case 'metric':
      return (
        <>
          <select aria-label="Metric" value={cond.metric} onChange={(e) => update({ metric: e.target.value as SegmentMetric })}>
            {METRICS.map((m) => (
              <option key={m.metric} value={m.metric}>
                {m.label}
              </option>
            ))}
          </select>
          <OpSelect ops={COMPARE_OPS} value={cond.op} onChange={(op) => update({ op })} />
          <input aria-label="Value" type="number" step="any" value={cond.value} onChange={(e) => update({ value: e.target.value })} />
        </>
      );
    case 'orders':
    case 'interactions':
    case 'tickets':
      return <CountInputs cond={cond} update={update} />;
    case 'consent':
      return (
        <>
          <select aria-label="Channel" value={cond.channel} onChange={(e) => update({ channel: e.target.value })}>
            {CONSENT_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <select aria-label="Consent" value={cond.granted ? 'yes' : 'no'} onChange={(e) => update({ granted: e.target.value === 'yes' })}>
            <option value="yes">granted</option>
            <option value="no">not granted</option>
          </select>
        </>
      );
  }
}

function OpSelect({ ops, value, onChange }: { ops: ConditionOp[]; value: ConditionOp; onChange: (op: ConditionOp) => void }) {
  return (
    <select aria-label="Operator" value={value} onChange={(e) => onChange(e.target.value as ConditionOp)}>
      {ops.map((op) => (
        <option key={op} value={op}>
          {OP_LABELS[op]}
        </option>
      ))}
    </select>
  );
}

function TraitInputs({ cond, update }: { cond: TraitCond; update: (p: Partial<TraitCond>) => void }) {
  const mode = traitValueMode(cond);
  const isAttr = cond.field === ATTRIBUTES;
  return (
    <>
      <select
        aria-label="Field"
        value={cond.field}
        // Leaving attributes drops the numeric flag: it is for attributes only.
        onChange={(e) => update({ field: e.target.value, numeric: e.target.value === ATTRIBUTES ? cond.numeric : false })}
      >
        {TRAIT_FIELDS.map((f) => (
          <option key={f} value={f}>
            {fieldLabel(f)}
          </option>
        ))}
        <option value={ATTRIBUTES}>Attribute…</option>
      </select>
      {isAttr && <input aria-label="Attribute key" placeholder="key, e.g. tier" value={cond.attrKey} onChange={(e) => update({ attrKey: e.target.value })} />}
      <OpSelect ops={TRAIT_OPS} value={cond.op} onChange={(op) => update({ op })} />
      {mode === 'text' && <input aria-label="Value" value={cond.value} onChange={(e) => update({ value: e.target.value })} />}
      {mode === 'number' && <input aria-label="Value" type="number" step="any" value={cond.value} onChange={(e) => update({ value: e.target.value })} />}
      {mode === 'list' && <input aria-label="Values" placeholder="a, b, c" value={cond.values} onChange={(e) => update({ values: e.target.value })} />}
      {isAttr && COMPARE_OPS.includes(cond.op) && (
        <label className="check">
          <input type="checkbox" checked={cond.numeric} onChange={(e) => update({ numeric: e.target.checked })} /> as number
        </label>
      )}
    </>
  );
}

function CountInputs({ cond, update }: { cond: CountCond; update: (p: Partial<CountCond>) => void }) {
  const toggleStatus = (s: TicketStatus) => update({ statuses: cond.statuses.includes(s) ? cond.statuses.filter((x) => x !== s) : [...cond.statuses, s] });
  return (
    <>
      <label className="inline-field">
        at least
        <input aria-label="At least" type="number" min={0} step={1} placeholder="1" value={cond.atLeast} onChange={(e) => update({ atLeast: e.target.value })} />
      </label>
      <label className="inline-field">
        at most
        <input aria-label="At most" type="number" min={0} step={1} placeholder="any" value={cond.atMost} onChange={(e) => update({ atMost: e.target.value })} />
      </label>
      <label className="inline-field">
        in the last
        <input aria-label="Within days" type="number" min={1} step={1} placeholder="all time" value={cond.withinDays} onChange={(e) => update({ withinDays: e.target.value })} />
        days
      </label>
      {cond.type === 'interactions' && (
        <select aria-label="Channel" value={cond.channel} onChange={(e) => update({ channel: e.target.value })}>
          <option value="">any channel</option>
          {INTERACTION_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      )}
      {cond.type === 'tickets' && (
        <fieldset className="statuses" aria-label="Statuses">
          {TICKET_STATUSES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={cond.statuses.includes(s)} onChange={() => toggleStatus(s)} /> {enumLabel(s)}
            </label>
          ))}
        </fieldset>
      )}
    </>
  );
}
