import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { livePreview, type PreviewState } from './preview';

/** A run() whose answers the test releases by hand, in any order. */
function controlled() {
  const calls: { input: string; signal: AbortSignal; resolve(v: string): void; reject(e: unknown): void }[] = [];
  const run = vi.fn(
    (input: string, signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        calls.push({ input, signal, resolve, reject });
      }),
  );
  return { run, calls };
}

const flushPromises = () => new Promise<void>((r) => queueMicrotask(() => queueMicrotask(r)));

describe('livePreview', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for a quiet period and sends only the last input', () => {
    const { run, calls } = controlled();
    const states: PreviewState<string>[] = [];
    const p = livePreview(run, (s) => states.push(s), 400);
    p.update('a', 'a');
    vi.advanceTimersByTime(300);
    p.update('ab', 'ab');
    vi.advanceTimersByTime(300);
    p.update('abc', 'abc');
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(399);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(calls.map((c) => c.input)).toEqual(['abc']);
    expect(states.every((s) => s.status === 'pending')).toBe(true);
  });

  it('does not ask again for an unchanged input', () => {
    const { run } = controlled();
    const p = livePreview(run, () => {}, 400);
    p.update('a', 'k1');
    vi.advanceTimersByTime(400);
    p.update('a', 'k1');
    vi.advanceTimersByTime(400);
    expect(run).toHaveBeenCalledTimes(1);
    p.invalidate();
    p.update('a', 'k1');
    vi.advanceTimersByTime(400);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('ignores answers that arrive after a newer request was sent (out of order)', async () => {
    const { run, calls } = controlled();
    const states: PreviewState<string>[] = [];
    const p = livePreview(run, (s) => states.push(s), 400);
    p.update('old', 'old');
    vi.advanceTimersByTime(400);
    p.update('new', 'new');
    vi.advanceTimersByTime(400);
    expect(calls).toHaveLength(2);
    expect(calls[0].signal.aborted).toBe(true); // the superseded request is cancelled too

    calls[1].resolve('count for new');
    await flushPromises();
    calls[0].resolve('count for old'); // late, e.g. the server was slower for it
    await flushPromises();

    const oks = states.filter((s) => s.status === 'ok');
    expect(oks).toEqual([{ status: 'ok', result: 'count for new', last: 'count for new' }]);
    expect(states.at(-1)).toMatchObject({ status: 'ok', result: 'count for new' });
  });

  it('a late error of a superseded request is dropped too; the current one is reported with the last result', async () => {
    const { run, calls } = controlled();
    const states: PreviewState<string>[] = [];
    const p = livePreview(run, (s) => states.push(s), 100);
    p.update('a', 'a');
    vi.advanceTimersByTime(100);
    calls[0].resolve('A');
    await flushPromises();
    p.update('b', 'b');
    vi.advanceTimersByTime(100);
    p.update('c', 'c');
    vi.advanceTimersByTime(100);
    calls[1].reject(new Error('aborted'));
    await flushPromises();
    expect(states.at(-1)).toEqual({ status: 'pending', last: 'A' });
    calls[2].reject(new Error('BAD_USER_INPUT'));
    await flushPromises();
    expect(states.at(-1)).toMatchObject({ status: 'error', last: 'A' });
  });

  it('an invalid input cancels what is waiting and in flight', async () => {
    const { run, calls } = controlled();
    const states: PreviewState<string>[] = [];
    const p = livePreview(run, (s) => states.push(s), 400);
    p.update('a', 'a');
    vi.advanceTimersByTime(400);
    p.update('b', 'b');
    p.update(null, 'invalid');
    vi.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(calls[0].signal.aborted).toBe(true);
    calls[0].resolve('A');
    await flushPromises();
    expect(states.at(-1)).toEqual({ status: 'invalid', last: undefined });
  });

  it('flush sends now; dispose drops everything', async () => {
    const { run, calls } = controlled();
    const states: PreviewState<string>[] = [];
    const p = livePreview(run, (s) => states.push(s), 400);
    p.update('a', 'a');
    p.flush();
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(1);
    p.dispose();
    calls[0].resolve('A');
    await flushPromises();
    expect(states.some((s) => s.status === 'ok')).toBe(false);
    p.update('b', 'b');
    vi.advanceTimersByTime(1000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
