// Help desk setup (issue 17): agents, groups, SLA policies with business hours, macros.
// Simple lists with a form each; the server keeps them, one call per change. Each item
// can be edited in place and deleted behind a confirmation.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type {
  ApiKeysQuery as ApiKeysData,
  CreateAgentMutationVariables,
  CreateGroupMutationVariables,
  CreateMacroMutationVariables,
  DeleteAgentMutation as DeleteAgentData,
  DeleteAgentMutationVariables,
  HelpdeskSetupQuery as SetupData,
  SetAgentAvailableMutationVariables,
  SetSlaPolicyMutationVariables,
  TicketPriority,
  TicketStatus,
  UpdateAgentMutationVariables,
  UpdateGroupMutationVariables,
  UpdateMacroMutationVariables,
} from '../gql/graphql';
import { businessHoursInput, hoursLabel, WEEKDAYS, type HoursForm } from '../lib/admin';
import { agentUpdateInput, EMPTY_MACRO, hoursFitForm, macroForm, macroInput, moveMember, slaForm, withMember, type AgentForm, type MacroForm, type SlaForm as SlaFormState } from '../lib/adminEdit';
import { errorMessage, type Client } from '../lib/graphql';
import { enumLabel, PRIORITIES, STATUSES } from '../lib/tickets';
import {
  ApiKeysQuery,
  CreateAgentMutation,
  CreateGroupMutation,
  CreateMacroMutation,
  DeleteAgentMutation,
  DeleteGroupMutation,
  DeleteMacroMutation,
  DeleteSlaPolicyMutation,
  HelpdeskSetupQuery,
  SetAgentAvailableMutation,
  SetSlaPolicyMutation,
  UpdateAgentMutation,
  UpdateGroupMutation,
  UpdateMacroMutation,
} from '../operations';
import { ConfirmDialog } from './ConfirmDialog';

type Run = (fn: () => Promise<unknown>) => Promise<boolean>;

/** A deletion waiting for confirmation. */
interface Pending {
  title: string;
  body: string;
  label: string;
  action: () => Promise<unknown>;
}

