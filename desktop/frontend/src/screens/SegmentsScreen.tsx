import { useCallback, useEffect, useState } from 'react';
import type { SegmentsQuery as SegmentsData } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';
import { SegmentsQuery } from '../operations';
import { href } from '../routes';

interface Props {
  client: Client;
  /** ADMIN and ANALYST build segments; AGENT only looks. */
  canEdit: boolean;
}

export function SegmentsScreen({ client, canEdit }: Props) {
  const [segments, setSegments] = useState<SegmentsData['segments'] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const d = await client<SegmentsData>(SegmentsQuery);
      setSegments([...d.segments].sort((a, b) => a.name.localeCompare(b.name)));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="segments">
      <header className="section-header">
        <h1>Segments</h1>
        {canEdit && (
          <a className="button primary" href={href({ name: 'segment-new' })}>
            New segment
          </a>
        )}
      </header>
      {error && (
        <p className="error" role="alert">
          {error} <button className="small" onClick={load}>Retry</button>
        </p>
      )}
      {!segments && !error && <p className="loading">Loading segments…</p>}
      {segments && segments.length === 0 && <p className="empty">No segments yet.{canEdit && ' Build one with “New segment”.'}</p>}
      {segments && segments.length > 0 && (
        <table className="segment-list" aria-label="Segments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th className="num">Members</th>
              <th>Evaluated</th>
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={s.id} data-segment={s.name}>
                <td>
                  <a href={href({ name: 'segment', id: s.id })}>{s.name}</a>
                  {s.description && <div className="muted">{s.description}</div>}
                </td>
                <td>
                  <span className={`chip kind-${s.kind.toLowerCase()}`}>{enumLabel(s.kind)}</span>
                </td>
                <td className="num members">{s.memberCount}</td>
                <td>{s.evaluatedAt ? formatTime(s.evaluatedAt) : <span className="muted">never</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
