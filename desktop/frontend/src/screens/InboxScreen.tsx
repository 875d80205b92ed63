import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  TicketIdsQuery as TicketIdsData,
  TicketIdsQueryVariables,
  TicketsQuery as TicketsData,
  TicketsQueryVariables,
  TicketUpdatedSubscription as TicketUpdatedData,
  TicketUpdatedSubscriptionVariables,
} from '../gql/graphql';
import type { TicketChannel } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import type { Live } from '../lib/live';
import { byChannel, channelInfo, CHANNELS, channelsFromParam, channelsToParam } from '../lib/mailview';
import { collectPages, countLabel } from '../lib/paging';
import { formatTime } from '../lib/provenance';
import { dueLabel, enumLabel, mergeIntoQueue, nextDue, QUEUES, queueByKey, type QueueDef, type QueueKey, type TicketSummary } from '../lib/tickets';
import { TicketIdsQuery, TicketsQuery, TicketUpdatedSubscription } from '../operations';
import { href } from '../routes';

const PAGE_SIZE = 50;
/** Counts page through ids; beyond this a queue shows "500+". */
const COUNT_CAP = 500;
const RECOUNT_DELAY_MS = 300;
/** The channel filter outlives the screen (and a restart) on this machine. */
const CHANNELS_KEY = 'tessera.inbox.channels';

interface Props {
  queueKey: QueueKey;
  client: Client;
  live: Live;
  meId: string;
}

type Counts = Partial<Record<QueueKey, string>>;

