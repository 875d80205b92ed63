import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AcceptMatchSuggestionMutation as AcceptData,
  AcceptMatchSuggestionMutationVariables,
  MatchCustomerFragment,
  MatchJobFieldsFragment,
  MatchJobQuery as JobData,
  MatchJobQueryVariables,
  MatchJobsQuery as JobsData,
  MatchJobsQueryVariables,
  MatchJobUpdatedSubscription as JobUpdatedData,
  MatchJobUpdatedSubscriptionVariables,
  MatchSuggestionsQuery as SuggestionsData,
  MatchSuggestionsQueryVariables,
  RejectMatchSuggestionMutation as RejectData,
  RejectMatchSuggestionMutationVariables,
  SourcesQuery as SourcesData,
  StartMatchJobMutation as StartData,
  StartMatchJobMutationVariables,
} from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import type { Live } from '../lib/live';
import { formatProbability, jobDone, nextAfterDecision, watchJob } from '../lib/matching';
import { formatTime } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';
import {
  AcceptMatchSuggestionMutation,
  MatchJobQuery,
  MatchJobsQuery,
  MatchJobUpdatedSubscription,
  MatchSuggestionsQuery,
  RejectMatchSuggestionMutation,
  SourcesQuery,
  StartMatchJobMutation,
} from '../operations';
import { href } from '../routes';
import { EvidenceTable } from './Evidence';
import { ServerError } from './ServerError';

type Job = MatchJobFieldsFragment;
type Suggestion = SuggestionsData['matchSuggestions'][number];
type MatchCustomer = MatchCustomerFragment;

const PAGE_SIZE = 50;

interface Props {
  client: Client;
  live: Live;
  /** ADMIN: start jobs, accept, reject. ANALYST looks. */
  canDecide: boolean;
}

