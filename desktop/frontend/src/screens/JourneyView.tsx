// One journey (issue 16): its flow from the trigger, where its customers are per step,
// conversion against the holdout, and publish / pause / archive for admins.
import { useEffect, useState } from 'react';
import { BarController, BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, Tooltip } from 'chart.js';
import { Bar } from 'react-chartjs-2';
import type {
  ArchiveJourneyMutation as ArchiveData,
  ArchiveJourneyMutationVariables,
  JourneyQuery as JourneyData,
  JourneyQueryVariables,
  PauseJourneyMutation as PauseData,
  PauseJourneyMutationVariables,
  PublishJourneyMutation as PublishData,
  PublishJourneyMutationVariables,
  SegmentsQuery as SegmentsData,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { flowRows, stepBars, stepKindLabel, triggerSummary, type DefShape } from '../lib/journeys';
import { formatTime } from '../lib/provenance';
import { formatShare } from '../lib/reports';
import { enumLabel } from '../lib/tickets';
import { ArchiveJourneyMutation, JourneyQuery, PauseJourneyMutation, PublishJourneyMutation, SegmentsQuery } from '../operations';
import { href } from '../routes';
import { ConfirmDialog } from './ConfirmDialog';

ChartJS.register(CategoryScale, LinearScale, BarController, BarElement, Tooltip, Legend);
ChartJS.defaults.animation = false;

type Journey = NonNullable<JourneyData['journey']>;
type Version = Journey['versions'][number];

export function JourneyView({ client, id, canChange }: { client: Client; id: string; canChange: boolean }) {
  const [journey, setJourney] = useState<Journey | null>(null);
  const [segments, setSegments] = useState<Map<string, string>>(new Map());
  const [picked, setPicked] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const ac = new AbortController();
    (async () => {
      try {
        const [j, s] = await Promise.all([client<JourneyData, JourneyQueryVariables>(JourneyQuery, { id }, ac.signal), client<SegmentsData>(SegmentsQuery, {}, ac.signal)]);
        if (!j.journey) throw new Error('No such journey.');
        setJourney(j.journey);
        setSegments(new Map(s.segments.map((x) => [x.id, x.name])));
      } catch (e) {
        if (!ac.signal.aborted) setError(errorMessage(e));
      }
    })();
    return () => ac.abort();
  }, [client, id, reload]);

  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      setArchiving(false);
      setPicked(null);
      setReload((n) => n + 1);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!journey)
    return error ? (
      <p className="error" role="alert">
        {error}
      </p>
    ) : (
      <p className="loading">Loading journey…</p>
    );

  const j = journey;
  const shownVersion = picked ?? j.liveVersion ?? j.latestVersion;
  const version = j.versions.find((v) => v.version === shownVersion) ?? j.versions[0];
  const hasDraft = j.liveVersion === null || j.latestVersion > j.liveVersion;
  const canPublish = j.status !== 'ARCHIVED' && (hasDraft || j.status === 'PAUSED');
  return (
    <section className="journey-view">
      <a href={href({ name: 'journeys' })}>← Journeys</a>
      <header className="section-header">
        <h1>{j.name}</h1>
        <span className={`chip journey-${j.status.toLowerCase()}`} data-testid="journey-status">
          {enumLabel(j.status)}
        </span>
        {canChange && (
          <div className="actions">
            {canPublish && (
              <button type="button" className="primary" disabled={busy} onClick={() => void act(() => client<PublishData, PublishJourneyMutationVariables>(PublishJourneyMutation, { id: j.id }))}>
                {hasDraft ? `Publish version ${j.latestVersion}` : 'Resume'}
              </button>
            )}
            {j.status === 'ACTIVE' && (
              <button type="button" disabled={busy} onClick={() => void act(() => client<PauseData, PauseJourneyMutationVariables>(PauseJourneyMutation, { id: j.id }))}>
                Pause
              </button>
            )}
            {j.status !== 'ARCHIVED' && (
              <button type="button" className="danger" disabled={busy} onClick={() => setArchiving(true)}>
                Archive…
              </button>
            )}
          </div>
        )}
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {j.versions.length > 1 && (
        <label className="inline-label">
          Version{' '}
          <select value={version?.version} onChange={(e) => setPicked(Number(e.target.value))}>
            {j.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.live ? ' (live)' : v.publishedAt ? '' : ' (draft)'}
              </option>
            ))}
          </select>
        </label>
      )}
      {version && <VersionBody v={version} segmentName={(sid) => segments.get(sid) ?? sid} />}
      {archiving && (
        <ConfirmDialog title="Archive this journey?" confirmLabel="Archive" busy={busy} onCancel={() => setArchiving(false)} onConfirm={() => void act(() => client<ArchiveData, ArchiveJourneyMutationVariables>(ArchiveJourneyMutation, { id: j.id }))}>
          It ends for good: its customers exit and no one enters again.
        </ConfirmDialog>
      )}
    </section>
  );
}

