// Admin (issue 17; ADMIN keys): API keys, the audit trail, event webhooks, and the help
// desk's agents, groups, SLA policies and macros, one tab each.
import { useCallback, useState, type FormEvent } from 'react';
import type {
  ApiKeysQuery as ApiKeysData,
  CreateApiKeyMutation as CreateData,
  CreateApiKeyMutationVariables,
  RevokeApiKeyMutation as RevokeData,
  RevokeApiKeyMutationVariables,
  Role,
} from '../gql/graphql';
import { ADMIN_TABS, ROLES, type AdminTab } from '../lib/admin';
import type { Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { ApiKeysQuery, CreateApiKeyMutation, RevokeApiKeyMutation } from '../operations';
import { href } from '../routes';
import { AdminAudit } from './AdminAudit';
import { AdminHelpdesk } from './AdminHelpdesk';
import { AdminWebhooks } from './AdminWebhooks';
import { ConfirmDialog } from './ConfirmDialog';
import { SecretOnce } from './SecretOnce';
import { useManagedList } from './useManagedList';

export type ApiKey = ApiKeysData['apiKeys'][number];

export function AdminScreen({ tab, client, meId }: { tab: AdminTab; client: Client; meId: string }) {
  return (
    <section className="admin">
      <header className="section-header">
        <h1>Admin</h1>
      </header>
      <nav className="tabs" aria-label="Admin sections">
        {ADMIN_TABS.map((t) => (
          <a key={t.tab} href={href({ name: 'admin', tab: t.tab })} className={t.tab === tab ? 'active' : ''} aria-current={t.tab === tab ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'audit' ? (
        <AdminAudit client={client} />
      ) : tab === 'webhooks' ? (
        <AdminWebhooks client={client} />
      ) : tab === 'helpdesk' ? (
        <AdminHelpdesk client={client} />
      ) : (
        <ApiKeys client={client} meId={meId} />
      )}
    </section>
  );
}

function ApiKeys({ client, meId }: { client: Client; meId: string }) {
  const fetch = useCallback(async () => (await client<ApiKeysData>(ApiKeysQuery)).apiKeys, [client]);
  const { items: keys, error, busy, run } = useManagedList<ApiKey>(fetch);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('AGENT');
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const d = await client<CreateData, CreateApiKeyMutationVariables>(CreateApiKeyMutation, { name: name.trim(), role });
      setCreated(d.createApiKey.key);
      setName('');
    });
  };

  const revokedCount = keys?.filter((k) => k.revokedAt).length ?? 0;
  const shown = keys?.filter((k) => showRevoked || !k.revokedAt) ?? [];
  return (
    <section className="admin-tab" aria-label="API keys">
      <form className="card inline" onSubmit={create} aria-label="New API key">
        <label>
          Key name
          <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. Help desk — Sam" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r.role} value={r.role}>
                {r.role}
              </option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            Create key
          </button>
        </div>
        <p className="hint wide">{ROLES.find((r) => r.role === role)?.hint}.</p>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {created && <SecretOnce what="The API key" value={created} testId="api-key" onDone={() => setCreated(null)} />}
      {keys === null ? (
        !error && <p className="loading">Loading API keys…</p>
      ) : shown.length === 0 ? (
        <p className="empty">No API keys.</p>
      ) : (
        <table className="compact" aria-label="API keys list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Key</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={k.id} data-api-key={k.id} className={k.revokedAt ? 'revoked' : ''}>
                <td>
                  {k.name}
                  {k.id === meId && <span className="muted"> (this app)</span>}
                </td>
                <td>
                  <span className="chip">{k.role}</span>
                </td>
                <td className="mono">{k.prefix}…</td>
                <td>{formatTime(k.createdAt)}</td>
                <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : <span className="muted">never</span>}</td>
                <td>
                  {k.revokedAt ? (
                    <span className="muted">revoked {formatTime(k.revokedAt)}</span>
                  ) : (
                    k.id !== meId && (
                      <button className="small danger" disabled={busy} onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                        Revoke…
                      </button>
                    )
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revokedCount > 0 && (
        <label className="check">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show {revokedCount} revoked
        </label>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke API key?"
          confirmLabel="Revoke"
          busy={busy}
          onCancel={() => setRevoking(null)}
          onConfirm={() =>
            void run(async () => {
              await client<RevokeData, RevokeApiKeyMutationVariables>(RevokeApiKeyMutation, { id: revoking.id });
              setRevoking(null);
            })
          }
        >
          <p>
            <strong>{revoking.name}</strong> ({revoking.role}, <span className="mono">{revoking.prefix}…</span>) stops working at once. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