const defaultHours = (): HoursForm => ({
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  weekdays: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
  holidays: '',
});
export function AdminHelpdesk({ client }: { client: Client }) {
  const [data, setData] = useState<SetupData | null>(null);
  const [keys, setKeys] = useState<ApiKeysData['apiKeys']>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  // The item being edited: "agent:<id>", "group:<id>", "macro:<id>"; the SLA form's content.
  const [editing, setEditing] = useState<string | null>(null);
  const [sla, setSla] = useState<{ form: SlaFormState; n: number } | null>(null);

  const load = useCallback(async () => {
    try {
      const [d, k] = await Promise.all([client<SetupData>(HelpdeskSetupQuery), client<ApiKeysData>(ApiKeysQuery)]);
      setData(d);
      setKeys(k.apiKeys);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  const run: Run = async (fn) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await fn();
      await load();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (!data)
    return error ? (
      <p className="error" role="alert">
        {error}
      </p>
    ) : (
      <p className="loading">Loading help desk setup…</p>
    );
  const agentName = (id: string) => data.agents.find((a) => a.id === id)?.name ?? id;
  const groupName = (id: string) => data.groups.find((g) => g.id === id)?.name ?? id;
  const confirmDelete = async () => {
    if (!pending) return;
    if (await run(pending.action)) setPending(null);
  };
  const edited: Run = async (fn) => {
    const ok = await run(fn);
    if (ok) setEditing(null);
    return ok;
  };
  return (
    <section className="admin-tab helpdesk-setup" aria-label="Help desk setup">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {pending && (
        <ConfirmDialog title={pending.title} confirmLabel={pending.label} busy={busy} onConfirm={() => void confirmDelete()} onCancel={() => setPending(null)}>
          <p>{pending.body}</p>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </ConfirmDialog>
      )}
      <Block title="Agents">
        {data.agents.length === 0 ? (
          <p className="empty">No agents. An agent is an ADMIN or AGENT API key with a name.</p>
        ) : (
          <table className="compact">
            <tbody>
              {data.agents.map((a) =>
                editing === `agent:${a.id}` ? (
                  <tr key={a.id}>
                    <td colSpan={5}>
                      <EditAgent agent={a} groups={data.groups} busy={busy} client={client} run={edited} onCancel={() => setEditing(null)} />
                    </td>
                  </tr>
                ) : (
                  <tr key={a.id} data-agent={a.id}>
                    <td>{a.name}</td>
                    <td>{a.email}</td>
                    <td className="muted">{a.groups.length ? a.groups.map(groupName).join(', ') : 'no group'}</td>
                    <td>
                      <label className="check">
                        <input
                          type="checkbox"
                          checked={a.available}
                          disabled={busy}
                          onChange={(e) => run(() => client<unknown, SetAgentAvailableMutationVariables>(SetAgentAvailableMutation, { id: a.id, available: e.target.checked }))}
                        />{' '}
                        available
                      </label>
                    </td>
                    <td className="row-actions">
                      <button type="button" className="small" aria-label={`Edit agent ${a.name}`} disabled={busy} onClick={() => setEditing(`agent:${a.id}`)}>
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        className="small danger"
                        aria-label={`Delete agent ${a.name}`}
                        disabled={busy}
                        onClick={() =>
                          setPending({
                            title: `Delete agent ${a.name}?`,
                            body: 'Their open tickets go back to their group’s queue, unassigned, and they leave every group’s round robin. Solved and closed tickets keep them as assignee. Their API key stays valid.',
                            label: 'Delete agent',
                            action: async () => {
                              const d = await client<DeleteAgentData, DeleteAgentMutationVariables>(DeleteAgentMutation, { id: a.id });
                              setNotice(`${a.name} deleted; ${d.deleteAgent.unassignedTickets} open ticket(s) unassigned.`);
                            },
                          })
                        }
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        )}
        <NewAgent keys={keys.filter((k) => !k.revokedAt && (k.role === 'AGENT' || k.role === 'ADMIN') && !data.agents.some((a) => a.id === k.id))} busy={busy} client={client} run={run} />
      </Block>
      <Block title="Groups">
        {data.groups.length === 0 ? (
          <p className="empty">No groups.</p>
        ) : (
          <ul className="plain">
            {data.groups.map((g) =>
              editing === `group:${g.id}` ? (
                <li key={g.id}>
                  <EditGroup group={g} agents={data.agents} busy={busy} client={client} run={edited} onCancel={() => setEditing(null)} />
                </li>
              ) : (
                <li key={g.id} data-group={g.id}>
                  <strong>{g.name}</strong> <span className="muted">{g.agentIds.map(agentName).join(' → ') || 'no agents'}</span>{' '}
                  <button type="button" className="small" aria-label={`Edit group ${g.name}`} disabled={busy} onClick={() => setEditing(`group:${g.id}`)}>
                    Edit
                  </button>{' '}
                  <button
                    type="button"
                    className="small danger"
                    aria-label={`Delete group ${g.name}`}
                    disabled={busy}
                    onClick={() =>
                      setPending({
                        title: `Delete group ${g.name}?`,
                        body: 'Refused while a support mailbox routes to it or one of its tickets is open: re-point the mailbox and move the tickets first. Solved and closed tickets keep the group.',
                        label: 'Delete group',
                        action: () => client(DeleteGroupMutation, { id: g.id }),
                      })
                    }
                  >
                    Delete
                  </button>
                </li>
              ),
            )}
          </ul>
        )}
        <NewGroup agents={data.agents} busy={busy} client={client} run={run} />
      </Block>
      <Block title="SLA policies">
        <table className="compact">
          <thead>
            <tr>
              <th>Priority</th>
              <th>First response</th>
              <th>Resolution</th>
              <th>Clock</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {PRIORITIES.map((p) => {
              const pol = data.slaPolicies.find((s) => s.priority === p);
              return (
                <tr key={p}>
                  <td>{enumLabel(p)}</td>
                  <td>{pol?.firstResponseMinutes ? `${pol.firstResponseMinutes} min` : <span className="muted">—</span>}</td>
                  <td>{pol?.resolutionMinutes ? `${pol.resolutionMinutes} min` : <span className="muted">—</span>}</td>
                  <td>{pol ? hoursLabel(pol.businessHours) : <span className="muted">no policy</span>}</td>
                  <td className="row-actions">
                    {pol && (
                      <>
                        <button
                          type="button"
                          className="small"
                          aria-label={`Edit ${enumLabel(p)} policy`}
                          disabled={busy}
                          onClick={() => {
                            setSla((cur) => ({ form: slaForm(pol, defaultHours()), n: (cur?.n ?? 0) + 1 }));
                            if (!hoursFitForm(pol.businessHours)) setNotice('This policy’s hours differ between days; saving from the form gives every picked day the same hours.');
                          }}
                        >
                          Edit
                        </button>{' '}
                        <button
                          type="button"
                          className="small danger"
                          aria-label={`Delete ${enumLabel(p)} policy`}
                          disabled={busy}
                          onClick={() =>
                            setPending({
                              title: `Delete the ${enumLabel(p)} policy?`,
                              body: 'Tickets keep the due dates they have; tickets opened or re-prioritised afterwards get no targets for this priority.',
                              label: 'Delete policy',
                              action: () => client(DeleteSlaPolicyMutation, { priority: p }),
                            })
                          }
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <SlaForm key={sla?.n ?? 0} initial={sla?.form} busy={busy} client={client} run={run} />
      </Block>
      <Block title="Macros">
        {data.macros.length === 0 ? (
          <p className="empty">No macros.</p>
        ) : (
          <ul className="plain">
            {data.macros.map((m) =>
              editing === `macro:${m.id}` ? (
                <li key={m.id}>
                  <MacroEditor
                    label={`Edit macro ${m.name}`}
                    initial={macroForm(m)}
                    submitLabel="Save macro"
                    busy={busy}
                    onCancel={() => setEditing(null)}
                    onSave={(f) => edited(() => client<unknown, UpdateMacroMutationVariables>(UpdateMacroMutation, { id: m.id, input: macroInput(f) }))}
                  />
                </li>
              ) : (
              <li key={m.id} data-macro={m.id}>
                <strong>{m.name}</strong>{' '}
                <span className="muted">
                  {[m.setStatus && `status → ${enumLabel(m.setStatus)}`, m.setPriority && `priority → ${enumLabel(m.setPriority)}`, m.addTags.length > 0 && `tags +${m.addTags.join(', +')}`]
                    .filter(Boolean)
                    .join(' · ')}
                </span>{' '}
                <button type="button" className="small" aria-label={`Edit macro ${m.name}`} disabled={busy} onClick={() => setEditing(`macro:${m.id}`)}>
                  Edit
                </button>{' '}
                <button
                  type="button"
                  className="small danger"
                  aria-label={`Delete macro ${m.name}`}
                  disabled={busy}
                  onClick={() =>
                    setPending({
                      title: `Delete macro ${m.name}?`,
                      body: 'Tickets it was applied to keep what it did.',
                      label: 'Delete macro',
                      action: () => client(DeleteMacroMutation, { id: m.id }),
                    })
                  }
                >
                  Delete
                </button>
                <div className="muted pre">{m.body}</div>
              </li>
              ),
            )}
          </ul>
        )}
        <MacroEditor
          label="New macro"
          initial={EMPTY_MACRO}
          submitLabel="Create macro"
          busy={busy}
          resetOnSave
          onSave={(f) => run(() => client<unknown, CreateMacroMutationVariables>(CreateMacroMutation, { input: macroInput(f) }))}
        />
      </Block>
    </section>
  );
}

function Block({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

interface FormProps {
  busy: boolean;
  client: Client;
  run: Run;
}

function NewAgent({ keys, busy, client, run }: FormProps & { keys: ApiKeysData['apiKeys'] }) {
  const [apiKeyId, setApiKeyId] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(() => client<unknown, CreateAgentMutationVariables>(CreateAgentMutation, { input: { apiKeyId, name: name.trim(), email: email.trim() } }))) {
      setApiKeyId('');
      setName('');
      setEmail('');
    }
  };
  if (keys.length === 0) return <p className="hint">Every ADMIN and AGENT key is an agent already; create an AGENT key to add one.</p>;
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New agent">
      <select value={apiKeyId} onChange={(e) => setApiKeyId(e.target.value)} required aria-label="Agent's API key">
        <option value="">API key…</option>
        {keys.map((k) => (
          <option key={k.id} value={k.id}>
            {k.name} ({k.role})
          </option>
        ))}
      </select>
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Name" aria-label="Agent name" required />
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="E-mail" aria-label="Agent e-mail" required />
      <button type="submit" disabled={busy}>
        Add agent
      </button>
    </form>
  );
}

function NewGroup({ agents, busy, client, run }: FormProps & { agents: SetupData['agents'] }) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await run(() => client<unknown, CreateGroupMutationVariables>(CreateGroupMutation, { name: name.trim(), agentIds: members }))) {
      setName('');
      setMembers([]);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New group">
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Group name" aria-label="Group name" required />
      {agents.map((a) => (
        <label key={a.id} className="check">
          <input type="checkbox" checked={members.includes(a.id)} onChange={(e) => setMembers((m) => (e.target.checked ? [...m, a.id] : m.filter((x) => x !== a.id)))} /> {a.name}
        </label>
      ))}
      <button type="submit" disabled={busy}>
        Create group
      </button>
    </form>
  );
}

function SlaForm({ busy, client, run, initial }: FormProps & { initial?: SlaFormState }) {
  const [priority, setPriority] = useState<TicketPriority>(initial?.priority ?? 'NORMAL');
  const [first, setFirst] = useState(initial?.first ?? 60);
  const [resolution, setResolution] = useState(initial?.resolution ?? 24 * 60);
  const [useHours, setUseHours] = useState(initial?.useHours ?? false);
  const [hours, setHours] = useState<HoursForm>(() => initial?.hours ?? defaultHours());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      client<unknown, SetSlaPolicyMutationVariables>(SetSlaPolicyMutation, {
        input: { priority, firstResponseMinutes: first, resolutionMinutes: resolution, businessHours: useHours ? businessHoursInput(hours) : null },
      }),
    );
  };
  const day = (d: number, on: boolean) => setHours((h) => ({ ...h, weekdays: on ? [...h.weekdays, d] : h.weekdays.filter((x) => x !== d) }));
  return (
    <form className="sla-form" onSubmit={submit} aria-label="Set SLA policy">
      <div className="inline-form">
        <label>
          Priority{' '}
          <select value={priority} onChange={(e) => setPriority(e.target.value as TicketPriority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {enumLabel(p)}
              </option>
            ))}
          </select>
        </label>
        <label>
          First response (min){' '}
          <input type="number" min={0} value={first} onChange={(e) => setFirst(Number(e.target.value) || 0)} />
        </label>
        <label>
          Resolution (min){' '}
          <input type="number" min={0} value={resolution} onChange={(e) => setResolution(Number(e.target.value) || 0)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={useHours} onChange={(e) => setUseHours(e.target.checked)} /> Business hours only
        </label>
      </div>
      {useHours && (
        <div className="inline-form">
          <input value={hours.timeZone} onChange={(e) => setHours({ ...hours, timeZone: e.target.value })} aria-label="Time zone" placeholder="Europe/London" />
          {WEEKDAYS.map((w, i) => (
            <label key={w} className="check">
              <input type="checkbox" checked={hours.weekdays.includes(i)} onChange={(e) => day(i, e.target.checked)} /> {w}
            </label>
          ))}
          <input type="time" value={hours.start} onChange={(e) => setHours({ ...hours, start: e.target.value })} aria-label="Opens" />
          <input type="time" value={hours.end} onChange={(e) => setHours({ ...hours, end: e.target.value })} aria-label="Closes" />
          <input value={hours.holidays} onChange={(e) => setHours({ ...hours, holidays: e.target.value })} aria-label="Holidays" placeholder="Holidays: 2026-12-25, …" />
        </div>
      )}
      <button type="submit" disabled={busy}>
        Save policy
      </button>
      <span className="hint"> Replaces the priority's policy; 0 = no target.</span>
    </form>
  );
}

function MacroEditor({
  label,
  initial,
  submitLabel,
  busy,
  resetOnSave,
  onSave,
  onCancel,
}: {
  label: string;
  initial: MacroForm;
  submitLabel: string;
  busy: boolean;
  resetOnSave?: boolean;
  onSave(f: MacroForm): Promise<boolean>;
  onCancel?(): void;
}) {
  const [f, setF] = useState<MacroForm>(initial);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if ((await onSave(f)) && resetOnSave) setF(initial);
  };
  return (
    <form className="macro-form" onSubmit={submit} aria-label={label}>
      <div className="inline-form">
        <input value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} placeholder="Macro name" aria-label="Macro name" required />
        <select value={f.setStatus} onChange={(e) => setF({ ...f, setStatus: e.target.value as TicketStatus | '' })} aria-label="Sets ticket state">
          <option value="">Keep state</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {enumLabel(s)}
            </option>
          ))}
        </select>
        <select value={f.setPriority} onChange={(e) => setF({ ...f, setPriority: e.target.value as TicketPriority | '' })} aria-label="Sets priority">
          <option value="">Keep priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {enumLabel(p)}
            </option>
          ))}
        </select>
        <input value={f.tags} onChange={(e) => setF({ ...f, tags: e.target.value })} placeholder="tags to add" aria-label="Tags to add" />
      </div>
      <textarea rows={3} value={f.body} onChange={(e) => setF({ ...f, body: e.target.value })} aria-label="Reply text" placeholder="Hi {{customer.firstName}}, …" required />
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>
      {onCancel && (
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      )}
    </form>
  );
}

