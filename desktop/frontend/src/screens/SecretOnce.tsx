import { useState } from 'react';

/** A key or secret the server returns once: shown with a copy button until dismissed. */
export function SecretOnce({ what, value, testId, onDone }: { what: string; value: string; testId: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret notice" role="status">
      <p>
        <strong>{what}, shown only now.</strong> You won't see it again: copy it and store it safely.
        <br />
        <code className="mono" data-testid={testId}>
          {value}
        </code>
      </p>
      <div className="actions left">
        {navigator.clipboard && (
          <button type="button" className="small" onClick={() => void navigator.clipboard.writeText(value).then(() => setCopied(true), () => {})}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        )}
        <button type="button" className="small" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </div>
  );
}
