import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import type {
  DeleteSegmentMutation as DeleteData,
  DeleteSegmentMutationVariables,
  ExportSegmentMutation as ExportData,
  ExportSegmentMutationVariables,
  RefreshSegmentMutation as RefreshData,
  RefreshSegmentMutationVariables,
  RemoveSegmentWebhookMutation as RemoveHookData,
  RemoveSegmentWebhookMutationVariables,
  SegmentMembersQuery as MembersData,
  SegmentMembersQueryVariables,
  SegmentQuery as SegmentData,
  SegmentQueryVariables,
  SetSegmentWebhookMutation as SetHookData,
  SetSegmentWebhookMutationVariables,
} from '../gql/graphql';
import { errorMessage, serverLink, type Client } from '../lib/graphql';
import type { Host } from '../lib/host';
import { formatTime } from '../lib/provenance';
import { describeRule } from '../lib/segments';
import { enumLabel } from '../lib/tickets';
import {
  DeleteSegmentMutation,
  ExportSegmentMutation,
  RefreshSegmentMutation,
  RemoveSegmentWebhookMutation,
  SegmentMembersQuery,
  SegmentQuery,
  SetSegmentWebhookMutation,
} from '../operations';
import { href } from '../routes';
import { ConfirmDialog } from './ConfirmDialog';
import { ServerError } from './ServerError';

const SegmentChart = lazy(() => import('./SegmentChart'));

type Segment = NonNullable<SegmentData['segment']>;
type MemberEdge = NonNullable<MembersData['segment']>['members']['edges'][number];

const MEMBERS_PAGE = 50;

const PERIODS: Record<string, { label: string; days: number }> = {
  '1': { label: 'Last 24 hours', days: 1 },
  '7': { label: 'Last 7 days', days: 7 },
  '30': { label: 'Last 30 days', days: 30 },
};
const HISTORY_DAYS = 30;

interface Props {
  id: string;
  client: Client;
  host: Host;
  serverUrl: string;
  /** ADMIN, ANALYST: edit, delete, refresh, export. */
  canEdit: boolean;
  /** ADMIN: webhooks. */
  canWebhook: boolean;
}

