// CSV file -> ingest records. The payload is the row as a flat object; the external id
// comes from a column the admin picks.
import Papa from 'papaparse';

export interface ParsedCsv {
  columns: string[];
  rows: Record<string, string>[];
  /** Parse problems worth showing (bad quoting, ragged rows), capped. */
  problems: string[];
}

export interface CsvRecord {
  externalId: string;
  payload: Record<string, string>;
}

export interface SkippedRow {
  /** 1-based line in the file, counting the header as line 1. */
  line: number;
  reason: string;
}

export function parseCsv(text: string): ParsedCsv {
  const res = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  });
  const columns = (res.meta.fields ?? []).filter((c) => c !== '');
  const problems = res.errors.slice(0, 20).map((e) => (e.row !== undefined ? `line ${e.row + 2}: ${e.message}` : e.message));
  return { columns, rows: res.data, problems };
}

const ID_COLUMN_GUESSES = ['externalid', 'external_id', 'id', 'customer_id', 'customerid', 'uid', 'email'];

/** The column most likely to hold a stable per-row id, or the first column. */
export function guessIdColumn(columns: string[]): string | undefined {
  const norm = columns.map((c) => c.toLowerCase().replace(/[\s-]/g, '_'));
  for (const g of ID_COLUMN_GUESSES) {
    const i = norm.indexOf(g);
    if (i >= 0) return columns[i];
  }
  return columns[0];
}

export function rowsToRecords(rows: Record<string, string>[], idColumn: string): { records: CsvRecord[]; skipped: SkippedRow[] } {
  const records: CsvRecord[] = [];
  const skipped: SkippedRow[] = [];
  const firstLine = new Map<string, number>();
  rows.forEach((row, i) => {
    const line = i + 2;
    const externalId = (row[idColumn] ?? '').trim();
    if (!externalId) {
      skipped.push({ line, reason: `empty "${idColumn}"` });
      return;
    }
    const prev = firstLine.get(externalId);
    if (prev !== undefined) {
      // Two versions of one record in one import would race; make the admin fix the file.
      skipped.push({ line, reason: `duplicate "${idColumn}" ${externalId} (first on line ${prev})` });
      return;
    }
    firstLine.set(externalId, line);
    const payload: Record<string, string> = {};
    for (const [k, v] of Object.entries(row)) {
      // CSV cannot say null: an empty cell means "no value", not "set to empty string".
      if (k === '' || k === '__parsed_extra' || v == null) continue;
      const t = String(v).trim();
      if (t !== '') payload[k] = t;
    }
    records.push({ externalId, payload });
  });
  return { records, skipped };
}

export function chunk<T>(items: T[], size: number): T[][] {
  if (size < 1) throw new Error('chunk size must be positive');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
