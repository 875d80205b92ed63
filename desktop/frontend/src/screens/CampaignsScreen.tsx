// The campaign list (issue 16): state, segment, schedule and, for sends, the headline counts.
import { useEffect, useState } from 'react';
import type { CampaignListStatsQuery as StatsData, CampaignListStatsQueryVariables, CampaignsQuery as CampaignsData, SegmentsQuery as SegmentsData } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';
import { CampaignListStatsQuery, CampaignsQuery, SegmentsQuery } from '../operations';
import { href } from '../routes';

type Stats = StatsData['campaignReport'];
// A report reads each recipient's ledger: only the newest few sends get their counts.
const STATS_FOR = 10;

export function CampaignsScreen({ client }: { client: Client }) {
  const [campaigns, setCampaigns] = useState<CampaignsData['campaigns'] | null>(null);
  const [segments, setSegments] = useState<Map<string, string>>(new Map());
  const [stats, setStats] = useState<Record<string, Stats>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    (async () => {
      try {
        const [c, s] = await Promise.all([client<CampaignsData>(CampaignsQuery, {}, ac.signal), client<SegmentsData>(SegmentsQuery, {}, ac.signal)]);
        setCampaigns(c.campaigns);
        setSegments(new Map(s.segments.map((x) => [x.id, x.name])));
        const sends = c.campaigns.filter((x) => x.state === 'SENDING' || x.state === 'SENT').slice(0, STATS_FOR);
        await Promise.all(
          sends.map(async (x) => {
            try {
              const r = await client<StatsData, CampaignListStatsQueryVariables>(CampaignListStatsQuery, { id: x.id }, ac.signal);
              setStats((old) => ({ ...old, [x.id]: r.campaignReport }));
            } catch {
              // The list stands without its counts.
            }
          }),
        );
      } catch (e) {
        if (!ac.signal.aborted) setError(errorMessage(e));
      }
    })();
    return () => ac.abort();
  }, [client]);

  return (
    <section className="campaigns">
      <header className="section-header">
        <h1>Campaigns</h1>
        <a className="button primary" href={href({ name: 'campaign-new' })}>
          New campaign
        </a>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!campaigns && !error && <p className="loading">Loading campaigns…</p>}
      {campaigns && campaigns.length === 0 && <p className="empty">No campaigns yet. Write one with “New campaign”.</p>}
      {campaigns && campaigns.length > 0 && (
        <table aria-label="Campaigns">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Segment</th>
              <th>Scheduled / sent</th>
              <th className="num">Sent</th>
              <th className="num">Opened</th>
              <th className="num">Converted</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.map((c) => {
              const s = stats[c.id];
              const when = c.startedAt ?? c.scheduledAt;
              return (
                <tr key={c.id} data-campaign={c.name}>
                  <td>
                    <a href={href({ name: 'campaign', id: c.id })}>{c.name}</a>
                  </td>
                  <td>
                    <span className={`chip campaign-${c.state.toLowerCase()}`}>{enumLabel(c.state)}</span>
                  </td>
                  <td>{segments.get(c.segmentId) ?? <span className="muted">{c.segmentId}</span>}</td>
                  <td>{when ? formatTime(when) : <span className="muted">—</span>}</td>
                  <td className="num">{s ? s.sent : '—'}</td>
                  <td className="num">{s ? s.opened : '—'}</td>
                  <td className="num">{s ? s.treated.converted : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
