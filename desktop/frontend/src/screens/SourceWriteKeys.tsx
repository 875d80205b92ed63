// Write keys of the tracking API for one source (issue 18): list, create (shown once),
// revoke, and how to point the Segment SDKs at this server.
import { useCallback, useState } from 'react';
import type {
  CreateWriteKeyMutation as CreateData,
  CreateWriteKeyMutationVariables,
  RevokeWriteKeyMutation as RevokeData,
  RevokeWriteKeyMutationVariables,
  WriteKeysQuery as WriteKeysData,
  WriteKeysQueryVariables,
} from '../gql/graphql';
import { segmentSnippet } from '../lib/admin';
import type { Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { CreateWriteKeyMutation, RevokeWriteKeyMutation, WriteKeysQuery } from '../operations';
import { ConfirmDialog } from './ConfirmDialog';
import { SecretOnce } from './SecretOnce';
import { useManagedList } from './useManagedList';

type WriteKey = WriteKeysData['writeKeys'][number];

export function SourceWriteKeys({ source, client, serverUrl, onClose }: { source: string; client: Client; serverUrl: string; onClose(): void }) {
  const fetch = useCallback(
    async () => (await client<WriteKeysData, WriteKeysQueryVariables>(WriteKeysQuery, { source })).writeKeys,
    [client, source],
  );
  const { items: keys, error, busy, run } = useManagedList<WriteKey>(fetch);
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<WriteKey | null>(null);

  const create = () =>
    run(async () => {
      const d = await client<CreateData, CreateWriteKeyMutationVariables>(CreateWriteKeyMutation, { source });
      setCreated(d.createWriteKey.key);
    });

  const active = keys?.filter((k) => !k.revokedAt) ?? [];
  return (
    <section className="card write-keys" aria-label={`Write keys of ${source}`}>
      <header className="section-header">
        <h2>
          Write keys of <span className="mono">{source}</span>
        </h2>
        <div className="actions">
          <button className="primary" onClick={create} disabled={busy}>
            Create write key
          </button>
          <button onClick={onClose}>Close</button>
        </div>
      </header>
      <p className="hint">
        The Segment-compatible tracking API (/v1/track, identify, page, batch…) takes events of this source with any of its keys. The source must map userId and anonymousId as
        identifiers (e.g. to customer_id and anonymous_id).
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {created && <SecretOnce what="The write key" value={created} testId="write-key" onDone={() => setCreated(null)} />}
      {keys === null ? (
        !error && <p className="loading">Loading write keys…</p>
      ) : keys.length === 0 ? (
        <p className="empty">No write keys yet.</p>
      ) : (
        <table className="compact" aria-label="Write keys">
          <thead>
            <tr>
              <th>Key</th>
              <th>Created</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} data-write-key={k.id}>
                <td className="mono">{k.prefix}…</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{k.revokedAt ? <span className="muted">revoked {formatTime(k.revokedAt)}</span> : 'active'}</td>
                <td>
                  {!k.revokedAt && (
                    <button className="small danger" disabled={busy} onClick={() => setRevoking(k)}>
                      Revoke…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details open={!!created || active.length === 0}>
        <summary>Send events with the Segment SDKs</summary>
        <pre className="snippet" data-testid="segment-snippet">
          {segmentSnippet(serverUrl, created ?? (active[0] ? `${active[0].prefix}…` : 'wk_…'))}
        </pre>
      </details>
      {revoking && (
        <ConfirmDialog
          title="Revoke write key?"
          confirmLabel="Revoke"
          busy={busy}
          onCancel={() => setRevoking(null)}
          onConfirm={() => void run(async () => {
            await client<RevokeData, RevokeWriteKeyMutationVariables>(RevokeWriteKeyMutation, { id: revoking.id });
            setRevoking(null);
          })}
        >
          <p>
            Events sent with <span className="mono">{revoking.prefix}…</span> are refused at once on this server, on others within 30 seconds. Shops still using it lose their
            tracking.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
