import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type {
  CreateSegmentMutation as CreateData,
  CreateSegmentMutationVariables,
  SegmentInput,
  SegmentKind,
  SegmentPreviewQuery as PreviewData,
  SegmentPreviewQueryVariables,
  SegmentRuleInput,
  SegmentRuleQuery as RuleData,
  SegmentRuleQueryVariables,
  UpdateSegmentMutation as UpdateData,
  UpdateSegmentMutationVariables,
} from '../gql/graphql';
import { errorMessage, GqlError, type Client } from '../lib/graphql';
import { livePreview, type LivePreview, type PreviewState } from '../lib/preview';
import { builderReducer, compileRule, initialRule, issuesById, nodeForServerMessage, ruleKey, ruleToBuilder } from '../lib/segments';
import { CreateSegmentMutation, SegmentPreviewQuery, SegmentRuleQuery, UpdateSegmentMutation } from '../operations';
import { href } from '../routes';
import { RuleBuilder } from './RuleBuilder';
import { ServerError } from './ServerError';

const PREVIEW_DEBOUNCE_MS = 400;
const SAMPLE_SIZE = 10;

type Preview = PreviewData['segmentPreview'];

interface Props {
  client: Client;
  /** Editing an existing segment; a new one when absent. */
  id?: string;
}

