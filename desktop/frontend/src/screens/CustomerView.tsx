import { useCallback, useEffect, useState } from 'react';
import type {
  CustomerQuery as CustomerData,
  CustomerQueryVariables,
  CustomerSegmentsQuery as CustomerSegmentsData,
  CustomerSegmentsQueryVariables,
  UnmergeCustomerMutation as UnmergeData,
  UnmergeCustomerMutationVariables,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import type { Host } from '../lib/host';
import { fieldLabel, formatTime, formatValue, provenanceTooltip, sortProvenance } from '../lib/provenance';
import { CustomerQuery, CustomerSegmentsQuery, UnmergeCustomerMutation } from '../operations';
import { enumLabel } from '../lib/tickets';
import { href } from '../routes';
import { ConfirmDialog } from './ConfirmDialog';
import { CustomerCommerce } from './CustomerCommerce';
import { CustomerInsights } from './CustomerInsights';

type Customer = NonNullable<CustomerData['customer']>;

interface Props {
  id: string;
  client: Client;
  host: Host;
  canUnmerge: boolean;
  /** Predicted value is for ADMIN keys. */
  canPredict?: boolean;
}

export function CustomerView({ id, client, host, canUnmerge, canPredict = false }: Props) {
  const [customer, setCustomer] = useState<Customer | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const data = await client<CustomerData, CustomerQueryVariables>(CustomerQuery, { id });
      setCustomer(data.customer ?? null);
      if (data.customer && data.customer.id !== id) {
        setNotice(`Profile ${id} was merged into this one.`);
      }
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client, id]);

  useEffect(() => {
    void load();
  }, [load]);

  if (error)
    return (
      <section>
        <a href={href({ name: 'customers' })}>← Customers</a>
        <p className="error" role="alert">
          {error}
        </p>
        <button onClick={load}>Retry</button>
      </section>
    );
  if (customer === undefined) return <p className="loading">Loading profile…</p>;
  if (customer === null)
    return (
      <section>
        <a href={href({ name: 'customers' })}>← Customers</a>
        <p className="empty">No customer with id {id}.</p>
      </section>
    );

  const exportJson = async () => {
    try {
      const where = await host.saveText(`customer-${customer.id}.json`, JSON.stringify(customer, null, 2));
      if (where) setNotice(`Exported to ${where}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <article className="customer360">
      <a href={href({ name: 'customers' })}>← Customers</a>
      <header className="profile-header">
        <div>
          <h1>{customer.name || '(no name)'}</h1>
          <p className="muted mono">{customer.id}</p>
        </div>
        <button onClick={exportJson}>Export JSON…</button>
      </header>
      <SegmentChips key={customer.updatedAt} id={customer.id} client={client} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <dl className="facts">
        <dt>E-mails</dt>
        <dd>{customer.emails.join(', ') || '—'}</dd>
        <dt>Phones</dt>
        <dd>{customer.phones.join(', ') || '—'}</dd>
        {customer.birthDate && (
          <>
            <dt>Born</dt>
            <dd>{customer.birthDate}</dd>
          </>
        )}
        {customer.addresses.length > 0 && (
          <>
            <dt>Addresses</dt>
            <dd>
              {customer.addresses.map((a, i) => (
                <div key={i}>{[a.line1, a.line2, a.postcode, a.city, a.region, a.country].filter(Boolean).join(', ')}</div>
              ))}
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{formatTime(customer.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(customer.updatedAt)}</dd>
      </dl>

      <Tickets customer={customer} />
      <CustomerInsights key={`insights-${customer.updatedAt}`} id={customer.id} client={client} canPredict={canPredict} />
      <CustomerCommerce key={customer.updatedAt} id={customer.id} client={client} />
      <Identities customer={customer} />
      <Traits customer={customer} />
      {customer.invalidValues.length > 0 && <InvalidValues customer={customer} />}
      <SourceRecords
        customer={customer}
        client={client}
        canUnmerge={canUnmerge}
        onUnmerged={(msg) => {
          setNotice(msg);
          void load();
        }}
      />
      <MergeHistory customer={customer} />
    </article>
  );
}

function Identities({ customer }: { customer: Customer }) {
  return (
    <section aria-labelledby="identities-h">
      <h2 id="identities-h">Identities</h2>
      {customer.identities.length === 0 ? (
        <p className="empty">None.</p>
      ) : (
        <table className="identities">
          <thead>
            <tr>
              <th>Type</th>
              <th>Value</th>
              <th>Sources</th>
              <th>First seen</th>
            </tr>
          </thead>
          <tbody>
            {customer.identities.map((i) => (
              <tr key={i.id}>
                <td>{i.type}</td>
                <td className="mono">{i.value}</td>
                <td>
                  {i.sources.map((s) => (
                    <span key={s} className="chip">
                      {s}
                    </span>
                  ))}
                </td>
                <td>{formatTime(i.firstSeen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Traits({ customer }: { customer: Customer }) {
  const rows = sortProvenance(customer.traitProvenance);
  return (
    <section aria-labelledby="traits-h">
      <h2 id="traits-h">
        Traits <span className="muted">hover a row to see where its value came from</span>
      </h2>
      {rows.length === 0 ? (
        <p className="empty">No traits.</p>
      ) : (
        <table className="traits">
          <thead>
            <tr>
              <th>Trait</th>
              <th>Value</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p, i) => (
              // Focusable so the provenance tooltip is reachable by keyboard too.
              <tr key={`${p.field}-${i}`} className="trait" tabIndex={0} data-field={p.field} aria-describedby={`prov-${i}`}>
                <td>{fieldLabel(p.field)}</td>
                <td>{formatValue(p.value)}</td>
                <td className="has-tooltip">
                  <span className="chip">{p.source}</span>
                  <span className="tooltip" role="tooltip" id={`prov-${i}`}>
                    {provenanceTooltip(p)}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function InvalidValues({ customer }: { customer: Customer }) {
  return (
    <section aria-labelledby="invalid-h">
      <h2 id="invalid-h">Invalid values</h2>
      <table>
        <thead>
          <tr>
            <th>Field</th>
            <th>Value</th>
            <th>Reason</th>
            <th>Source</th>
          </tr>
        </thead>
        <tbody>
          {customer.invalidValues.map((v, i) => (
            <tr key={i}>
              <td>{fieldLabel(v.field)}</td>
              <td className="mono">{v.value}</td>
              <td>{v.reason}</td>
              <td title={v.recordId}>{v.source}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface SourceRecordsProps {
  customer: Customer;
  client: Client;
  canUnmerge: boolean;
  onUnmerged(message: string): void;
}

function SourceRecords({ customer, client, canUnmerge, onUnmerged }: SourceRecordsProps) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const records = customer.sourceRecords;
  // Splitting every record off would leave nothing behind: not an unmerge.
  const canSplit = selected.size > 0 && selected.size < records.length;

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (!n.delete(id)) n.add(id);
      return n;
    });

  const unmerge = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await client<UnmergeData, UnmergeCustomerMutationVariables>(UnmergeCustomerMutation, {
        id: customer.id,
        recordIds: [...selected],
      });
      const split = data.unmergeCustomer.split.map((c) => `${c.name} (${c.id})`).join(', ');
      setSelected(new Set());
      setConfirming(false);
      onUnmerged(`Split off ${selected.size} record(s) into: ${split}.`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="records-h">
      <h2 id="records-h">
        Source records <span className="muted">({records.length})</span>
      </h2>
      <table className="records">
        <thead>
          <tr>
            {canUnmerge && <th aria-label="Select" />}
            <th>Record</th>
            <th>Received</th>
            <th>Payload</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id}>
              {canUnmerge && (
                <td>
                  <input type="checkbox" aria-label={`Select ${r.id}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                </td>
              )}
              <td>
                <span className="chip">{r.source}</span> <span className="mono">{r.externalId}</span>
              </td>
              <td>{formatTime(r.receivedAt)}</td>
              <td>
                <details>
                  <summary>{Object.keys((r.payload as object) ?? {}).length} fields</summary>
                  <pre>{JSON.stringify(r.payload, null, 2)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canUnmerge && records.length > 1 && (
        <div className="actions left">
          <button className="danger" disabled={!canSplit} onClick={() => setConfirming(true)}>
            Unmerge selected…
          </button>
          <span className="muted">Pick the records that belong to someone else.</span>
        </div>
      )}
      {error && !confirming && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {confirming && (
        <ConfirmDialog title="Unmerge records?" confirmLabel="Unmerge" busy={busy} onConfirm={unmerge} onCancel={() => (setConfirming(false), setError(null))}>
          <p>
            {selected.size} record(s) will be split off <strong>{customer.name}</strong> and resolved again on their own. They will be kept apart from this
            profile from now on.
          </p>
          <ul className="mono">
            {[...selected].map((id) => (
              <li key={id}>{id}</li>
            ))}
          </ul>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

function MergeHistory({ customer }: { customer: Customer }) {
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">Merge history</h2>
      {customer.mergeHistory.length === 0 ? (
        <p className="empty">Never merged or split.</p>
      ) : (
        <ol className="history">
          {customer.mergeHistory.map((m, i) => (
            <li key={i}>
              <span className={`chip kind-${m.kind.toLowerCase()}`}>{m.kind === 'MERGE' ? 'Merged' : 'Split'}</span> {formatTime(m.at)} by {m.actor}:{' '}
              {m.profileIds.map((pid) => (
                <a key={pid} href={href({ name: 'customer', id: pid })} className="mono">
                  {pid}
                </a>
              ))}{' '}
              <span className="muted">
                ({m.rule}
                {m.recordId ? `, record ${m.recordId}` : ''})
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Tickets({ customer }: { customer: Customer }) {
  return (
    <section aria-labelledby="tickets-h">
      <h2 id="tickets-h">
        Tickets <span className="muted">({customer.tickets.length === 50 ? '50 newest' : customer.tickets.length})</span>
      </h2>
      {customer.tickets.length === 0 ? (
        <p className="empty">No tickets.</p>
      ) : (
        <table className="customer-tickets">
          <thead>
            <tr>
              <th>Subject</th>
              <th>Status</th>
              <th>Priority</th>
              <th>Opened</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {customer.tickets.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={href({ name: 'ticket', id: t.id })}>{t.subject}</a>
                </td>
                <td>
                  <span className={`chip status-${t.status.toLowerCase()}`}>{enumLabel(t.status)}</span>
                </td>
                <td>{enumLabel(t.priority)}</td>
                <td>{formatTime(t.createdAt)}</td>
                <td>{formatTime(t.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The segments the customer is in now, as chips; loaded on their own so a failure here leaves the rest of the view. */
function SegmentChips({ id, client }: { id: string; client: Client }) {
  const [segments, setSegments] = useState<NonNullable<CustomerSegmentsData['customer']>['segments'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    client<CustomerSegmentsData, CustomerSegmentsQueryVariables>(CustomerSegmentsQuery, { id })
      .then((d) => !cancelled && setSegments(d.customer?.segments ?? []))
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [client, id]);
  return (
    <div className="segment-chips" role="group" aria-label="Segments">
      <span className="muted">Segments:</span>{' '}
      {error ? (
        <span className="muted" title={error}>
          unavailable
        </span>
      ) : segments === null ? (
        <span className="muted">…</span>
      ) : segments.length === 0 ? (
        <span className="muted">none</span>
      ) : (
        [...segments]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((s) => (
            <a key={s.id} className={`chip segment kind-${s.kind.toLowerCase()}`} href={href({ name: 'segment', id: s.id })}>
              {s.name}
            </a>
          ))
      )}
    </div>
  );
}