export function InboxScreen({ queueKey, client, live, meId }: Props) {
  const queue = queueByKey(queueKey) ?? QUEUES[2];
  const [items, setItems] = useState<TicketSummary[] | null>(null);
  const [page, setPage] = useState<{ hasNextPage: boolean; endCursor: string | null }>({ hasNextPage: false, endCursor: null });
  const [error, setError] = useState<string | null>(null);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [counts, setCounts] = useState<Counts>({});
  const [flash, setFlash] = useState<Set<string>>(new Set());
  const [channels, setChannels] = useState<Set<TicketChannel>>(() => channelsFromParam(localStorage.getItem(CHANNELS_KEY)));
  const toggleChannel = (c: TicketChannel) =>
    setChannels((cur) => {
      const next = new Set(cur);
      if (!next.delete(c)) next.add(c);
      localStorage.setItem(CHANNELS_KEY, channelsToParam(next));
      return next;
    });

  const recount = useCallback(async () => {
    const next: Counts = {};
    await Promise.all(
      QUEUES.map(async (q) => {
        const { items, capped } = await collectPages(async (after) => {
          const d = await client<TicketIdsData, TicketIdsQueryVariables>(TicketIdsQuery, { queue: q.queue, first: 100, after });
          return { items: d.tickets.edges, hasNextPage: d.tickets.pageInfo.hasNextPage, endCursor: d.tickets.pageInfo.endCursor };
        }, COUNT_CAP);
        next[q.key] = countLabel(items.length, capped);
      }),
    );
    setCounts(next);
  }, [client]);

  const load = useCallback(
    async (q: QueueDef, after: string | null) => {
      setError(null);
      try {
        const d = await client<TicketsData, TicketsQueryVariables>(TicketsQuery, { queue: q.queue, first: PAGE_SIZE, after });
        const nodes = d.tickets.edges.map((e) => e.node);
        setItems((cur) => (after && cur ? [...cur, ...nodes] : nodes));
        setPage({ hasNextPage: d.tickets.pageInfo.hasNextPage, endCursor: d.tickets.pageInfo.endCursor });
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    [client],
  );

  useEffect(() => {
    setItems(null);
    void load(queue, null);
  }, [load, queue]);

  useEffect(() => {
    recount().catch((e) => setError(errorMessage(e)));
  }, [recount]);

  // Live: every ticket change lands in the shown queue (or leaves it), and the counts
  // are fetched again shortly after a burst of events.
  const recountTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    const stop = live.subscribe<TicketUpdatedData, TicketUpdatedSubscriptionVariables>(
      TicketUpdatedSubscription,
      {},
      ({ ticketUpdated: t }) => {
        setLiveError(null);
        setItems((cur) => (cur ? mergeIntoQueue(cur, t, queue.queue, meId, Date.now()) : cur));
        setFlash((f) => new Set(f).add(t.id));
        clearTimeout(recountTimer.current);
        recountTimer.current = setTimeout(() => void recount().catch(() => {}), RECOUNT_DELAY_MS);
      },
      setLiveError,
    );
    return () => {
      stop();
      clearTimeout(recountTimer.current);
    };
  }, [live, queue, meId, recount]);

  const now = Date.now();
  const shown = items ? byChannel(items, channels) : null;
  return (
    <div className="inbox">
      <nav className="queues" aria-label="Queues">
        {QUEUES.map((q) => (
          <a key={q.key} href={href({ name: 'inbox', queue: q.key })} className={q.key === queue.key ? 'active' : ''} aria-current={q.key === queue.key ? 'page' : undefined}>
            <span>{q.label}</span>
            <span className="count" data-queue={q.key}>
              {counts[q.key] ?? '…'}
            </span>
          </a>
        ))}
      </nav>
      <section className="ticket-list">
        <header className="section-header">
          <h1>{queue.label}</h1>
          <span className={`live-dot ${liveError ? 'off' : ''}`} title={liveError ?? 'Live updates on'}>
            {liveError ? 'Live updates interrupted' : 'Live'}
          </span>
        </header>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="channel-filter" role="group" aria-label="Channels">
          {CHANNELS.map((c) => (
            <button
              key={c.channel}
              type="button"
              className={`chip toggle ${channels.has(c.channel) ? 'on' : ''}`}
              aria-pressed={channels.has(c.channel)}
              onClick={() => toggleChannel(c.channel)}
            >
              <span aria-hidden="true">{c.icon}</span> {c.label}
            </button>
          ))}
          {channels.size > 0 && (
            <button type="button" className="link small" onClick={() => (localStorage.removeItem(CHANNELS_KEY), setChannels(new Set()))}>
              All channels
            </button>
          )}
        </div>
        {items === null && !error && <p className="loading">Loading tickets…</p>}
        {items?.length === 0 && <p className="empty">No tickets in this queue.</p>}
        {items && items.length > 0 && shown?.length === 0 && (
          <p className="empty">
            None of the {items.length} loaded tickets came in on {[...channels].map((c) => channelInfo(c).label.toLowerCase()).join(' or ')}
            {page.hasNextPage ? '; load more to look further.' : '.'}
          </p>
        )}
        {shown && shown.length > 0 && (
          <table className="tickets">
            <thead>
              <tr>
                <th>Subject</th>
                <th>Requester</th>
                <th>Status</th>
                <th>Priority</th>
                <th>{queue.queue === 'BREACHING_SOON' ? 'Next due' : 'Updated'}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((t) => {
                const due = nextDue(t);
                return (
                  <tr key={t.id} data-ticket={t.id} className={flash.has(t.id) ? 'flash' : ''}>
                    <td>
                      <span className="channel-icon" role="img" aria-label={channelInfo(t.channel).label} title={channelInfo(t.channel).label}>
                        {channelInfo(t.channel).icon}
                      </span>{' '}
                      <a href={href({ name: 'ticket', id: t.id })}>{t.subject}</a>
                      {t.channel === 'CHAT' && (
                        <>
                          {' '}
                          <span className="chip channel-chat" title="Live chat from the shop's widget">
                            Chat
                          </span>
                        </>
                      )}
                    </td>
                    <td>{t.requester?.name ?? <span className="muted mono">{t.requesterId}</span>}</td>
                    <td>
                      <span className={`chip status-${t.status.toLowerCase()}`}>{enumLabel(t.status)}</span>
                    </td>
                    <td>
                      <span className={`chip priority-${t.priority.toLowerCase()}`}>{enumLabel(t.priority)}</span>
                    </td>
                    <td>{queue.queue === 'BREACHING_SOON' && due ? dueLabel(due, now) : formatTime(t.updatedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {page.hasNextPage && (
          <button className="more" onClick={() => load(queue, page.endCursor)}>
            Load more
          </button>
        )}
      </section>
    </div>
  );
}
