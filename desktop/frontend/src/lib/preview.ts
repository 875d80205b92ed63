// A live preview of something the user is editing: the request goes out once the input
// has been quiet for `delayMs`, an unchanged input is not asked for again, a newer input
// aborts the request in flight, and an answer that arrives after a newer request was
// sent is dropped, whatever order the server answers in.

export type PreviewState<T> =
  | { status: 'idle'; last?: T }
  /** The input cannot be previewed (e.g. the rule has issues). */
  | { status: 'invalid'; last?: T }
  /** Waiting for the quiet period or the answer; `last` is the previous answer. */
  | { status: 'pending'; last?: T }
  | { status: 'ok'; result: T; last?: T }
  | { status: 'error'; error: unknown; last?: T };

export interface LivePreview<I> {
  /** A new input (null: not previewable) and its key; the same key as before is a no-op. */
  update(input: I | null, key: string): void;
  /** Sends a waiting request now. */
  flush(): void;
  /** Forget the last key, so the next update asks again even if unchanged (e.g. after saving). */
  invalidate(): void;
  dispose(): void;
}

export function livePreview<I, T>(
  run: (input: I, signal: AbortSignal) => Promise<T>,
  onState: (s: PreviewState<T>) => void,
  delayMs = 400,
): LivePreview<I> {
  let seq = 0;
  let lastKey: string | undefined;
  let last: T | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: (() => void) | undefined;
  let inflight: AbortController | undefined;
  let disposed = false;

  const clearTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    waiting = undefined;
  };

  const send = (input: I, mySeq: number) => {
    inflight?.abort();
    const ac = new AbortController();
    inflight = ac;
    run(input, ac.signal).then(
      (result) => {
        if (mySeq !== seq || disposed) return; // superseded: a newer input was given since
        inflight = undefined;
        last = result;
        onState({ status: 'ok', result, last });
      },
      (error) => {
        if (mySeq !== seq || disposed) return;
        inflight = undefined;
        onState({ status: 'error', error, last });
      },
    );
  };

  return {
    update(input, key) {
      if (disposed || key === lastKey) return;
      lastKey = key;
      const mySeq = ++seq; // every answer to an older input is now stale
      clearTimer();
      inflight?.abort();
      inflight = undefined;
      if (input === null) {
        onState({ status: 'invalid', last });
        return;
      }
      onState({ status: 'pending', last });
      waiting = () => send(input, mySeq);
      timer = setTimeout(() => {
        const go = waiting;
        timer = undefined;
        waiting = undefined;
        go?.();
      }, delayMs);
    },
    flush() {
      const go = waiting;
      clearTimer();
      go?.();
    },
    invalidate() {
      lastKey = undefined;
    },
    dispose() {
      disposed = true;
      clearTimer();
      inflight?.abort();
    },
  };
}