export function SegmentEditor({ client, id }: Props) {
  const [root, dispatch] = useReducer(builderReducer, undefined, initialRule);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<SegmentKind>('DYNAMIC');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(!id);
  const [preview, setPreview] = useState<PreviewState<Preview>>({ status: 'idle' });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [triedSave, setTriedSave] = useState(false);

  const compiled = useMemo(() => compileRule(root), [root]);
  // A rule edited after a failed save: that error is about the old rule.
  useEffect(() => setSaveError(null), [root]);
  // Client-side issues, plus the server's BAD_USER_INPUT (from the preview or a save) on the
  // row its path names, e.g. "rule.and[1].trait.field: …".
  const serverError = saveError ?? (preview.status === 'error' ? preview.error : null);
  const issues = useMemo(() => {
    const m = issuesById(compiled.issues);
    if (serverError instanceof GqlError && serverError.code === 'BAD_USER_INPUT') {
      for (const msg of serverError.message.split('; ')) {
        const id = nodeForServerMessage(msg, compiled.paths);
        if (id) m.set(id, [...(m.get(id) ?? []), `Server: ${msg.replace(/^rule[\w.[\]]*:\s*/, '')}`]);
      }
    }
    return m;
  }, [compiled, serverError]);

  // Editing: start from the saved segment.
  useEffect(() => {
    if (!id) return;
    let cancelled = false;
    client<RuleData, SegmentRuleQueryVariables>(SegmentRuleQuery, { id })
      .then((d) => {
        if (cancelled) return;
        const s = d.segment;
        if (!s) return setLoadError(`No segment with id ${id}.`);
        setName(s.name);
        setDescription(s.description ?? '');
        setKind(s.kind);
        try {
          dispatch({ type: 'reset', root: ruleToBuilder(s.rule) });
        } catch (e) {
          setLoadError(`The saved rule cannot be edited here (${errorMessage(e)}).`);
        }
        setLoaded(true);
      })
      .catch((e) => !cancelled && setLoadError(errorMessage(e)));
    return () => {
      cancelled = true;
    };
  }, [client, id]);

  // The live preview: made in an effect (not useMemo) so StrictMode's remount gets a fresh one.
  const previewer = useRef<LivePreview<SegmentRuleInput> | null>(null);
  useEffect(() => {
    const p = livePreview<SegmentRuleInput, Preview>(
      async (rule, signal) => (await client<PreviewData, SegmentPreviewQueryVariables>(SegmentPreviewQuery, { rule, sample: SAMPLE_SIZE }, signal)).segmentPreview,
      setPreview,
      PREVIEW_DEBOUNCE_MS,
    );
    previewer.current = p;
    return () => {
      p.dispose();
      previewer.current = null;
    };
  }, [client]);
  useEffect(() => {
    if (!loaded) return;
    previewer.current?.update(compiled.rule, compiled.rule ? ruleKey(compiled.rule) : 'invalid');
  }, [compiled, loaded]);

  // The server's limits on name and description.
  const nameIssue = name.trim() === '' ? 'Give the segment a name.' : name.trim().length > 200 ? 'A name has at most 200 characters.' : null;
  const descriptionIssue = description.trim().length > 2000 ? 'A description has at most 2000 characters.' : null;
  const save = async () => {
    setTriedSave(true);
    setSaveError(null);
    if (nameIssue || descriptionIssue || !compiled.rule) return;
    const input: SegmentInput = { name: name.trim(), description: description.trim() || null, kind, rule: compiled.rule };
    setSaving(true);
    try {
      const saved = id
        ? (await client<UpdateData, UpdateSegmentMutationVariables>(UpdateSegmentMutation, { id, input })).updateSegment
        : (await client<CreateData, CreateSegmentMutationVariables>(CreateSegmentMutation, { input })).createSegment;
      window.location.hash = href({ name: 'segment', id: saved.id });
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  if (loadError)
    return (
      <section>
        <a href={href({ name: 'segments' })}>← Segments</a>
        <p className="error" role="alert">
          {loadError}
        </p>
      </section>
    );
  if (!loaded) return <p className="loading">Loading segment…</p>;

  return (
    <section className="segment-editor">
      <a href={id ? href({ name: 'segment', id }) : href({ name: 'segments' })}>← {id ? name || 'Segment' : 'Segments'}</a>
      <h1>{id ? `Edit ${name || 'segment'}` : 'New segment'}</h1>
      <div className="editor-layout">
        <form
          className="segment-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <div className="form-row">
            <label>
              Name
              <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={triedSave && nameIssue !== null} />
            </label>
            <label>
              Description
              <input value={description} onChange={(e) => setDescription(e.target.value)} aria-invalid={triedSave && descriptionIssue !== null} />
            </label>
          </div>
          {triedSave && (nameIssue || descriptionIssue) && <p className="field-errors">{nameIssue ?? descriptionIssue}</p>}
          <fieldset className="kind">
            <legend>Kind</legend>
            <label className="check">
              <input type="radio" name="kind" value="DYNAMIC" checked={kind === 'DYNAMIC'} onChange={() => setKind('DYNAMIC')} /> Dynamic{' '}
              <span className="muted">members follow the rule as data changes</span>
            </label>
            <label className="check">
              <input type="radio" name="kind" value="STATIC" checked={kind === 'STATIC'} onChange={() => setKind('STATIC')} /> Static{' '}
              <span className="muted">a snapshot, changed only by refresh</span>
            </label>
          </fieldset>
          <h2>Rule</h2>
          <RuleBuilder root={root} dispatch={dispatch} issues={issues} />
          {saveError !== null && <ServerError error={saveError} />}
          <div className="actions left">
            <button type="submit" className="primary" disabled={saving}>
              {saving ? 'Saving…' : id ? 'Save changes' : 'Save segment'}
            </button>
            {triedSave && compiled.issues.length > 0 && (
              <span className="field-errors">
                Fix {compiled.issues.length} issue{compiled.issues.length === 1 ? '' : 's'} in the rule first.
              </span>
            )}
          </div>
        </form>
        <PreviewPanel preview={preview} onRetry={() => (previewer.current?.invalidate(), previewer.current?.update(compiled.rule, compiled.rule ? ruleKey(compiled.rule) : 'invalid'))} />
      </div>
    </section>
  );
}

function PreviewPanel({ preview, onRetry }: { preview: PreviewState<Preview>; onRetry(): void }) {
  const shown = preview.status === 'ok' ? preview.result : preview.last;
  const stale = preview.status !== 'ok';
  return (
    <aside className="card preview" aria-label="Preview" data-state={preview.status} aria-busy={preview.status === 'pending'}>
      <h2>Preview</h2>
      <div className={`preview-count${stale ? ' stale' : ''}`}>
        <span data-testid="preview-count">{shown ? shown.count : '–'}</span> <span className="muted">customers</span>
      </div>
      <p className="muted preview-status" aria-live="polite">
        {preview.status === 'pending' && 'Counting…'}
        {preview.status === 'invalid' && 'Fix the marked conditions to see a preview.'}
        {preview.status === 'ok' && `Counted in ${preview.result.tookMs} ms.`}
        {preview.status === 'idle' && 'Edit the rule to see who it selects.'}
      </p>
      {preview.status === 'error' && (
        <>
          <ServerError error={preview.error} />
          <button type="button" className="small" onClick={onRetry}>
            Retry
          </button>
        </>
      )}
      {shown && shown.sample.length > 0 && (
        <>
          <h3>Sample</h3>
          <ul className="sample" aria-label="Sample customers">
            {shown.sample.map((c) => (
              <li key={c.id}>
                <a href={href({ name: 'customer', id: c.id })}>{c.name || '(no name)'}</a>
                {c.emails[0] && <span className="muted"> {c.emails[0]}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}
