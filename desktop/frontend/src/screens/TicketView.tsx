import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AddInternalNoteMutation,
  AddInternalNoteMutationVariables,
  ApplyMacroMutation as ApplyMacroData,
  ApplyMacroMutationVariables,
  AssignTicketMutation,
  AssignTicketMutationVariables,
  ReplyToTicketMutation,
  ReplyToTicketMutationVariables,
  SetTicketPriorityMutation,
  SetTicketPriorityMutationVariables,
  SetTicketStatusMutation,
  SetTicketStatusMutationVariables,
  TicketPriority,
  TicketQuery as TicketData,
  TicketQueryVariables,
  TicketStatus,
  TicketUpdatedSubscription as TicketUpdatedData,
  TicketUpdatedSubscriptionVariables,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import type { Live } from '../lib/live';
import { channelDeliveryView, channelInfo, emailDeliveryView, formatBytes, splitQuoted } from '../lib/mailview';
import { formatTime } from '../lib/provenance';
import { dueLabel, enumLabel, isNewer, PRIORITIES, STATUSES } from '../lib/tickets';
import {
  AddInternalNoteMutation as AddInternalNote,
  ApplyMacroMutation,
  AssignTicketMutation as AssignTicket,
  ReplyToTicketMutation as ReplyToTicket,
  SetTicketPriorityMutation as SetTicketPriority,
  SetTicketStatusMutation as SetTicketStatus,
  TicketQuery,
  TicketUpdatedSubscription,
} from '../operations';
import { HOME, href } from '../routes';
import { TicketOrder } from './TicketOrder';

type Loaded = TicketData;
type Ticket = NonNullable<TicketData['ticket']>;
type Requester = NonNullable<Ticket['requester']>;

interface Props {
  id: string;
  client: Client;
  live: Live;
  /** ADMIN and AGENT keys may change tickets; ANALYST keys only read. */
  canWork: boolean;
}

export function TicketView({ id, client, live, canWork }: Props) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const version = useRef<number | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      const d = await client<TicketData, TicketQueryVariables>(TicketQuery, { id });
      version.current = d.ticket?.version;
      setData(d);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client, id]);

  useEffect(() => {
    void load();
  }, [load]);

  // A change made anywhere else (another agent, a macro, the API) reloads the ticket.
  useEffect(
    () =>
      live.subscribe<TicketUpdatedData, TicketUpdatedSubscriptionVariables>(TicketUpdatedSubscription, { filter: { ticketId: id } }, ({ ticketUpdated }) => {
        if (isNewer(version.current, ticketUpdated)) void load();
      }),
    [live, id, load],
  );

  /** Runs a mutation, then shows the ticket as it is now; a string result is shown as a notice. */
  const act: Act = async (fn) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const said = await fn();
      await load();
      if (typeof said === 'string') setNotice(said);
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (!data) {
    return error ? (
      <p className="error" role="alert">
        {error}
      </p>
    ) : (
      <p className="loading">Loading ticket…</p>
    );
  }
  const t = data.ticket;
  if (!t)
    return (
      <section>
        <a href={href(HOME)}>← Inbox</a>
        <p className="empty">No ticket with id {id}.</p>
      </section>
    );

  const agentName = (aid: string | null) => data.agents.find((a) => a.id === aid)?.name ?? aid ?? 'Unknown agent';
  const author = (m: Ticket['messages'][number]) =>
    m.authorKind === 'CUSTOMER' ? (t.requester?.name ?? 'Customer') : m.authorKind === 'AGENT' ? agentName(m.authorId) : 'System';
  const now = Date.now();

  return (
    <div className="ticket-page">
      <article className="ticket">
        <a href={href(HOME)}>← Inbox</a>
        <header className="ticket-header">
          <h1>{t.subject}</h1>
          <p className="muted">
            <span className="mono">{t.id}</span> ·{' '}
            <span aria-hidden="true">{channelInfo(t.channel).icon}</span> {channelInfo(t.channel).label} · opened {formatTime(t.createdAt)}
            {t.mergedInto && (
              <>
                {' '}
                · merged into <a href={href({ name: 'ticket', id: t.mergedInto })}>{t.mergedInto}</a>
              </>
            )}
          </p>
          <p className="chips" aria-label="Ticket state">
            <span className={`chip status-${t.status.toLowerCase()}`} data-testid="status">
              {enumLabel(t.status)}
            </span>
            <span className={`chip priority-${t.priority.toLowerCase()}`} data-testid="priority">
              {enumLabel(t.priority)}
            </span>
            <span className="chip">{t.assigneeId ? `Assigned to ${agentName(t.assigneeId)}` : 'Unassigned'}</span>
            {t.tags.map((tag) => (
              <span key={tag} className="chip tag">
                #{tag}
              </span>
            ))}
          </p>
          <Sla ticket={t} now={now} />
          <TicketOrder ticketId={t.id} client={client} canWork={canWork} />
        </header>

        {canWork && <Controls ticket={t} data={data} busy={busy} client={client} act={act} />}
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

        <h2 id="conversation-h">Conversation</h2>
        <ol className="conversation" aria-labelledby="conversation-h">
          {t.messages.map((m) => {
            const note = m.kind === 'INTERNAL_NOTE';
            return (
              <li key={m.id} className={`message ${note ? 'note' : 'public'} from-${m.authorKind.toLowerCase()}`} data-kind={m.kind}>
                <div className="message-meta">
                  <strong>{author(m)}</strong>
                  <span className="kind">{note ? 'Internal note' : m.authorKind === 'CUSTOMER' ? 'Customer message' : 'Public reply'}</span>
                  <span className="muted">{formatTime(m.createdAt)}</span>
                </div>
                <MessageBody message={m} />
              </li>
            );
          })}
        </ol>
        {canWork && <Composer busy={busy} ticketId={t.id} client={client} act={act} />}
        {t.csat && (
          <p className="muted">
            CSAT: {t.csat.score}/5{t.csat.comment ? ` — “${t.csat.comment}”` : ''} ({formatTime(t.csat.at)})
          </p>
        )}
      </article>
      <CustomerSummary requester={t.requester} requesterId={t.requesterId} />
    </div>
  );
}

