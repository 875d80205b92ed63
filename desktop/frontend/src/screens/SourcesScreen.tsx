import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type {
  AdminSourceQuery as AdminSourceData,
  CreateSourceMutation as CreateSourceData,
  CreateSourceMutationVariables,
  FinishIngestJobMutation as FinishData,
  FinishIngestJobMutationVariables,
  IngestRecordsMutation as IngestData,
  IngestRecordsMutationVariables,
  Role,
  SourceKind,
  SourcesQuery as SourcesData,
  StartIngestJobMutation as StartData,
  StartIngestJobMutationVariables,
  UpdateSourceMutationVariables,
} from '../gql/graphql';
import { guessIdColumn, parseCsv, rowsToRecords, type ParsedCsv } from '../lib/csv';
import { errorMessage, type Client } from '../lib/graphql';
import type { Host } from '../lib/host';
import { BATCH_SIZE, runImport, type ImportProgress, type IngestApi } from '../lib/ingest';
import { formatMappings, parseMappings, sourceUpdateInput, type SourceEditForm } from '../lib/mapping';
import { formatTime } from '../lib/provenance';
import { SourceWriteKeys } from './SourceWriteKeys';
import {
  AdminSourceQuery,
  CreateSourceMutation,
  FinishIngestJobMutation,
  IngestRecordsMutation,
  SourcesQuery,
  StartIngestJobMutation,
  UpdateSourceMutation,
} from '../operations';

type Source = SourcesData['sources'][number];

const KINDS: SourceKind[] = ['WEB_SHOP', 'NEWSLETTER', 'SUPPORT_DESK', 'POINT_OF_SALE', 'CRM', 'API', 'OTHER'];

