// Help desk setup (issue 17): agents, groups, SLA policies with business hours, macros.
// Simple lists with a form each; the server keeps them, one call per change.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type {
  ApiKeysQuery as ApiKeysData,
  CreateAgentMutationVariables,
  CreateGroupMutationVariables,
  CreateMacroMutationVariables,
  HelpdeskSetupQuery as SetupData,
  SetAgentAvailableMutationVariables,
  SetSlaPolicyMutationVariables,
  TicketPriority,
  TicketStatus,
} from '../gql/graphql';
import { businessHoursInput, hoursLabel, WEEKDAYS, type HoursForm } from '../lib/admin';
import { errorMessage, type Client } from '../lib/graphql';
import { enumLabel, PRIORITIES, STATUSES } from '../lib/tickets';
import {
  ApiKeysQuery,
  CreateAgentMutation,
  CreateGroupMutation,
  CreateMacroMutation,
  HelpdeskSetupQuery,
  SetAgentAvailableMutation,
  SetSlaPolicyMutation,
} from '../operations';

type Run = (fn: () => Promise<unknown>) => Promise<boolean>;

export function AdminHelpdesk({ client }: { client: Client }) {
  const [data, setData] = useState<SetupData | null>(null);
  const [keys, setKeys] = useState<ApiKeysData['apiKeys']>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

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
  return (
    <section className="admin-tab helpdesk-setup" aria-label="Help desk setup">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <Block title="Agents">
        {data.agents.length === 0 ? (
          <p className="empty">No agents. An agent is an ADMIN or AGENT API key with a name.</p>
        ) : (
          <table className="compact">
            <tbody>
              {data.agents.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>{a.email}</td>
                  <td className="muted">{a.groups.length ? `${a.groups.length} group(s)` : 'no group'}</td>
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
                </tr>
              ))}
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
            {data.groups.map((g) => (
              <li key={g.id}>
                <strong>{g.name}</strong> <span className="muted">{g.agentIds.map(agentName).join(' → ') || 'no agents'}</span>
              </li>
            ))}
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
                </tr>
              );
            })}
          </tbody>
        </table>
        <SlaForm busy={busy} client={client} run={run} />
      </Block>
      <Block title="Macros">
        {data.macros.length === 0 ? (
          <p className="empty">No macros.</p>
        ) : (
          <ul className="plain">
            {data.macros.map((m) => (
              <li key={m.id}>
                <strong>{m.name}</strong>{' '}
                <span className="muted">
                  {[m.setStatus && `status → ${enumLabel(m.setStatus)}`, m.setPriority && `priority → ${enumLabel(m.setPriority)}`, m.addTags.length > 0 && `tags +${m.addTags.join(', +')}`]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
                <div className="muted pre">{m.body}</div>
              </li>
            ))}
          </ul>
        )}
        <NewMacro busy={busy} client={client} run={run} />
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

function SlaForm({ busy, client, run }: FormProps) {
  const [priority, setPriority] = useState<TicketPriority>('NORMAL');
  const [first, setFirst] = useState(60);
  const [resolution, setResolution] = useState(24 * 60);
  const [useHours, setUseHours] = useState(false);
  const [hours, setHours] = useState<HoursForm>(() => ({
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    weekdays: [1, 2, 3, 4, 5],
    start: '09:00',
    end: '17:00',
    holidays: '',
  }));
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

function NewMacro({ busy, client, run }: FormProps) {
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  const [setStatus, setSetStatus] = useState<TicketStatus | ''>('');
  const [setPriority, setSetPriority] = useState<TicketPriority | ''>('');
  const [tags, setTags] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input = {
      name: name.trim(),
      body,
      setStatus: setStatus || null,
      setPriority: setPriority || null,
      addTags: tags.split(/[\s,]+/).filter(Boolean),
    };
    if (await run(() => client<unknown, CreateMacroMutationVariables>(CreateMacroMutation, { input }))) {
      setName('');
      setBody('');
      setSetStatus('');
      setSetPriority('');
      setTags('');
    }
  };
  return (
    <form className="macro-form" onSubmit={submit} aria-label="New macro">
      <div className="inline-form">
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Macro name" aria-label="Macro name" required />
        <select value={setStatus} onChange={(e) => setSetStatus(e.target.value as TicketStatus | '')} aria-label="Sets ticket state">
          <option value="">Keep state</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {enumLabel(s)}
            </option>
          ))}
        </select>
        <select value={setPriority} onChange={(e) => setSetPriority(e.target.value as TicketPriority | '')} aria-label="Sets priority">
          <option value="">Keep priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {enumLabel(p)}
            </option>
          ))}
        </select>
        <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="tags to add" aria-label="Tags to add" />
      </div>
      <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} aria-label="Reply text" placeholder="Hi {{customer.firstName}}, …" required />
      <button type="submit" disabled={busy}>
        Create macro
      </button>
    </form>
  );
}
