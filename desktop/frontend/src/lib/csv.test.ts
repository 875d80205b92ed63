import { describe, expect, it } from 'vitest';
import { chunk, guessIdColumn, parseCsv, rowsToRecords } from './csv';

describe('parseCsv', () => {
  it('reads headers, quoted fields and skips blank lines', () => {
    const csv = parseCsv('\uFEFFid, email ,note\n1,ann@example.com,"likes, commas"\n\n2,bob@example.com,"multi\nline"\n');
    expect(csv.columns).toEqual(['id', 'email', 'note']);
    expect(csv.rows).toEqual([
      { id: '1', email: 'ann@example.com', note: 'likes, commas' },
      { id: '2', email: 'bob@example.com', note: 'multi\nline' },
    ]);
    expect(csv.problems).toEqual([]);
  });

  it('reports ragged rows', () => {
    const csv = parseCsv('id,email\n1,a@x.io,extra\n');
    expect(csv.problems[0]).toMatch(/line 2/);
  });
});

describe('guessIdColumn', () => {
  it.each([
    [['email', 'External ID', 'name'], 'External ID'],
    [['name', 'customer_id', 'email'], 'customer_id'],
    [['name', 'Email'], 'Email'],
    [['foo', 'bar'], 'foo'],
    [[], undefined],
  ])('%j -> %j', (cols, want) => expect(guessIdColumn(cols)).toBe(want));
});

describe('rowsToRecords', () => {
  it('uses the picked column as externalId and drops empty cells from the payload', () => {
    const { records, skipped } = rowsToRecords([{ id: ' 7 ', firstName: 'Ann', phone: '' }], 'id');
    expect(skipped).toEqual([]);
    expect(records).toEqual([{ externalId: '7', payload: { id: '7', firstName: 'Ann' } }]);
  });

  it('skips rows without an id and duplicates, with file line numbers', () => {
    const { records, skipped } = rowsToRecords(
      [{ id: '1', n: 'a' }, { id: '', n: 'b' }, { id: '1', n: 'c' }, { id: '2', n: 'd' }],
      'id',
    );
    expect(records.map((r) => r.externalId)).toEqual(['1', '2']);
    expect(skipped).toEqual([
      { line: 3, reason: 'empty "id"' },
      { line: 4, reason: 'duplicate "id" 1 (first on line 2)' },
    ]);
  });

  it('leaves out papaparse extra-field arrays', () => {
    const csv = parseCsv('id,email\n1,a@x.io,extra\n');
    const { records } = rowsToRecords(csv.rows, 'id');
    expect(records[0].payload).toEqual({ id: '1', email: 'a@x.io' });
  });
});

describe('chunk', () => {
  it('splits into batches of at most n', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 200)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow();
  });
});
