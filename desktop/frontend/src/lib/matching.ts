// Match review: how evidence is shown, which suggestion comes next after a decision, and
// following a matching job live (matchJobUpdated) with polling as the fallback.

export interface Evidence {
  field: string;
  left?: string | null;
  right?: string | null;
  level: string;
  weight: number;
}

export type Tone = 'for' | 'against' | 'neutral';

export interface EvidenceRow {
  field: string;
  label: string;
  left: string;
  right: string;
  level: string;
  weight: number;
  weightText: string;
  tone: Tone;
  /** Bar length, 0..100, relative to the strongest weight of the pair. */
  barPercent: number;
}

/** Weights this close to 0 (e.g. a missing value) count as neither for nor against. */
const NEUTRAL = 0.05;

export function weightTone(w: number): Tone {
  if (w > NEUTRAL) return 'for';
  if (w < -NEUTRAL) return 'against';
  return 'neutral';
}

/** Log2 odds with a sign and two decimals; a real minus sign. */
export function formatWeight(w: number): string {
  if (Math.abs(w) < 0.005) return '0.00';
  return `${w > 0 ? '+' : '−'}${Math.abs(w).toFixed(2)}`;
}

/** "first_name" -> "First name", "birthDate" -> "Birth date". */
export function evidenceFieldLabel(field: string): string {
  const words = field
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function evidenceLevelLabel(level: string): string {
  return level.replace(/[-_]+/g, ' ');
}

export function evidenceRows(evidence: Evidence[]): EvidenceRow[] {
  const max = Math.max(0, ...evidence.map((e) => Math.abs(e.weight)));
  return evidence.map((e) => ({
    field: e.field,
    label: evidenceFieldLabel(e.field),
    left: e.left ?? '',
    right: e.right ?? '',
    level: evidenceLevelLabel(e.level),
    weight: e.weight,
    weightText: formatWeight(e.weight),
    tone: weightTone(e.weight),
    barPercent: max > 0 ? Math.round((100 * Math.abs(e.weight)) / max) : 0,
  }));
}

export function totalWeight(evidence: Evidence[]): number {
  return evidence.reduce((s, e) => s + e.weight, 0);
}

/** 0.8734 -> "87.3%"; never rounds a near-certainty to 100% or a tiny chance to 0%. */
export function formatProbability(p: number): string {
  if (p > 0 && p < 0.0005) return '<0.1%';
  if (p < 1 && p >= 0.9995) return '>99.9%';
  return `${(Math.round(p * 1000) / 10).toFixed(1)}%`;
}

/**
 * After deciding on `decidedId`, the suggestion to show next: the one that followed it
 * in the list, else the one before, else none.
 */
export function nextAfterDecision<T extends { id: string }>(list: T[], decidedId: string): { list: T[]; next: T | null } {
  const i = list.findIndex((s) => s.id === decidedId);
  const rest = list.filter((s) => s.id !== decidedId);
  if (rest.length === 0) return { list: rest, next: null };
  const at = i < 0 ? 0 : Math.min(i, rest.length - 1);
  return { list: rest, next: rest[at] };
}

// ---------------------------------------------------------------- following a job

export interface JobLike {
  id: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  processed: number;
}

export function jobDone(j: JobLike): boolean {
  return j.status !== 'RUNNING';
}

/** Whether `next` should replace `cur`: never go back from finished, nor backwards in progress. */
export function isNewerJob(cur: JobLike | null, next: JobLike): boolean {
  if (!cur || cur.id !== next.id) return true;
  if (jobDone(cur)) return false;
  if (jobDone(next)) return true;
  return next.processed >= cur.processed;
}

export interface WatchOptions<J extends JobLike> {
  job: J;
  /** Live updates; returns the unsubscribe function. */
  subscribe(onJob: (j: J) => void, onError: (message: string) => void): () => void;
  /** One read of the job (matchJob). */
  poll(): Promise<J | null>;
  onJob(j: J): void;
  /** Called once when polling took over from the subscription (for a hint in the UI). */
  onFallback?(reason: string): void;
  pollMs?: number;
  /** Poll when the subscription has been quiet this long (it may have missed the end). */
  quietMs?: number;
}

/**
 * Follows a job until it finishes: subscription events as they come; a poll every pollMs
 * whenever the subscription failed or has said nothing for quietMs. Returns stop().
 */
export function watchJob<J extends JobLike>(o: WatchOptions<J>): () => void {
  const pollMs = o.pollMs ?? 1000;
  const quietMs = o.quietMs ?? 2500;
  let cur: J = o.job;
  let stopped = false;
  let subFailed = false;
  let lastEvent = Date.now();
  let polling = false;
  let unsubscribe: (() => void) | undefined;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe?.();
  };
  const take = (j: J) => {
    if (stopped || !isNewerJob(cur, j)) return;
    cur = j;
    o.onJob(j);
    if (jobDone(j)) stop();
  };

  const timer = setInterval(() => {
    if (stopped || polling) return;
    if (!subFailed && Date.now() - lastEvent < quietMs) return;
    polling = true;
    o.poll()
      .then((j) => j && take(j))
      .catch(() => {}) // the next tick tries again
      .finally(() => (polling = false));
  }, pollMs);

  if (jobDone(cur)) {
    stop();
    return stop;
  }
  unsubscribe = o.subscribe(
    (j) => {
      lastEvent = Date.now();
      take(j);
    },
    (message) => {
      if (!subFailed) o.onFallback?.(message);
      subFailed = true;
    },
  );
  if (stopped) unsubscribe(); // finished synchronously
  return stop;
}