function EditAgent({ agent, groups, busy, client, run, onCancel }: FormProps & { agent: SetupData['agents'][number]; groups: SetupData['groups']; onCancel(): void }) {
  const before: AgentForm = { name: agent.name, email: agent.email, available: agent.available, groups: agent.groups };
  const [f, setF] = useState<AgentForm>(before);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = agentUpdateInput(before, f);
    if (!input) return onCancel();
    void run(() => client<unknown, UpdateAgentMutationVariables>(UpdateAgentMutation, { id: agent.id, input }));
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Edit agent ${agent.name}`}>
      <input value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} aria-label="Agent name" required />
      <input type="email" value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} aria-label="Agent e-mail" required />
      <label className="check">
        <input type="checkbox" checked={f.available} onChange={(e) => setF({ ...f, available: e.target.checked })} /> available
      </label>
      {groups.map((g) => (
        <label key={g.id} className="check">
          <input type="checkbox" checked={f.groups.includes(g.id)} onChange={(e) => setF({ ...f, groups: withMember(f.groups, g.id, e.target.checked) })} /> {g.name}
        </label>
      ))}
      <button type="submit" disabled={busy}>
        Save agent
      </button>
      <button type="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}

function EditGroup({ group, agents, busy, client, run, onCancel }: FormProps & { group: SetupData['groups'][number]; agents: SetupData['agents']; onCancel(): void }) {
  const [name, setName] = useState(group.name);
  const [order, setOrder] = useState<string[]>(group.agentIds);
  const nameOf = (id: string) => agents.find((a) => a.id === id)?.name ?? id;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => client<unknown, UpdateGroupMutationVariables>(UpdateGroupMutation, { id: group.id, name: name.trim(), agentIds: order }));
  };
  return (
    <form onSubmit={submit} aria-label={`Edit group ${group.name}`}>
      <div className="inline-form">
        <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Group name" required />
        {agents.map((a) => (
          <label key={a.id} className="check">
            <input type="checkbox" checked={order.includes(a.id)} onChange={(e) => setOrder(withMember(order, a.id, e.target.checked))} /> {a.name}
          </label>
        ))}
      </div>
      {order.length > 0 && (
        <ol className="rr-order" aria-label="Round-robin order">
          {order.map((id, i) => (
            <li key={id}>
              {nameOf(id)}{' '}
              <button type="button" className="small" aria-label={`Move ${nameOf(id)} up`} disabled={i === 0} onClick={() => setOrder(moveMember(order, i, -1))}>
                ↑
              </button>
              <button type="button" className="small" aria-label={`Move ${nameOf(id)} down`} disabled={i === order.length - 1} onClick={() => setOrder(moveMember(order, i, 1))}>
                ↓
              </button>
            </li>
          ))}
        </ol>
      )}
      <button type="submit" disabled={busy}>
        Save group
      </button>
      <button type="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}
