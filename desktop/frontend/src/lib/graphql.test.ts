import { describe, expect, it } from 'vitest';
import { endpointFor, gqlRequest, GqlError, normalizeServerUrl, serverLink, type FetchLike } from './graphql';

const conn = { serverUrl: 'http://127.0.0.1:8080', apiKey: 'k-123' };

function respond(status: number, body: unknown, statusText = ''): FetchLike {
  return async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, statusText });
}

async function failure(p: Promise<unknown>): Promise<GqlError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GqlError);
    return e as GqlError;
  }
  throw new Error('expected the request to fail');
}

describe('normalizeServerUrl', () => {
  it.each([
    ['127.0.0.1:8080', 'http://127.0.0.1:8080'],
    [' http://h:1/ ', 'http://h:1'],
    ['https://cdp.example.com/query', 'https://cdp.example.com'],
    ['http://h/api/', 'http://h/api'],
    ['', ''],
  ])('%j -> %j', (input, want) => expect(normalizeServerUrl(input)).toBe(want));

  it('builds the /query endpoint', () => expect(endpointFor('h:1/')).toBe('http://h:1/query'));
});

describe('serverLink', () => {
  it('resolves paths the server hands out against the server URL', () => {
    expect(serverLink('/export/segments/s1.csv?token=t', 'http://h:1/')).toBe('http://h:1/export/segments/s1.csv?token=t');
    expect(serverLink('/export/x.csv', 'https://cdp.example.com/api/query')).toBe('https://cdp.example.com/api/export/x.csv');
    expect(serverLink('https://cdn.example.com/x.csv', 'http://h:1')).toBe('https://cdn.example.com/x.csv');
    expect(serverLink('export/x.csv', 'h:1')).toBe('http://h:1/export/x.csv');
  });
});

describe('gqlRequest', () => {
  it('posts the query with the bearer key and returns data', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const fetch: FetchLike = async (url, init) => {
      seen = { url, init };
      return new Response(JSON.stringify({ data: { me: { id: '1' } } }), { status: 200 });
    };
    const data = await gqlRequest<{ me: { id: string } }, { x: number }>(conn, 'query { me { id } }', { x: 1 }, { fetch });
    expect(data.me.id).toBe('1');
    expect(seen!.url).toBe('http://127.0.0.1:8080/query');
    expect((seen!.init.headers as Record<string, string>).Authorization).toBe('Bearer k-123');
    expect(JSON.parse(seen!.init.body as string)).toEqual({ query: 'query { me { id } }', variables: { x: 1 } });
  });

  it('maps a network failure to "Cannot reach server at ..."', async () => {
    const e = await failure(gqlRequest(conn, '{me{id}}', {}, { fetch: async () => Promise.reject(new TypeError('Failed to fetch')) }));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/^Cannot reach server at http:\/\/127\.0\.0\.1:8080/);
  });

  it('maps a timeout to unreachable', async () => {
    const hang: FetchLike = (_u, init) =>
      new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const e = await failure(gqlRequest(conn, '{me{id}}', {}, { fetch: hang, timeoutMs: 10 }));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toContain('timed out');
  });

  it('maps HTTP 401 to unauthenticated, with or without a body', async () => {
    for (const body of ['', 'Unauthorized', { errors: [{ message: 'bad key', extensions: { code: 'UNAUTHENTICATED' } }] }]) {
      const e = await failure(gqlRequest(conn, '{me{id}}', {}, { fetch: respond(401, body) }));
      expect(e.kind).toBe('unauthenticated');
      expect(e.message).toMatch(/rejected the API key/);
    }
  });

  it('maps HTTP 200 with an UNAUTHENTICATED error to unauthenticated', async () => {
    const e = await failure(
      gqlRequest(conn, '{me{id}}', {}, { fetch: respond(200, { data: null, errors: [{ message: 'invalid API key', extensions: { code: 'UNAUTHENTICATED' } }] }) }),
    );
    expect(e.kind).toBe('unauthenticated');
    expect(e.code).toBe('UNAUTHENTICATED');
  });

  it('maps FORBIDDEN to a role message', async () => {
    const e = await failure(
      gqlRequest(conn, '{me{id}}', {}, { fetch: respond(200, { errors: [{ message: 'role AGENT may not call createSource', extensions: { code: 'FORBIDDEN' } }] }) }),
    );
    expect(e.kind).toBe('forbidden');
    expect(e.message).toContain('role AGENT may not call createSource');
  });

  it('joins other GraphQL errors', async () => {
    const e = await failure(gqlRequest(conn, '{x}', {}, { fetch: respond(422, { errors: [{ message: 'a' }, { message: 'b', extensions: { code: 'BAD_USER_INPUT' } }] }) }));
    expect(e.kind).toBe('graphql');
    expect(e.message).toBe('a; b');
    expect(e.code).toBe('BAD_USER_INPUT');
  });

  it('reports HTTP errors without GraphQL errors', async () => {
    const e = await failure(gqlRequest(conn, '{x}', {}, { fetch: respond(502, '<html>bad gateway</html>', 'Bad Gateway') }));
    expect(e.kind).toBe('http');
    expect(e.message).toBe('Server at http://127.0.0.1:8080 answered HTTP 502 Bad Gateway.');
  });

  it('recognises a 200 that is not GraphQL', async () => {
    const e = await failure(gqlRequest(conn, '{x}', {}, { fetch: respond(200, '<!doctype html><title>router</title>') }));
    expect(e.kind).toBe('invalid-response');
  });

  it('asks for a URL before fetching', async () => {
    const e = await failure(gqlRequest({ serverUrl: ' ', apiKey: 'k' }, '{x}', {}, { fetch: respond(200, {}) }));
    expect(e.message).toMatch(/server URL/);
  });
});