type Message = Ticket['messages'][number];

/** The text with its quoted tail folded, and for e-mail and connector messages their metadata. */
function MessageBody({ message: m }: { message: Message }) {
  const [showQuoted, setShowQuoted] = useState(false);
  const { main, quoted } = splitQuoted(m.body);
  const mail = m.email;
  const delivery = mail?.direction === 'OUTBOUND' ? emailDeliveryView(mail.delivery, mail.deliveryError) : null;
  const social = m.channelDelivery ? channelDeliveryView(m.channelDelivery) : null;
  return (
    <>
      {mail && (
        <div className="mail-meta" data-testid="mail-meta" title={`Message-ID: ${mail.messageId}`}>
          <span aria-hidden="true">✉</span> {mail.direction === 'INBOUND' ? 'From' : 'Sent from'} <span className="mono">{mail.from}</span> to{' '}
          <span className="mono">{mail.to}</span>
          {mail.subject && <> · “{mail.subject}”</>}
          {delivery && (
            <>
              {' '}
              <span className={`chip delivery ${delivery.tone}`} title={delivery.title} data-testid="mail-delivery">
                {delivery.label}
              </span>
            </>
          )}
          {mail.delivery === 'FAILED' && mail.deliveryError && <div className="late">{mail.deliveryError}</div>}
        </div>
      )}
      <div className="message-body">{quoted && !showQuoted ? main : m.body}</div>
      {quoted && (
        <button type="button" className="link small quoted-toggle" aria-expanded={showQuoted} onClick={() => setShowQuoted((v) => !v)}>
          {showQuoted ? 'Hide quoted text' : '··· Show quoted text'}
        </button>
      )}
      {mail?.quotedTextHidden && !quoted && <p className="hint">Quoted text of earlier messages was left out (they are in the conversation above).</p>}
      {mail && mail.attachments.length > 0 && (
        <ul className="attachments" data-testid="attachments">
          {mail.attachments.map((a, i) => (
            <li key={i}>
              <span aria-hidden="true">📎</span> {a.name} <span className="muted">({a.contentType}, {formatBytes(a.size)}; not kept)</span>
            </li>
          ))}
        </ul>
      )}
      {social && (
        <p className="mail-meta">
          <span className={`chip delivery ${social.tone}`} title={social.title} data-testid="channel-delivery">
            {social.label}
          </span>
          {m.channelDelivery?.state === 'PENDING' && m.channelDelivery.nextAttemptAt && <span className="muted"> next try {formatTime(m.channelDelivery.nextAttemptAt)}</span>}
        </p>
      )}
    </>
  );
}

function Sla({ ticket: t, now }: { ticket: Ticket; now: number }) {
  const rows: [string, string | null, string | null][] = [
    ['First response', t.firstResponseDue, t.firstResponseAt],
    ['Resolution', t.resolutionDue, t.solvedAt],
  ];
  if (!t.firstResponseDue && !t.resolutionDue) return null;
  return (
    <p className="sla">
      {rows
        .filter(([, due]) => due)
        .map(([label, due, metAt]) => {
          const late = metAt ? Date.parse(metAt) > Date.parse(due!) : Date.parse(due!) < now;
          return (
            <span key={label} className={late ? 'late' : 'ok'}>
              {label}: {metAt ? `${late ? 'missed' : 'met'} (${formatTime(metAt)})` : `due ${dueLabel(due!, now)}`}
            </span>
          );
        })}
    </p>
  );
}

