// A minimal GraphQL-over-HTTP client that turns every way a call can fail into an
// error the UI can explain: server unreachable, key rejected, role too weak, or a
// GraphQL error from the resolver.

export interface Connection {
  serverUrl: string;
  apiKey: string;
}

export type GqlErrorKind =
  | 'unreachable' // no HTTP answer at all (down, wrong port, DNS, CORS, timeout)
  | 'unauthenticated' // key missing, wrong or revoked
  | 'forbidden' // key valid, role not allowed
  | 'http' // an HTTP error without GraphQL errors
  | 'invalid-response' // something answered, but not a GraphQL endpoint
  | 'graphql'; // resolver/validation errors

export class GqlError extends Error {
  constructor(
    readonly kind: GqlErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'GqlError';
  }
}

interface WireError {
  message?: string;
  extensions?: { code?: string };
}

/** Accepts "host:port", "http://host:port/" or the full ".../query" URL. */
export function normalizeServerUrl(input: string): string {
  let url = input.trim().replace(/\/+$/, '');
  if (url && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
  return url.replace(/\/query$/, '');
}

export function endpointFor(serverUrl: string): string {
  return `${normalizeServerUrl(serverUrl)}/query`;
}

/**
 * A link the server handed out as an absolute URL: absolute ones as they are, a path
 * (/export/...) under the server URL, which may itself have a path prefix.
 */
export function serverLink(url: string, serverUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  const base = normalizeServerUrl(serverUrl);
  return url.startsWith('/') ? `${base}${url}` : new URL(url, `${base}/`).toString();
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function gqlRequest<TData, TVars extends object = Record<string, never>>(
  conn: Connection,
  query: string,
  variables?: TVars,
  opts: RequestOptions = {},
): Promise<TData> {
  const base = normalizeServerUrl(conn.serverUrl);
  if (!base) throw new GqlError('unreachable', 'Enter the server URL first.');
  const doFetch = opts.fetch ?? ((i, init) => fetch(i, init));
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), opts.timeoutMs ?? 15000);
  const onAbort = () => timeout.abort();
  opts.signal?.addEventListener('abort', onAbort);

  let res: Response;
  try {
    res = await doFetch(`${base}/query`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        ...(conn.apiKey ? { Authorization: `Bearer ${conn.apiKey}` } : {}),
      },
      body: JSON.stringify({ query, variables: variables ?? {} }),
      signal: timeout.signal,
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e; // the caller cancelled; not a connectivity problem
    const why = timeout.signal.aborted ? ' (timed out)' : '';
    throw new GqlError('unreachable', `Cannot reach server at ${base}${why}. Check the URL and that the server is running.`);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return parseResponse<TData>(res, base);
}

export async function parseResponse<TData>(res: Response, base: string): Promise<TData> {
  const text = await res.text();
  let body: { data?: TData | null; errors?: WireError[] } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const codes = errors.map((e) => e.extensions?.code).filter(Boolean) as string[];

  // The server may reject a bad key with HTTP 401 or with HTTP 200 + a GraphQL error.
  if (res.status === 401 || codes.includes('UNAUTHENTICATED')) {
    throw new GqlError('unauthenticated', 'The server rejected the API key. Check that it is correct and not revoked.', res.status, 'UNAUTHENTICATED');
  }
  if (res.status === 403 || codes.includes('FORBIDDEN')) {
    const detail = errors[0]?.message ? `: ${errors[0].message}` : '.';
    throw new GqlError('forbidden', `This API key's role is not allowed to do that${detail}`, res.status, 'FORBIDDEN');
  }
  if (errors.length > 0) {
    const msg = errors.map((e) => e.message ?? 'unknown error').join('; ');
    throw new GqlError('graphql', msg, res.status, codes[0]);
  }
  if (!res.ok) {
    throw new GqlError('http', `Server at ${base} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`, res.status);
  }
  if (!body || body.data == null) {
    throw new GqlError('invalid-response', `${base} did not answer like a Tessera GraphQL server.`, res.status);
  }
  return body.data;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** A client bound to one connection, as the screens use it. */
export type Client = <TData, TVars extends object = Record<string, never>>(
  query: string,
  variables?: TVars,
  signal?: AbortSignal,
) => Promise<TData>;

export function makeClient(conn: Connection, fetchImpl?: FetchLike): Client {
  return (query, variables, signal) => gqlRequest(conn, query, variables, { fetch: fetchImpl, signal });
}
