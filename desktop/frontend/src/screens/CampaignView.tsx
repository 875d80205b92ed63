// #/campaigns/{id} and #/campaigns/new: the editor while a draft, the report after.
import { useEffect, useState } from 'react';
import type { CampaignQuery as CampaignData, CampaignQueryVariables, SegmentsQuery as SegmentsData } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { CampaignQuery, SegmentsQuery } from '../operations';
import { CampaignEditor, type Campaign } from './CampaignEditor';
import { CampaignReport } from './CampaignReport';

export function CampaignView({ client, id }: { client: Client; id?: string }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [segmentName, setSegmentName] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    const ac = new AbortController();
    (async () => {
      try {
        const [c, s] = await Promise.all([client<CampaignData, CampaignQueryVariables>(CampaignQuery, { id }, ac.signal), client<SegmentsData>(SegmentsQuery, {}, ac.signal)]);
        if (!c.campaign) throw new Error('No such campaign.');
        setCampaign(c.campaign);
        const seg = s.segments.find((x) => x.id === c.campaign?.segmentId);
        setSegmentName(seg?.name ?? c.campaign.segmentId);
      } catch (e) {
        if (!ac.signal.aborted) setError(errorMessage(e));
      }
    })();
    return () => ac.abort();
  }, [client, id]);

  if (!id) return <CampaignEditor client={client} />;
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!campaign) return <p className="loading">Loading campaign…</p>;
  if (campaign.state === 'DRAFT') return <CampaignEditor key={campaign.id} client={client} campaign={campaign} onChange={setCampaign} />;
  return <CampaignReport client={client} campaign={campaign} segmentName={segmentName} onChange={setCampaign} />;
}