export function SourcesScreen({ client, host, role, serverUrl }: { client: Client; host: Host; role: Role; serverUrl?: string }) {
  const [sources, setSources] = useState<Source[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [file, setFile] = useState<{ name: string; csv: ParsedCsv } | null>(null);
  const [creating, setCreating] = useState(false);
  const [keysOf, setKeysOf] = useState<string | null>(null);
  const [editingSource, setEditingSource] = useState<string | null>(null);
  const canIngest = role === 'ADMIN' || role === 'INGEST';

  const load = useCallback(async () => {
    try {
      setSources((await client<SourcesData>(SourcesQuery)).sources);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [load]);

  const openCsv = async () => {
    try {
      const f = await host.openCsv();
      if (f) setFile({ name: f.name, csv: parseCsv(f.text) });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section className="sources">
      <header className="section-header">
        <h1>Sources</h1>
        <div className="actions">
          {role === 'ADMIN' && <button onClick={() => setCreating((c) => !c)}>New source…</button>}
          {canIngest && (
            <button className="primary" onClick={openCsv} disabled={!sources?.length}>
              Import CSV…
            </button>
          )}
        </div>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {creating && (
        <NewSource
          client={client}
          onCreated={() => {
            setCreating(false);
            void load();
          }}
        />
      )}
      {file && sources && (
        <ImportPanel
          fileName={file.name}
          csv={file.csv}
          sources={sources}
          client={client}
          onClose={() => setFile(null)}
          onDone={() => void load()}
        />
      )}
      {sources === null ? (
        !error && <p className="loading">Loading sources…</p>
      ) : sources.length === 0 ? (
        <p className="empty">No sources yet.</p>
      ) : (
        <table className="source-list" aria-label="Sources">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th className="num">Priority</th>
              <th className="num">Records</th>
              <th>Identifiers</th>
              <th>Created</th>
              {role === 'ADMIN' && <th>Tracking</th>}
              {role === 'ADMIN' && <th />}
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.name} data-source={s.name}>
                <td>
                  <strong>{s.name}</strong>
                </td>
                <td>{s.kind}</td>
                <td className="num">{s.priority}</td>
                <td className="num records">{s.recordCount}</td>
                <td className="muted">{s.identifierFields.map((m) => `${m.field} → ${m.target}`).join(', ') || '—'}</td>
                <td>{formatTime(s.createdAt)}</td>
                {role === 'ADMIN' && (
                  <td>
                    <button className="small" aria-label={`Write keys of ${s.name}`} aria-expanded={keysOf === s.name} onClick={() => setKeysOf((cur) => (cur === s.name ? null : s.name))}>
                      Write keys
                    </button>
                  </td>
                )}
                {role === 'ADMIN' && (
                  <td>
                    {s.name !== 'manual' && (
                      <button className="small" aria-label={`Edit source ${s.name}`} aria-expanded={editingSource === s.name} onClick={() => setEditingSource((cur) => (cur === s.name ? null : s.name))}>
                        Edit
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editingSource && (
        <EditSource
          key={editingSource}
          name={editingSource}
          client={client}
          onClose={() => setEditingSource(null)}
          onSaved={() => {
            setEditingSource(null);
            void load();
          }}
        />
      )}
      {keysOf && <SourceWriteKeys key={keysOf} source={keysOf} client={client} serverUrl={serverUrl ?? window.location.origin} onClose={() => setKeysOf(null)} />}
    </section>
  );
}

function NewSource({ client, onCreated }: { client: Client; onCreated(): void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<SourceKind>('WEB_SHOP');
  const [priority, setPriority] = useState(0);
  const [identifiers, setIdentifiers] = useState('email:email');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { mappings, errors } = parseMappings(identifiers);
    if (errors.length) return setError(errors.join('; '));
    if (!mappings.length) return setError('Map at least one payload field to an identifier type.');
    setBusy(true);
    setError(null);
    try {
      await client<CreateSourceData, CreateSourceMutationVariables>(CreateSourceMutation, {
        input: { name: name.trim(), kind, priority, identifierFields: mappings },
      });
      onCreated();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card inline" onSubmit={submit} aria-label="New source">
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9_.\-]+" title="letters, digits, _ . -" />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as SourceKind)}>
          {KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <input type="number" value={priority} onChange={(e) => setPriority(Number(e.target.value) || 0)} />
      </label>
      <label className="wide">
        Identifier fields (payload field:identifier type)
        <input value={identifiers} onChange={(e) => setIdentifiers(e.target.value)} placeholder="email:email, mobile:phone" />
      </label>
      <p className="hint wide">Traits are mapped from payload fields named like them (firstName, email, …).</p>
      {error && (
        <p className="error wide" role="alert">
          {error}
        </p>
      )}
      <div className="actions wide">
        <button type="submit" className="primary" disabled={busy}>
          Create source
        </button>
      </div>
    </form>
  );
}

// Editing a source's kind, priority and mappings (issue 17): loaded fresh with its
// revision, so a concurrent edit makes the save a conflict rather than lost.
function EditSource({ name, client, onClose, onSaved }: { name: string; client: Client; onClose(): void; onSaved(): void }) {
  const [form, setForm] = useState<SourceEditForm | null>(null);
  const [revision, setRevision] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    client<AdminSourceData>(AdminSourceQuery)
      .then((d) => {
        const s = d.sources.find((x) => x.name === name);
        if (!live) return;
        if (!s) return setError(`Source ${name} not found.`);
        setRevision(s.revision);
        setForm({ kind: s.kind, priority: s.priority, identifiers: formatMappings(s.identifierFields), traits: formatMappings(s.ownTraitFields) });
      })
      .catch((e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [client, name]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    const { input, errors } = sourceUpdateInput(form, revision);
    if (!input) return setError(errors.join('; '));
    setBusy(true);
    setError(null);
    try {
      await client<unknown, UpdateSourceMutationVariables>(UpdateSourceMutation, { source: name, input: { ...input, kind: input.kind as SourceKind } });
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card inline" onSubmit={submit} aria-label={`Edit source ${name}`}>
      <h2 className="wide">Edit {name}</h2>
      {form && (
        <>
          <label>
            Kind
            <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
              {KINDS.map((k) => (
                <option key={k}>{k}</option>
              ))}
            </select>
          </label>
          <label>
            Priority
            <input type="number" value={form.priority} onChange={(e) => setForm({ ...form, priority: Number(e.target.value) || 0 })} />
          </label>
          <label className="wide">
            Identifier fields (payload field:identifier type)
            <input value={form.identifiers} onChange={(e) => setForm({ ...form, identifiers: e.target.value })} aria-label="Identifier fields" />
          </label>
          <label className="wide">
            Trait fields (payload field:trait, besides the default names)
            <input value={form.traits} onChange={(e) => setForm({ ...form, traits: e.target.value })} placeholder="given:firstName, member:attributes.membership" aria-label="Trait fields" />
          </label>
          <p className="hint wide">Applies to records ingested from now on, and to records sent again; records not sent again keep how they were mapped.</p>
        </>
      )}
      {error && (
        <p className="error wide" role="alert">
          {error}
        </p>
      )}
      <div className="actions wide">
        <button type="button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy || !form}>
          Save source
        </button>
      </div>
    </form>
  );
}

interface ImportProps {
  fileName: string;
  csv: ParsedCsv;
  sources: Source[];
  client: Client;
  onClose(): void;
  onDone(): void;
}

function ImportPanel({ fileName, csv, sources, client, onClose, onDone }: ImportProps) {
  const [idColumn, setIdColumn] = useState(() => guessIdColumn(csv.columns) ?? '');
  const [source, setSource] = useState(sources[0]?.name ?? '');
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { records, skipped } = useMemo(() => rowsToRecords(csv.rows, idColumn), [csv, idColumn]);
  const done = progress !== null && !running;

  const api: IngestApi = useMemo(
    () => ({
      startJob: async (src, total) =>
        (await client<StartData, StartIngestJobMutationVariables>(StartIngestJobMutation, { source: src, total })).startIngestJob.id,
      ingest: async (src, recs, jobId) =>
        (await client<IngestData, IngestRecordsMutationVariables>(IngestRecordsMutation, { source: src, records: recs, jobId })).ingestRecords,
      finishJob: async (id) => {
        await client<FinishData, FinishIngestJobMutationVariables>(FinishIngestJobMutation, { id });
      },
    }),
    [client],
  );

  const start = async () => {
    setRunning(true);
    setError(null);
    try {
      await runImport(api, source, records, setProgress, BATCH_SIZE);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRunning(false);
      onDone();
    }
  };

  return (
    <div className="card import" aria-label="Import CSV">
      <h2>
        Import <span className="mono">{fileName}</span>
      </h2>
      <p>
        {csv.rows.length} rows, {csv.columns.length} columns.
      </p>
      {csv.problems.length > 0 && (
        <ul className="warnings">
          {csv.problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      <div className="form-row">
        <label>
          External id column
          <select value={idColumn} onChange={(e) => setIdColumn(e.target.value)} disabled={running || done}>
            {csv.columns.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Into source
          <select value={source} onChange={(e) => setSource(e.target.value)} disabled={running || done}>
            {sources.map((s) => (
              <option key={s.name}>{s.name}</option>
            ))}
          </select>
        </label>
      </div>
      {skipped.length > 0 && (
        <details className="warnings" open={skipped.length <= 5}>
          <summary>{skipped.length} row(s) will be skipped</summary>
          <ul>
            {skipped.slice(0, 50).map((s) => (
              <li key={s.line}>
                line {s.line}: {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {progress && (
        <div className="progress">
          <progress max={Math.max(progress.total, 1)} value={progress.processed} aria-label="Import progress" />
          <span>
            {progress.processed} / {progress.total} · {progress.created} created, {progress.updated} updated, {progress.unchanged} unchanged,{' '}
            {progress.merged} merged, {progress.rejected} rejected
          </span>
        </div>
      )}
      {progress && progress.rejects.length > 0 && (
        <details className="warnings">
          <summary>{progress.rejects.length} rejected</summary>
          <ul>
            {progress.rejects.slice(0, 50).map((r) => (
              <li key={r.index}>
                {r.externalId}: {r.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && (
        <p className="error" role="alert">
          Import stopped: {error}
        </p>
      )}
      {done && !error && (
        <p className="notice" role="status">
          Import finished.
        </p>
      )}
      <div className="actions">
        <button onClick={onClose} disabled={running}>
          {done ? 'Close' : 'Cancel'}
        </button>
        {!done && (
          <button className="primary" onClick={start} disabled={running || records.length === 0 || !source}>
            {running ? 'Importing…' : `Import ${records.length} record${records.length === 1 ? '' : 's'}`}
          </button>
        )}
      </div>
    </div>
  );
}
