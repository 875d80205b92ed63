// The audit trail (issue 17): filter by actor, action, target and time; each entry opens to
// the change it asked for, as the server redacted it.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiKeysQuery as ApiKeysData, AuditLogQuery as AuditData, AuditLogQueryVariables } from '../gql/graphql';
import { auditVariables, changeJson, isoToLocal, NO_AUDIT_FILTERS, type AuditFilters } from '../lib/admin';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { ApiKeysQuery, AuditLogQuery } from '../operations';

const PAGE_SIZE = 50;
type Entry = AuditData['auditLog']['entries'][number];

export function AdminAudit({ client }: { client: Client }) {
  const [form, setForm] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [page, setPage] = useState<{ hasNextPage: boolean; endCursor: string | null }>({ hasNextPage: false, endCursor: null });
  const [error, setError] = useState<string | null>(null);
  const [keys, setKeys] = useState<ApiKeysData['apiKeys']>([]);

  const load = useCallback(
    async (f: AuditFilters, after: string | null) => {
      setError(null);
      try {
        const d = await client<AuditData, AuditLogQueryVariables>(AuditLogQuery, auditVariables(f, PAGE_SIZE, after));
        setEntries((cur) => (after && cur ? [...cur, ...d.auditLog.entries] : d.auditLog.entries));
        setPage(d.auditLog.pageInfo);
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    [client],
  );

  useEffect(() => {
    setEntries(null);
    void load(applied, null);
  }, [load, applied]);

  // The actor filter picks from the keys by name (revoked ones too: they acted once).
  useEffect(() => {
    client<ApiKeysData>(ApiKeysQuery).then(
      (d) => setKeys(d.apiKeys),
      () => {},
    );
  }, [client]);

  const set = (k: keyof AuditFilters) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ ...form });
  };
  const filterBy = (patch: Partial<AuditFilters>) => {
    const next = { ...form, ...patch };
    setForm(next);
    setApplied(next);
  };
  const filtered = Object.values(applied).some((v) => v.trim() !== '');

  return (
    <section className="admin-tab" aria-label="Audit trail">
      <form className="card audit-filters" onSubmit={submit} aria-label="Audit filters">
        <label>
          Actor
          <select value={form.actor} onChange={set('actor')}>
            <option value="">Anyone</option>
            {keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.role}){k.revokedAt ? ' — revoked' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <input value={form.action} onChange={set('action')} placeholder="e.g. createApiKey" />
        </label>
        <label>
          Target id
          <input value={form.target} onChange={set('target')} placeholder="customer, segment, key…" />
        </label>
        <label>
          From
          <input type="datetime-local" value={form.from} onChange={set('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={form.to} onChange={set('to')} />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => filterBy({ from: isoToLocal(new Date(Date.now() - 86400000).toISOString()), to: '' })}>
            Last 24 hours
          </button>
          {filtered && (
            <button type="button" onClick={() => filterBy(NO_AUDIT_FILTERS)}>
              Clear
            </button>
          )}
        </div>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {entries === null ? (
        !error && <p className="loading">Loading the audit trail…</p>
      ) : entries.length === 0 ? (
        <p className="empty">{filtered ? 'No entries match these filters.' : 'Nothing recorded yet.'}</p>
      ) : (
        <ol className="audit" aria-label="Audit entries">
          {entries.map((e) => (
            <li key={e.id} data-action={e.action} className={e.result === 'ok' ? '' : 'failed'}>
              <details>
                <summary>
                  <span className="muted">{formatTime(e.at)}</span> <strong className="mono">{e.action}</strong>{' '}
                  <span>
                    by {e.actor.name} <span className="chip">{e.actor.role}</span>
                  </span>
                  {e.result !== 'ok' && <span className="chip late">{e.result}</span>}
                  {e.targets.length > 0 && <span className="muted mono"> → {e.targets.slice(0, 3).join(', ')}{e.targets.length > 3 ? ` +${e.targets.length - 3}` : ''}</span>}
                </summary>
                <div className="audit-detail">
                  <pre className="mono" data-testid="audit-change">
                    {changeJson(e.change)}
                  </pre>
                  <p className="actions left">
                    <button type="button" className="small" onClick={() => filterBy({ actor: e.actor.apiKeyId })}>
                      Only this actor
                    </button>
                    <button type="button" className="small" onClick={() => filterBy({ action: e.action })}>
                      Only {e.action}
                    </button>
                    <span className="muted mono">{e.id}</span>
                  </p>
                </div>
              </details>
            </li>
          ))}
        </ol>
      )}
      {page.hasNextPage && (
        <button className="more" onClick={() => load(applied, page.endCursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
