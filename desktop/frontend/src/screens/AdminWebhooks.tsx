// Event webhooks (issue 17): profile and ticket events POSTed to other systems, signed
// with a secret shown once.
import { useCallback, useState, type FormEvent } from 'react';
import type {
  CreateWebhookMutation as CreateData,
  CreateWebhookMutationVariables,
  DeleteWebhookMutation as DeleteData,
  DeleteWebhookMutationVariables,
  WebhookEvent,
  WebhooksQuery as WebhooksData,
} from '../gql/graphql';
import { WEBHOOK_EVENTS, webhookProblem } from '../lib/admin';
import type { Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { CreateWebhookMutation, DeleteWebhookMutation, WebhooksQuery } from '../operations';
import { ConfirmDialog } from './ConfirmDialog';
import { SecretOnce } from './SecretOnce';
import { useManagedList } from './useManagedList';

type Webhook = WebhooksData['webhooks'][number];

export function AdminWebhooks({ client }: { client: Client }) {
  const fetch = useCallback(async () => (await client<WebhooksData>(WebhooksQuery)).webhooks, [client]);
  const { items: hooks, error, setError, busy, run } = useManagedList<Webhook>(fetch);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);

  const create = (e: FormEvent) => {
    e.preventDefault();
    const problem = webhookProblem(url, events);
    if (problem) return setError(problem);
    void run(async () => {
      const d = await client<CreateData, CreateWebhookMutationVariables>(CreateWebhookMutation, { url: url.trim(), events });
      setSecret(d.createWebhook.secret ?? null);
      setUrl('');
      setEvents([]);
    });
  };

  const toggle = (ev: WebhookEvent, on: boolean) => setEvents((cur) => (on ? [...cur, ev] : cur.filter((x) => x !== ev)));
  const label = (ev: WebhookEvent) => WEBHOOK_EVENTS.find((w) => w.event === ev)?.label ?? ev;

  return (
    <section className="admin-tab" aria-label="Webhooks">
      <form className="card webhook-form" onSubmit={create} aria-label="New webhook">
        <label>
          Endpoint URL
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/tessera" required />
        </label>
        <fieldset>
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((w) => (
            <label key={w.event} className="check">
              <input type="checkbox" checked={events.includes(w.event)} onChange={(e) => toggle(w.event, e.target.checked)} /> {w.label}
            </label>
          ))}
        </fieldset>
        <div className="actions left">
          <button type="submit" className="primary" disabled={busy}>
            Create webhook
          </button>
          <span className="hint">Signed with HMAC-SHA256 (X-Tessera-Signature); retried 8 times; at least once (drop repeats by X-Tessera-Event).</span>
        </div>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {secret && <SecretOnce what="The signing secret" value={secret} testId="event-webhook-secret" onDone={() => setSecret(null)} />}
      {hooks === null ? (
        !error && <p className="loading">Loading webhooks…</p>
      ) : hooks.length === 0 ? (
        <p className="empty">No webhooks.</p>
      ) : (
        <table className="compact" aria-label="Webhooks list">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Created</th>
              <th>Last delivery</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hooks.map((h) => (
              <tr key={h.id} data-webhook={h.id}>
                <td className="mono">{h.url}</td>
                <td>
                  {h.events.map((ev) => (
                    <span key={ev} className="chip">
                      {label(ev)}
                    </span>
                  ))}
                </td>
                <td>{formatTime(h.createdAt)}</td>
                <td>
                  {h.lastDeliveryAt ? `${formatTime(h.lastDeliveryAt)} (${h.lastStatus ?? 'no status'})` : <span className="muted">none yet</span>}
                  {h.failures > 0 && <span className="late"> · {h.failures} failed</span>}
                </td>
                <td>
                  <button className="small danger" disabled={busy} onClick={() => setDeleting(h)} aria-label={`Delete webhook ${h.url}`}>
                    Delete…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete webhook?"
          confirmLabel="Delete"
          busy={busy}
          onCancel={() => setDeleting(null)}
          onConfirm={() =>
            void run(async () => {
              await client<DeleteData, DeleteWebhookMutationVariables>(DeleteWebhookMutation, { id: deleting.id });
              setDeleting(null);
            })
          }
        >
          <p>
            <span className="mono">{deleting.url}</span> gets no more events.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
