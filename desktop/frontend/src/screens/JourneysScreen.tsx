// The journey list (issue 16), with the builder for a new one.
import { useEffect, useState } from 'react';
import type { JourneysQuery as JourneysData } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';
import { JourneysQuery } from '../operations';
import { href } from '../routes';
import { JourneyBuilder } from './JourneyBuilder';

export function JourneysScreen({ client }: { client: Client }) {
  const [journeys, setJourneys] = useState<JourneysData['journeys'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [building, setBuilding] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    client<JourneysData>(JourneysQuery, {}, ac.signal)
      .then((d) => setJourneys(d.journeys))
      .catch((e) => !ac.signal.aborted && setError(errorMessage(e)));
    return () => ac.abort();
  }, [client]);

  return (
    <section className="journeys">
      <header className="section-header">
        <h1>Journeys</h1>
        {!building && (
          <button type="button" className="primary" onClick={() => setBuilding(true)}>
            New journey
          </button>
        )}
      </header>
      {building && <JourneyBuilder client={client} onClose={() => setBuilding(false)} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!journeys && !error && <p className="loading">Loading journeys…</p>}
      {journeys && journeys.length === 0 && <p className="empty">No journeys yet. Build one with “New journey”.</p>}
      {journeys && journeys.length > 0 && (
        <table aria-label="Journeys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th className="num">Live version</th>
              <th className="num">Latest</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {journeys.map((j) => (
              <tr key={j.id} data-journey={j.name}>
                <td>
                  <a href={href({ name: 'journey', id: j.id })}>{j.name}</a>
                </td>
                <td>
                  <span className={`chip journey-${j.status.toLowerCase()}`}>{enumLabel(j.status)}</span>
                </td>
                <td className="num">{j.liveVersion ?? '—'}</td>
                <td className="num">{j.latestVersion}</td>
                <td>{formatTime(j.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