export function SegmentView({ id, client, host, serverUrl, canEdit, canWebhook }: Props) {
  const [segment, setSegment] = useState<Segment | null | undefined>(undefined);
  const [period, setPeriod] = useState('7');
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [members, setMembers] = useState<{ edges: MemberEdge[]; total: number; endCursor: string | null; hasNextPage: boolean } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const loadSegment = useCallback(async () => {
    setError(null);
    try {
      const since = new Date(Date.now() - PERIODS[period].days * 86400000).toISOString();
      const d = await client<SegmentData, SegmentQueryVariables>(SegmentQuery, { id, days: HISTORY_DAYS, since });
      setSegment(d.segment ?? null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client, id, period]);

  const loadMembers = useCallback(
    async (after: string | null) => {
      try {
        const d = await client<MembersData, SegmentMembersQueryVariables>(SegmentMembersQuery, { id, first: MEMBERS_PAGE, after });
        const m = d.segment?.members;
        if (!m) return;
        setMembers((cur) => ({
          edges: after && cur ? [...cur.edges, ...m.edges] : m.edges,
          total: m.totalCount,
          endCursor: m.pageInfo.endCursor ?? null,
          hasNextPage: m.pageInfo.hasNextPage,
        }));
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    [client, id],
  );

  useEffect(() => {
    void loadSegment();
  }, [loadSegment]);
  useEffect(() => {
    void loadMembers(null);
  }, [loadMembers]);


  const reloadAll = async () => {
    await Promise.all([loadSegment(), loadMembers(null)]);
  };

  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setActionError(null);
    setNotice(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };

  const refresh = () =>
    run('refresh', async () => {
      const d = await client<RefreshData, RefreshSegmentMutationVariables>(RefreshSegmentMutation, { id });
      await reloadAll();
      setNotice(`Refreshed: ${d.refreshSegment.memberCount} member${d.refreshSegment.memberCount === 1 ? '' : 's'}.`);
    });

  const exportCsv = () =>
    run('export', async () => {
      const d = await client<ExportData, ExportSegmentMutationVariables>(ExportSegmentMutation, { id });
      host.openUrl(serverLink(d.exportSegment.url, serverUrl));
      setNotice(`CSV export opened; the link works until ${formatTime(d.exportSegment.expiresAt)}.`);
    });

  const remove = () =>
    run('delete', async () => {
      await client<DeleteData, DeleteSegmentMutationVariables>(DeleteSegmentMutation, { id });
      setConfirmDelete(false);
      window.location.hash = href({ name: 'segments' });
    });

  if (error && !segment)
    return (
      <section>
        <a href={href({ name: 'segments' })}>← Segments</a>
        <p className="error" role="alert">
          {error}
        </p>
        <button onClick={reloadAll}>Retry</button>
      </section>
    );
  if (segment === undefined) return <p className="loading">Loading segment…</p>;
  if (segment === null)
    return (
      <section>
        <a href={href({ name: 'segments' })}>← Segments</a>
        <p className="empty">No segment with id {id}.</p>
      </section>
    );

  return (
    <article className="segment-view">
      <a href={href({ name: 'segments' })}>← Segments</a>
      <header className="profile-header">
        <div>
          <h1>{segment.name}</h1>
          <p>
            <span className={`chip kind-${segment.kind.toLowerCase()}`}>{enumLabel(segment.kind)}</span>{' '}
            <strong data-testid="member-count">{segment.memberCount}</strong> member{segment.memberCount === 1 ? '' : 's'}
            <span className="muted"> · evaluated {segment.evaluatedAt ? formatTime(segment.evaluatedAt) : 'never'}</span>
          </p>
          {segment.description && <p className="muted">{segment.description}</p>}
          {segment.kind === 'LIST' ? (
            <p className="muted">A saved list: these customers were chosen when it was saved; merges and unmerges carry them over.</p>
          ) : (
            <p className="rule-summary mono" title="Rule">
              {describeRule(segment.rule)}
            </p>
          )}
        </div>
        {canEdit && (
          <div className="actions">
            {segment.kind !== 'LIST' && (
              <button onClick={refresh} disabled={busy !== null}>
                {busy === 'refresh' ? 'Refreshing…' : 'Refresh'}
              </button>
            )}
            <button onClick={exportCsv} disabled={busy !== null}>
              {busy === 'export' ? 'Exporting…' : 'Export CSV'}
            </button>
            {segment.kind !== 'LIST' && (
              <a className="button" href={href({ name: 'segment-edit', id })}>
                Edit
              </a>
            )}
            <button className="danger" onClick={() => setConfirmDelete(true)} disabled={busy !== null}>
              Delete…
            </button>
          </div>
        )}
      </header>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {actionError !== null && !confirmDelete && <ServerError error={actionError} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      <figure className="card chart segment-chart">
        <figcaption>Size, last {HISTORY_DAYS} days</figcaption>
        {segment.sizeHistory.length === 0 ? (
          <p className="empty">No history yet.</p>
        ) : (
          <Suspense fallback={<p className="loading">Loading chart…</p>}>
            <SegmentChart points={segment.sizeHistory} />
          </Suspense>
        )}
      </figure>

      <div className="segment-columns">
        <section aria-labelledby="members-h">
          <h2 id="members-h">
            Members <span className="muted">({members ? members.total : '…'})</span>
          </h2>
          {members && members.edges.length === 0 && <p className="empty">No members.</p>}
          {members && members.edges.length > 0 && (
            <ul className="results members" aria-label="Members">
              {members.edges.map((e) => (
                <li key={e.node.customer.id}>
                  <a href={href({ name: 'customer', id: e.node.customer.id })}>
                    <strong>{e.node.customer.name || '(no name)'}</strong>
                    <span className="muted">{[...e.node.customer.emails, ...e.node.customer.phones].join(' · ')}</span>
                    <span className="muted since">since {formatTime(e.node.enteredAt)}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
          {members?.hasNextPage && (
            <button className="more" onClick={() => loadMembers(members.endCursor)}>
              Load more
            </button>
          )}
        </section>

        <section aria-labelledby="changes-h">
          <h2 id="changes-h" className="section-header">
            Who entered / exited
            <select aria-label="Changes period" value={period} onChange={(e) => setPeriod(e.target.value)} className="inline-select">
              {Object.entries(PERIODS).map(([k, p]) => (
                <option key={k} value={k}>
                  {p.label}
                </option>
              ))}
            </select>
          </h2>
          {segment.changes.length === 0 ? (
            <p className="empty">Nobody entered or exited in this period.</p>
          ) : (
            <ol className="changes" aria-label="Changes">
              {segment.changes.map((c, i) => (
                <li key={`${c.customerId}-${c.at}-${i}`} className={`change kind-${c.kind.toLowerCase()}`}>
                  <span className={`chip change-${c.kind.toLowerCase()}`}>{c.kind === 'ENTERED' ? 'Entered' : 'Exited'}</span>{' '}
                  <a href={href({ name: 'customer', id: c.customerId })}>{c.customer?.name || <span className="mono">{c.customerId}</span>}</a>{' '}
                  <span className="muted">{formatTime(c.at)}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>

      <Webhook segment={segment} client={client} canWebhook={canWebhook} onChanged={loadSegment} />

      {confirmDelete && (
        <ConfirmDialog title="Delete segment?" confirmLabel="Delete" busy={busy === 'delete'} onConfirm={remove} onCancel={() => (setConfirmDelete(false), setActionError(null))}>
          <p>
            <strong>{segment.name}</strong> and its membership history will be deleted. Customers are not changed.
          </p>
          {actionError !== null && <ServerError error={actionError} />}
        </ConfirmDialog>
      )}
    </article>
  );
}

interface WebhookProps {
  segment: Segment;
  client: Client;
  canWebhook: boolean;
  onChanged(): Promise<void>;
}

function Webhook({ segment, client, canWebhook, onChanged }: WebhookProps) {
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const hook = segment.webhook;

  const set = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = await client<SetHookData, SetSegmentWebhookMutationVariables>(SetSegmentWebhookMutation, { id: segment.id, url: url.trim() });
      setSecret(d.setSegmentWebhook.secret ?? null);
      setUrl('');
      await onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await client<RemoveHookData, RemoveSegmentWebhookMutationVariables>(RemoveSegmentWebhookMutation, { id: segment.id });
      setSecret(null);
      setConfirmRemove(false);
      await onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card webhook" aria-labelledby="webhook-h">
      <h2 id="webhook-h">Webhook</h2>
      {hook ? (
        <dl className="facts">
          <dt>URL</dt>
          <dd className="mono" data-testid="webhook-url">
            {hook.url}
          </dd>
          <dt>Last delivery</dt>
          <dd>
            {hook.lastDeliveryAt ? `${formatTime(hook.lastDeliveryAt)} (${hook.lastStatus ?? 'no status'})` : 'none yet'}
            {hook.failures > 0 && <span className="late"> · {hook.failures} failed</span>}
          </dd>
        </dl>
      ) : (
        <p className="muted">No webhook. Entered / exited batches can be POSTed to a URL, signed with HMAC-SHA256 (X-Tessera-Signature).</p>
      )}
      {secret && (
        <div className="secret notice" role="status">
          <p>
            Signing secret, shown only now — store it where the receiver can check signatures:
            <br />
            <code className="mono" data-testid="webhook-secret">
              {secret}
            </code>
          </p>
          <div className="actions left">
            {navigator.clipboard && (
              <button type="button" className="small" onClick={() => void navigator.clipboard.writeText(secret).catch(() => {})}>
                Copy
              </button>
            )}
            <button type="button" className="small" onClick={() => setSecret(null)}>
              I have stored it
            </button>
          </div>
        </div>
      )}
      {canWebhook ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void set();
          }}
        >
          <input type="url" aria-label="Webhook URL" placeholder="https://example.com/hooks/segment" required value={url} onChange={(e) => setUrl(e.target.value)} />
          <button type="submit" disabled={busy || url.trim() === ''}>
            {hook ? 'Replace webhook' : 'Set webhook'}
          </button>
          {hook && (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirmRemove(true)}>
              Remove webhook…
            </button>
          )}
        </form>
      ) : (
        <p className="hint">Only admins set webhooks.</p>
      )}
      {error !== null && !confirmRemove && <ServerError error={error} />}
      {confirmRemove && (
        <ConfirmDialog title="Remove webhook?" confirmLabel="Remove" busy={busy} onConfirm={remove} onCancel={() => setConfirmRemove(false)}>
          <p>Deliveries to {hook?.url} stop now.</p>
          {error !== null && <ServerError error={error} />}
        </ConfirmDialog>
      )}
    </section>
  );
}
