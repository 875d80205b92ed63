import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  evidenceFieldLabel,
  evidenceRows,
  formatProbability,
  formatWeight,
  isNewerJob,
  nextAfterDecision,
  totalWeight,
  watchJob,
  weightTone,
  type JobLike,
} from './matching';

describe('evidence', () => {
  const evidence = [
    { field: 'first_name', left: 'Anna', right: 'Anna', level: 'exact', weight: 6.2 },
    { field: 'birth_date', left: '1980-02-01', right: '1980-01-02', level: 'one-digit-or-transposed', weight: 3.1 },
    { field: 'postcode', left: '10115', right: '80331', level: 'different', weight: -4.65 },
    { field: 'email', left: null, right: 'a@x.org', level: 'missing', weight: 0 },
  ];

  it('rows carry labels, both values, tone by sign and a bar relative to the strongest weight', () => {
    const rows = evidenceRows(evidence);
    expect(rows.map((r) => [r.label, r.left, r.right, r.level, r.weightText, r.tone, r.barPercent])).toEqual([
      ['First name', 'Anna', 'Anna', 'exact', '+6.20', 'for', 100],
      ['Birth date', '1980-02-01', '1980-01-02', 'one digit or transposed', '+3.10', 'for', 50],
      ['Postcode', '10115', '80331', 'different', '−4.65', 'against', 75],
      ['Email', '', 'a@x.org', 'missing', '0.00', 'neutral', 0],
    ]);
  });

  it('formats weights and probabilities', () => {
    expect(formatWeight(0.001)).toBe('0.00');
    expect(formatWeight(-0.5)).toBe('−0.50');
    expect(weightTone(0.04)).toBe('neutral');
    expect(weightTone(-0.06)).toBe('against');
    expect(totalWeight(evidence)).toBeCloseTo(4.65);
    expect(formatProbability(0.87345)).toBe('87.3%');
    expect(formatProbability(1)).toBe('100.0%');
    expect(formatProbability(0.99999)).toBe('>99.9%');
    expect(formatProbability(0.00002)).toBe('<0.1%');
    expect(formatProbability(0)).toBe('0.0%');
    expect(evidenceFieldLabel('birthDate')).toBe('Birth date');
    expect(evidenceRows([])).toEqual([]);
  });
});

describe('nextAfterDecision', () => {
  const list = ['a', 'b', 'c'].map((id) => ({ id }));
  it('shows the following suggestion, else the one before, else none', () => {
    expect(nextAfterDecision(list, 'a')).toEqual({ list: [{ id: 'b' }, { id: 'c' }], next: { id: 'b' } });
    expect(nextAfterDecision(list, 'b').next).toEqual({ id: 'c' });
    expect(nextAfterDecision(list, 'c').next).toEqual({ id: 'b' });
    expect(nextAfterDecision([{ id: 'a' }], 'a')).toEqual({ list: [], next: null });
  });
});

describe('watchJob', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const job = (processed: number, status: JobLike['status'] = 'RUNNING'): JobLike => ({ id: 'mj1', status, processed });

  function harness() {
    let emit: (j: JobLike) => void = () => {};
    let fail: (m: string) => void = () => {};
    const unsubscribe = vi.fn();
    const poll = vi.fn(async (): Promise<JobLike | null> => job(0));
    const seen: JobLike[] = [];
    const onFallback = vi.fn();
    const stop = watchJob({
      job: job(0),
      subscribe: (onJob, onError) => {
        emit = onJob;
        fail = onError;
        return unsubscribe;
      },
      poll,
      onJob: (j) => seen.push(j),
      onFallback,
      pollMs: 1000,
      quietMs: 2500,
    });
    return { emit: (j: JobLike) => emit(j), fail: (m: string) => fail(m), unsubscribe, poll, seen, onFallback, stop };
  }

  it('uses subscription events and does not poll while they come', async () => {
    const h = harness();
    for (let i = 1; i <= 5; i++) {
      h.emit(job(i * 10));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(h.poll).not.toHaveBeenCalled();
    h.emit(job(60, 'SUCCEEDED'));
    expect(h.seen.map((j) => j.processed)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(h.unsubscribe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10000);
    expect(h.poll).not.toHaveBeenCalled();
  });

  it('polls when the subscription fails, until the job is done', async () => {
    const h = harness();
    h.fail('socket closed');
    expect(h.onFallback).toHaveBeenCalledWith('socket closed');
    h.poll.mockResolvedValueOnce(job(5)).mockResolvedValueOnce(job(9, 'SUCCEEDED'));
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.seen.map((j) => [j.processed, j.status])).toEqual([
      [5, 'RUNNING'],
      [9, 'SUCCEEDED'],
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.poll).toHaveBeenCalledTimes(2);
  });

  it('polls when the subscription goes quiet (e.g. the job finished before it was set up)', async () => {
    const h = harness();
    h.poll.mockResolvedValue(job(100, 'SUCCEEDED'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.poll).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.poll).toHaveBeenCalledTimes(1);
    expect(h.seen).toEqual([job(100, 'SUCCEEDED')]);
  });

  it('never goes back: older progress and updates after the end are ignored', () => {
    expect(isNewerJob(job(10), job(5))).toBe(false);
    expect(isNewerJob(job(10, 'SUCCEEDED'), job(10))).toBe(false);
    expect(isNewerJob(job(10), job(3, 'FAILED'))).toBe(true);
    const h = harness();
    h.emit(job(10));
    h.emit(job(5));
    expect(h.seen.map((j) => j.processed)).toEqual([10]);
  });

  it('stop() unsubscribes and stops polling', async () => {
    const h = harness();
    h.stop();
    expect(h.unsubscribe).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10000);
    expect(h.poll).not.toHaveBeenCalled();
  });
});