type Act = (fn: () => Promise<unknown>) => Promise<boolean>;

function Controls({ ticket: t, data, busy, client, act }: { ticket: Ticket; data: Loaded; busy: boolean; client: Client; act: Act }) {
  const [macroId, setMacroId] = useState('');
  const applyMacro = () =>
    act(async () => {
      const r = await client<ApplyMacroData, ApplyMacroMutationVariables>(ApplyMacroMutation, { id: t.id, macroId });
      const missing = r.applyMacro.missingPlaceholders;
      setMacroId('');
      return missing.length ? `Macro applied; no value for ${missing.join(', ')} (left in the reply).` : 'Macro applied.';
    });
  return (
    <div className="ticket-controls">
      <label>
        Status
        <select
          value={t.status}
          disabled={busy}
          onChange={(e) => act(() => client<SetTicketStatusMutation, SetTicketStatusMutationVariables>(SetTicketStatus, { id: t.id, status: e.target.value as TicketStatus }))}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {enumLabel(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <select
          value={t.priority}
          disabled={busy}
          onChange={(e) =>
            act(() => client<SetTicketPriorityMutation, SetTicketPriorityMutationVariables>(SetTicketPriority, { id: t.id, priority: e.target.value as TicketPriority }))
          }
        >
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {enumLabel(p)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Assignee
        <select
          value={t.assigneeId ?? ''}
          disabled={busy}
          onChange={(e) => act(() => client<AssignTicketMutation, AssignTicketMutationVariables>(AssignTicket, { id: t.id, agentId: e.target.value || null }))}
        >
          <option value="">Unassigned</option>
          {data.agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.available ? '' : ' (away)'}
            </option>
          ))}
        </select>
      </label>
      <label>
        Macro
        <span className="inline">
          <select value={macroId} disabled={busy || data.macros.length === 0} onChange={(e) => setMacroId(e.target.value)}>
            <option value="">{data.macros.length ? 'Pick a macro…' : 'No macros'}</option>
            {data.macros.map((m) => (
              <option key={m.id} value={m.id} title={m.body}>
                {m.name}
              </option>
            ))}
          </select>
          <button disabled={busy || !macroId} onClick={applyMacro}>
            Apply
          </button>
        </span>
      </label>
    </div>
  );
}

function Composer({ busy, ticketId, client, act }: { busy: boolean; ticketId: string; client: Client; act: Act }) {
  const [body, setBody] = useState('');
  const send = async (note: boolean) => {
    const ok = await act(() =>
      note
        ? client<AddInternalNoteMutation, AddInternalNoteMutationVariables>(AddInternalNote, { id: ticketId, body })
        : client<ReplyToTicketMutation, ReplyToTicketMutationVariables>(ReplyToTicket, { id: ticketId, body }),
    );
    if (ok) setBody('');
  };
  const empty = body.trim() === '';
  return (
    <div className="composer">
      <label>
        Message
        <textarea rows={4} value={body} onChange={(e) => setBody(e.target.value)} placeholder="Write a reply to the customer, or a note for your team…" />
      </label>
      <div className="actions left">
        <button className="primary" disabled={busy || empty} onClick={() => send(false)}>
          Send reply
        </button>
        <button className="note-button" disabled={busy || empty} onClick={() => send(true)}>
          Add internal note
        </button>
        <span className="hint">Internal notes are never shown to the customer.</span>
      </div>
    </div>
  );
}

function CustomerSummary({ requester, requesterId }: { requester: Requester | null; requesterId: string }) {
  // E-mails are listed already; the other identifiers are what an agent looks people up by.
  const keyIds = requester?.identities.filter((i) => i.type !== 'email').slice(0, 6) ?? [];
  return (
    <aside className="customer-summary card" aria-label="Customer">
      <h2>Customer</h2>
      {!requester ? (
        <p className="empty">
          Profile <span className="mono">{requesterId}</span> no longer exists.
        </p>
      ) : (
        <>
          <p className="name">{requester.name || '(no name)'}</p>
          <dl className="facts">
            <dt>E-mails</dt>
            <dd>{requester.emails.join(', ') || '—'}</dd>
            {requester.phones.length > 0 && (
              <>
                <dt>Phones</dt>
                <dd>{requester.phones.join(', ')}</dd>
              </>
            )}
            {keyIds.length > 0 && (
              <>
                <dt>Identities</dt>
                <dd>
                  {keyIds.map((i) => (
                    <div key={i.id}>
                      <span className="chip">{i.type}</span> <span className="mono">{i.value}</span>
                    </div>
                  ))}
                </dd>
              </>
            )}
          </dl>
          <a href={href({ name: 'customer', id: requester.id })}>Open 360 view →</a>
        </>
      )}
    </aside>
  );
}