function VersionBody({ v, segmentName }: { v: Version; segmentName(id: string): string }) {
  const def = (v.definition ?? {}) as DefShape;
  const rows = flowRows(def);
  const st = v.stats;
  const bars = stepBars(def, st.steps);
  return (
    <div className="journey-body">
      <section className="card journey-flow" aria-label="Flow">
        <h2>
          Version {v.version}{' '}
          <span className="muted">
            {v.live ? 'live' : v.publishedAt ? 'published' : 'draft'}
            {v.publishedAt ? `, published ${formatTime(v.publishedAt)}` : `, saved ${formatTime(v.createdAt)}`}
          </span>
        </h2>
        <ol className="flow">
          <li className="flow-trigger">
            <span className="chip">Trigger</span> {triggerSummary(def.trigger, segmentName)}
          </li>
          {rows.map((r, i) => (
            <li key={i} className={`flow-${r.type}`} style={{ marginLeft: `${r.depth * 1.5}rem` }} data-step={r.type === 'step' ? r.id : undefined}>
              {r.type === 'step' && (
                <>
                  <span className={`chip step-${r.kind.toLowerCase()}`}>{stepKindLabel(r.kind)}</span> <code className="muted">{r.id}</code> {r.summary}
                </>
              )}
              {r.type === 'arm' && <span className="arm">↳ {r.label}</span>}
              {r.type === 'goto' && <span className="muted">→ continues at {r.id}</span>}
              {r.type === 'end' && <span className="muted">end of the run</span>}
            </li>
          ))}
        </ol>
        <p className="muted">
          Re-entry: {enumLabel(def.reentry?.mode ?? 'NEVER')}
          {def.reentry?.afterDays ? ` after ${def.reentry.afterDays} days` : ''}
          {def.goal ? ` · goal: an order within ${def.goal.orderWithinDays} days` : ''}
        </p>
      </section>
      <div className="report-kpis journey-kpis" aria-label="Runs">
        {(
          [
            ['Entered', st.entered],
            ['In progress', st.inProgress],
            ['Done', st.done],
            ['Exited', st.exited],
          ] as const
        ).map(([label, n]) => (
          <span key={label} className="report-kpi">
            {label} <strong>{n.toLocaleString('en')}</strong>
          </span>
        ))}
        <span className="report-kpi" title="Customers with an order within the goal's days of entering">
          Converted <strong>{st.converted.toLocaleString('en')}</strong> ({formatShare(st.conversionRate, 1)})
        </span>
        <span className="report-kpi" title="The split's holdout arms: sent nothing">
          Holdout converted <strong>{st.holdoutConverted.toLocaleString('en')}</strong> of {st.holdout.toLocaleString('en')} ({formatShare(st.holdoutConversionRate, 1)})
        </span>
      </div>
      <figure className="card chart report wide" aria-label="Customers per step" data-state={st.entered === 0 ? 'empty' : 'ok'}>
        <figcaption>Customers per step</figcaption>
        <div className="chart-box" style={{ height: `${Math.max(10, bars.labels.length * 2.6 + 4)}rem` }}>
          {st.entered === 0 ? (
            <p className="chart-message empty">No one has entered this version yet.</p>
          ) : (
            <Bar
              role="img"
              aria-label="Entered, completed and waiting per step"
              data={{
                labels: bars.labels,
                datasets: [
                  { label: 'Entered', data: bars.entered, backgroundColor: '#3257d6' },
                  { label: 'Completed', data: bars.completed, backgroundColor: '#1e7d4f' },
                  { label: 'Waiting', data: bars.waiting, backgroundColor: '#c77d00' },
                ],
              }}
              options={{ indexAxis: 'y', maintainAspectRatio: false, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }}
            />
          )}
        </div>
      </figure>
    </div>
  );
}
