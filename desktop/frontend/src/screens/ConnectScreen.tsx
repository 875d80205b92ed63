import { useState, type FormEvent } from 'react';
import { errorMessage, GqlError } from '../lib/graphql';
import type { Host, SettingsView } from '../lib/host';
import type { Connection } from '../lib/graphql';

interface Props {
  host: Host;
  settings: SettingsView;
  initialError: string | null;
  onConnected(conn: Connection): Promise<void>;
  onCancel?: () => void;
}

export function ConnectScreen({ host, settings, initialError, onConnected, onCancel }: Props) {
  const [serverUrl, setServerUrl] = useState(settings.serverUrl || 'http://127.0.0.1:8080');
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ kind: string; message: string } | null>(
    initialError ? { kind: 'startup', message: initialError } : null,
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // An empty key field means "keep the stored key", which only the host knows.
      const key = apiKey.trim() || (await host.connection()).apiKey;
      if (!key) throw new Error('Enter an API key.');
      await onConnected({ serverUrl: serverUrl.trim(), apiKey: key });
    } catch (err) {
      setError({ kind: err instanceof GqlError ? err.kind : 'other', message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="connect">
      <form className="card" onSubmit={submit} aria-label="Connect to a Tessera server">
        <h1>Connect to Tessera</h1>
        <label>
          Server URL
          <input name="serverUrl" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} placeholder="http://127.0.0.1:8080" autoFocus required />
        </label>
        <label>
          API key
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder={settings.hasKey ? `stored key ${settings.keyPrefix} (leave empty to keep)` : 'paste an API key'}
          />
        </label>
        {error && (
          <p className={`error error-${error.kind}`} role="alert">
            {error.message}
          </p>
        )}
        <div className="actions">
          {onCancel && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Connecting…' : 'Connect'}
          </button>
        </div>
        <p className="hint">
          {host.kind === 'desktop' ? 'The key is stored in your user config directory, readable only by you.' : 'Settings are kept in this browser’s local storage.'}
        </p>
      </form>
    </div>
  );
}