export function MatchScreen({ client, live, canDecide }: Props) {
  const [sources, setSources] = useState<string[]>([]);
  const [source, setSource] = useState('');
  const [incremental, setIncremental] = useState(false);
  const [dryRun, setDryRun] = useState(true);
  const [job, setJob] = useState<Job | null>(null);
  const [liveMode, setLiveMode] = useState<'live' | 'polling'>('live');
  const [starting, setStarting] = useState(false);
  const [jobError, setJobError] = useState<unknown>(null);

  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [deciding, setDeciding] = useState<'accept' | 'reject' | null>(null);
  const [decisionError, setDecisionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [decided, setDecided] = useState(0);
  const suggestionsRef = useRef(suggestions);
  suggestionsRef.current = suggestions;

  const loadSuggestions = useCallback(
    async (after: string | null = null) => {
      setListError(null);
      try {
        const d = await client<SuggestionsData, MatchSuggestionsQueryVariables>(MatchSuggestionsQuery, { status: 'PENDING', first: PAGE_SIZE, after });
        const page = d.matchSuggestions;
        const cur = suggestionsRef.current;
        const list = after && cur ? [...cur, ...page.filter((s) => !cur.some((c) => c.id === s.id))] : page;
        setHasMore(page.length === PAGE_SIZE);
        setSuggestions(list);
        setSelectedId((sel) => (sel && list.some((s) => s.id === sel) ? sel : (list[0]?.id ?? null)));
      } catch (e) {
        setListError(errorMessage(e));
      }
    },
    [client],
  );

  useEffect(() => {
    void loadSuggestions();
    client<SourcesData>(SourcesQuery)
      .then((d) => setSources(d.sources.map((s) => s.name).sort()))
      .catch(() => {});
    client<JobsData, MatchJobsQueryVariables>(MatchJobsQuery, { first: 1 })
      .then((d) => setJob((cur) => cur ?? d.matchJobs[0] ?? null))
      .catch(() => {});
  }, [client, loadSuggestions]);

  // Follow a running job: matchJobUpdated, with matchJob polls when the socket is quiet or down.
  const jobRef = useRef(job);
  jobRef.current = job;
  const runningId = job && !jobDone(job) ? job.id : null;
  useEffect(() => {
    const start = jobRef.current;
    if (!runningId || !start) return;
    setLiveMode('live');
    return watchJob<Job>({
      job: start,
      subscribe: (onJob, onError) =>
        live.subscribe<JobUpdatedData, MatchJobUpdatedSubscriptionVariables>(MatchJobUpdatedSubscription, { id: runningId }, (d) => onJob(d.matchJobUpdated), onError),
      poll: async () => (await client<JobData, MatchJobQueryVariables>(MatchJobQuery, { id: runningId })).matchJob ?? null,
      onJob: (j) => {
        setJob(j);
        if (jobDone(j)) void loadSuggestions();
      },
      onFallback: () => setLiveMode('polling'),
    });
  }, [runningId, client, live, loadSuggestions]);

  const startJob = async () => {
    setStarting(true);
    setJobError(null);
    try {
      const d = await client<StartData, StartMatchJobMutationVariables>(StartMatchJobMutation, {
        input: { incremental, dryRun, ...(source ? { source } : {}) },
      });
      setJob(d.startMatchJob);
      if (jobDone(d.startMatchJob)) void loadSuggestions();
    } catch (e) {
      setJobError(e);
    } finally {
      setStarting(false);
    }
  };

  const selected = suggestions?.find((s) => s.id === selectedId) ?? null;

  const decide = async (kind: 'accept' | 'reject') => {
    if (!selected || !suggestions) return;
    setDeciding(kind);
    setDecisionError(null);
    setNotice(null);
    const names = `${customerName(selected.left)} and ${customerName(selected.right)}`;
    try {
      if (kind === 'accept') {
        await client<AcceptData, AcceptMatchSuggestionMutationVariables>(AcceptMatchSuggestionMutation, { id: selected.id });
        setNotice(`Merged ${names}.`);
      } else {
        await client<RejectData, RejectMatchSuggestionMutationVariables>(RejectMatchSuggestionMutation, { id: selected.id, reason: reason.trim() || null });
        setNotice(`Rejected: ${names} will not be suggested again.`);
      }
      const { list, next } = nextAfterDecision(suggestions, selected.id);
      setSuggestions(list);
      setSelectedId(next?.id ?? null);
      setReason('');
      setDecided((n) => n + 1);
      if (list.length === 0 && hasMore) void loadSuggestions();
    } catch (e) {
      setDecisionError(e);
    } finally {
      setDeciding(null);
    }
  };

  return (
    <section className="matching">
      <header className="section-header">
        <h1>Match review</h1>
        {decided > 0 && <span className="muted">{decided} decided this session</span>}
      </header>

      <div className="card match-job" aria-label="Matching job" role="region">
        <form
          className="job-form"
          onSubmit={(e) => {
            e.preventDefault();
            void startJob();
          }}
        >
          <label>
            Source
            <select aria-label="Source" value={source} onChange={(e) => setSource(e.target.value)}>
              <option value="">All sources</option>
              {sources.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={incremental} onChange={(e) => setIncremental(e.target.checked)} /> Incremental{' '}
            <span className="muted">only customers changed since the last job</span>
          </label>
          <label className="check">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run <span className="muted">suggest only, merge nothing</span>
          </label>
          <button type="submit" className="primary" disabled={!canDecide || starting || runningId !== null}>
            {starting ? 'Starting…' : runningId ? 'Job running…' : 'Start matching job'}
          </button>
          {!canDecide && <span className="hint">Only admins start jobs and decide.</span>}
        </form>
        {jobError !== null && <ServerError error={jobError} />}
        {job && <JobProgress job={job} liveMode={liveMode} />}
      </div>

      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {listError && (
        <p className="error" role="alert">
          {listError}
        </p>
      )}

      <div className="match-review">
        <aside className="suggestion-list">
          <h2>
            Pending <span className="muted">({suggestions ? `${suggestions.length}${hasMore ? '+' : ''}` : '…'})</span>
          </h2>
          {suggestions && suggestions.length === 0 && <p className="empty">Nothing to review.</p>}
          <ul aria-label="Pending suggestions">
            {suggestions?.map((s) => (
              <li key={s.id}>
                <button type="button" className={s.id === selectedId ? 'active' : ''} aria-current={s.id === selectedId || undefined} onClick={() => (setSelectedId(s.id), setDecisionError(null))}>
                  <span className="pair-names">
                    {customerName(s.left)} ↔ {customerName(s.right)}
                  </span>
                  <span className="probability">{formatProbability(s.probability)}</span>
                </button>
              </li>
            ))}
          </ul>
          {hasMore && (
            <button className="more small" onClick={() => loadSuggestions(suggestions?.at(-1)?.id ?? null)}>
              Load more
            </button>
          )}
        </aside>

        {selected ? (
          <section className="pair" aria-label="Suggestion" data-suggestion={selected.id}>
            <header className="pair-header">
              <h2>
                {customerName(selected.left)} ↔ {customerName(selected.right)}
              </h2>
              <span className="probability big" data-testid="probability">
                {formatProbability(selected.probability)} match
              </span>
            </header>
            <p className="muted">Suggested {formatTime(selected.createdAt)}</p>
            <div className="side-by-side">
              <CustomerCard side="Left" customer={selected.left} />
              <CustomerCard side="Right" customer={selected.right} />
            </div>
            <h3>Evidence</h3>
            <EvidenceTable evidence={selected.evidence} />
            {canDecide && (
              <div className="decision">
                <button type="button" className="primary" disabled={deciding !== null} onClick={() => decide('accept')}>
                  {deciding === 'accept' ? 'Merging…' : 'Accept and merge'}
                </button>
                <input aria-label="Reason (optional)" placeholder="Reason for rejecting (optional)" value={reason} onChange={(e) => setReason(e.target.value)} />
                <button type="button" className="danger" disabled={deciding !== null} onClick={() => decide('reject')}>
                  {deciding === 'reject' ? 'Rejecting…' : 'Reject'}
                </button>
              </div>
            )}
            {decisionError !== null && <ServerError error={decisionError} />}
          </section>
        ) : (
          suggestions && suggestions.length > 0 && <p className="empty">Pick a suggestion.</p>
        )}
      </div>
    </section>
  );
}

function customerName(c: MatchCustomer | null | undefined): string {
  if (!c) return '(gone)';
  return c.name || [c.firstName, c.lastName].filter(Boolean).join(' ') || c.id;
}

function JobProgress({ job, liveMode }: { job: Job; liveMode: 'live' | 'polling' }) {
  const running = !jobDone(job);
  const pct = job.total > 0 ? Math.round((100 * job.processed) / job.total) : running ? null : 100;
  return (
    <div className="progress job-progress" data-status={job.status}>
      <div className="job-line">
        <span className={`chip job-${job.status.toLowerCase()}`} data-testid="job-status">
          {enumLabel(job.status)}
        </span>
        <span>{enumLabel(job.phase)}</span>
        {pct !== null && <span className="muted">{pct}%</span>}
        {running && <span className={`live-dot ${liveMode === 'polling' ? 'off' : ''}`}>{liveMode === 'polling' ? 'Polling' : 'Live'}</span>}
      </div>
      <progress max={Math.max(job.total, 1)} value={running ? job.processed : Math.max(job.total, 1)} aria-label="Matching progress" />
      <span>
        {job.processed} / {job.total} processed · {job.pairsCompared} pairs compared · {job.autoMerged} merged automatically · {job.suggested} suggested
      </span>
      <span className="muted">
        Started {formatTime(job.startedAt)}
        {job.finishedAt && `, finished ${formatTime(job.finishedAt)}`}
      </span>
      {job.error && (
        <p className="error" role="alert">
          {job.error}
        </p>
      )}
    </div>
  );
}

function CustomerCard({ side, customer }: { side: string; customer: MatchCustomer | null | undefined }) {
  if (!customer)
    return (
      <div className="card match-customer" aria-label={side} role="group">
        <h4>{side}</h4>
        <p className="empty">This customer no longer exists.</p>
      </div>
    );
  return (
    <div className="card match-customer" aria-label={side} role="group">
      <h4>{side}</h4>
      <p className="name">
        <a href={href({ name: 'customer', id: customer.id })}>{customerName(customer)}</a>
      </p>
      <p className="muted mono">{customer.id}</p>
      <dl className="facts">
        <dt>E-mails</dt>
        <dd>{customer.emails.join(', ') || '—'}</dd>
        <dt>Phones</dt>
        <dd>{customer.phones.join(', ') || '—'}</dd>
        <dt>Born</dt>
        <dd>{customer.birthDate || '—'}</dd>
        <dt>Addresses</dt>
        <dd>
          {customer.addresses.length === 0
            ? '—'
            : customer.addresses.map((a, i) => <div key={i}>{[a.line1, a.line2, a.postcode, a.city, a.region, a.country].filter(Boolean).join(', ')}</div>)}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(customer.createdAt)}</dd>
      </dl>
    </div>
  );
}
