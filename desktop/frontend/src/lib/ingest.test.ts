import { describe, expect, it } from 'vitest';
import type { CsvRecord } from './csv';
import { runImport, type BatchResult, type ImportProgress, type IngestApi } from './ingest';

const recs = (n: number): CsvRecord[] => Array.from({ length: n }, (_, i) => ({ externalId: `r${i}`, payload: { id: `r${i}` } }));

function fakeApi(opts: { failOnBatch?: number } = {}) {
  const calls: string[] = [];
  const api: IngestApi = {
    startJob: async (source, total) => (calls.push(`start ${source} ${total}`), 'job-1'),
    ingest: async (source, records, jobId): Promise<BatchResult> => {
      const n = calls.filter((c) => c.startsWith('ingest')).length;
      calls.push(`ingest ${source} ${records.length} ${jobId}`);
      if (n === opts.failOnBatch) throw new Error('server went away');
      return { created: records.length - 1, updated: 0, unchanged: 0, merged: 0, rejected: 1, rejects: [{ index: 0, externalId: records[0].externalId, reason: 'no identifier' }] };
    },
    finishJob: async (id) => void calls.push(`finish ${id}`),
  };
  return { api, calls };
}

describe('runImport', () => {
  it('runs start, batches, finish and reports progress with file-wide reject indexes', async () => {
    const { api, calls } = fakeApi();
    const seen: ImportProgress[] = [];
    const result = await runImport(api, 'shop', recs(450), (p) => seen.push(p), 200);
    expect(calls).toEqual(['start shop 450', 'ingest shop 200 job-1', 'ingest shop 200 job-1', 'ingest shop 50 job-1', 'finish job-1']);
    expect(seen.map((p) => p.processed)).toEqual([0, 200, 400, 450]);
    expect(result).toMatchObject({ processed: 450, total: 450, created: 447, rejected: 3 });
    expect(result.rejects.map((r) => [r.index, r.externalId])).toEqual([
      [0, 'r0'],
      [200, 'r200'],
      [400, 'r400'],
    ]);
  });

  it('still finishes the job when a batch fails, and rethrows', async () => {
    const { api, calls } = fakeApi({ failOnBatch: 1 });
    await expect(runImport(api, 'shop', recs(450), undefined, 200)).rejects.toThrow('server went away');
    expect(calls.at(-1)).toBe('finish job-1');
    expect(calls.filter((c) => c.startsWith('ingest'))).toHaveLength(2);
  });
});
