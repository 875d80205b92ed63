// The frame every management report sits in: fetches, polls while the server prepares
// the answer (the report book loads, the value model fits), and shows loading, preparing,
// error and empty states inside the chart area so the layout does not jump.
import { useEffect, useState, type ReactNode } from 'react';
import { errorMessage } from '../lib/graphql';
import { preparing } from '../lib/reports';

const POLL_MS = 1500;

export interface Polled<T> {
  data: T | null;
  error: string | null;
  preparing: boolean;
}

/**
 * Loads with `load` whenever `key` changes and loads again every POLL_MS while the answer
 * says it is being prepared (`isPreparing`). Stale answers of an older key are dropped.
 */
export function usePolled<T>(key: string, load: (signal: AbortSignal) => Promise<T>, isPreparing: (t: T) => boolean = (t) => preparing(t as never)): Polled<T> {
  const [state, setState] = useState<Polled<T> & { key: string }>({ key, data: null, error: null, preparing: false });
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await load(ac.signal);
        if (ac.signal.aborted) return;
        const prep = isPreparing(data);
        setState({ key, data, error: null, preparing: prep });
        if (prep) timer = setTimeout(run, POLL_MS);
      } catch (e) {
        if (!ac.signal.aborted) setState({ key, data: null, error: errorMessage(e), preparing: false });
      }
    };
    setState({ key, data: null, error: null, preparing: false });
    void run();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
    // `key` stands for everything `load` reads.
  }, [key]);
  return state.key === key ? state : { data: null, error: null, preparing: false };
}

interface FrameProps<T> {
  title: ReactNode;
  /** What the chart is about while it is being prepared, e.g. "Fitting the value model". */
  preparingText?: string;
  polled: Polled<T>;
  /** Set when the answer has nothing to draw: the message shown instead. */
  empty?: (data: T) => string | null;
  /** Headline figures above the chart. */
  summary?: (data: T) => ReactNode;
  children: (data: T) => ReactNode;
  className?: string;
  /** Tables size themselves; charts need the fixed-height box. */
  box?: boolean;
  label: string;
}

export function ReportFrame<T>({ title, preparingText, polled, empty, summary, children, className = '', box = true, label }: FrameProps<T>) {
  const { data, error } = polled;
  let overlay: ReactNode = null;
  let state = 'ok';
  if (error) {
    state = 'error';
    overlay = (
      <p className="error" role="alert">
        {error}
      </p>
    );
  } else if (!data) {
    state = 'loading';
    overlay = <p className="chart-message">Loading…</p>;
  } else if (polled.preparing) {
    state = 'preparing';
    overlay = (
      <p className="chart-message" role="status">
        <span className="spinner" aria-hidden="true" /> {preparingText ?? 'Preparing the report'}… this updates by itself.
      </p>
    );
  } else {
    const msg = empty?.(data);
    if (msg) {
      state = 'empty';
      overlay = <p className="chart-message empty">{msg}</p>;
    }
  }
  return (
    <figure className={`card chart report ${className}`} aria-label={label} data-state={state}>
      <figcaption>{title}</figcaption>
      {state === 'ok' && data && summary?.(data)}
      {box ? <div className="chart-box">{overlay ?? (data && children(data))}</div> : (overlay ?? (data && children(data)))}
    </figure>
  );
}
