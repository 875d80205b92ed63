// The state of an admin list that the user changes in place (API keys, webhooks, write
// keys): the items loaded from the server, an error, and run(), which performs a change
// and then reloads the list, showing one change at a time.
import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../lib/graphql';

export function useManagedList<T>(fetch: () => Promise<T[]>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setItems(await fetch());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [fetch]);

  useEffect(() => {
    void load();
  }, [load]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return { items, error, setError, busy, run };
}
