// Live updates over graphql-transport-ws (the `graphql-ws` client). One socket per
// session; every subscription of the app shares it.
import { createClient, type Client as WsClient } from 'graphql-ws';
import { normalizeServerUrl, type Connection } from './graphql';

/** http://h:1 -> ws://h:1/query, https -> wss. */
export function wsUrlFor(serverUrl: string): string {
  return `${normalizeServerUrl(serverUrl).replace(/^http/i, 'ws')}/query`;
}

export interface Live {
  /** Calls onEvent for every result; returns the unsubscribe function. */
  subscribe<TData, TVars extends object = Record<string, never>>(
    query: string,
    variables: TVars,
    onEvent: (data: TData) => void,
    onError?: (message: string) => void,
  ): () => void;
  close(): void;
}

export function makeLive(conn: Connection): Live {
  const ws: WsClient = createClient({
    url: wsUrlFor(conn.serverUrl),
    // The key goes in connection_init, not the URL (URLs end up in logs).
    connectionParams: { Authorization: `Bearer ${conn.apiKey}` },
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  return {
    subscribe(query, variables, onEvent, onError) {
      return ws.subscribe(
        { query, variables: variables as Record<string, unknown> },
        {
          next: (r) => {
            if (r.errors?.length) onError?.(r.errors.map((e) => e.message).join('; '));
            else if (r.data) onEvent(r.data as never);
          },
          error: (e) => onError?.(e instanceof Error ? e.message : 'live updates disconnected'),
          complete: () => {},
        },
      );
    },
    close: () => void ws.dispose(),
  };
}
