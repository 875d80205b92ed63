// Runs a CSV import as one ingest job: start, batches, finish, with progress.
import { chunk, type CsvRecord } from './csv';

export interface BatchResult {
  created: number;
  updated: number;
  unchanged: number;
  merged: number;
  rejected: number;
  rejects: { index: number; externalId: string; reason: string }[];
}

export interface IngestApi {
  startJob(source: string, total: number): Promise<string>;
  ingest(source: string, records: CsvRecord[], jobId: string): Promise<BatchResult>;
  finishJob(jobId: string): Promise<void>;
}

export interface ImportProgress extends BatchResult {
  processed: number;
  total: number;
}

export const BATCH_SIZE = 200;

export async function runImport(
  api: IngestApi,
  source: string,
  records: CsvRecord[],
  onProgress: (p: ImportProgress) => void = () => {},
  batchSize = BATCH_SIZE,
): Promise<ImportProgress> {
  const p: ImportProgress = { processed: 0, total: records.length, created: 0, updated: 0, unchanged: 0, merged: 0, rejected: 0, rejects: [] };
  const jobId = await api.startJob(source, records.length);
  onProgress({ ...p });
  try {
    for (const batch of chunk(records, batchSize)) {
      const r = await api.ingest(source, batch, jobId);
      // Reject indexes are per batch; make them per file.
      p.rejects.push(...r.rejects.map((x) => ({ ...x, index: x.index + p.processed })));
      p.processed += batch.length;
      p.created += r.created;
      p.updated += r.updated;
      p.unchanged += r.unchanged;
      p.merged += r.merged;
      p.rejected += r.rejected;
      onProgress({ ...p, rejects: [...p.rejects] });
    }
  } finally {
    // Close the job even when a batch failed, so it does not stay RUNNING forever;
    // a failure to close must not hide the batch error.
    await api.finishJob(jobId).catch(() => {});
  }
  return p;
}
