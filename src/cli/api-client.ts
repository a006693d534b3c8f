// The everyday CLI's HTTP client of the verifier API: where the server is, which token to send,
// JSON and CSV requests, and the alerts feed (server-sent events). Every rule is the server's:
// this module only carries requests and turns answers into values or coded ApiErrors.

import { existsSync, readFileSync } from 'node:fs';
import { usageError } from './usage.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** Where `geoattest serve` keeps the first admin token, relative to the working directory. */
export const ADMIN_TOKEN_FILE = 'data/admin-token';
const REQUEST_TIMEOUT_MS = 60_000;

/** A failure reported by the server (its code and message), or in reaching it (UNREACHABLE, …). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiTarget {
  readonly server: string;
  readonly token: string | undefined;
}

/** --server, else GEOATTEST_SERVER, else the default; --token, else GEOATTEST_TOKEN, else data/admin-token. */
export function resolveTarget(
  o: { server?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ApiTarget {
  const server = (o.server ?? env.GEOATTEST_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw usageError(`--server must be an http:// or https:// URL, not ${JSON.stringify(server)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--server must be an http:// or https:// URL, not ${JSON.stringify(server)}`);
  let token = o.token ?? env.GEOATTEST_TOKEN;
  if (token === undefined && existsSync(ADMIN_TOKEN_FILE))
    token = readFileSync(ADMIN_TOKEN_FILE, 'utf8').trim() || undefined;
  return { server, token };
}

export type Query = Readonly<Record<string, string | undefined>>;

export interface ServerEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  /** A JSON request; the parsed answer, or an ApiError with the server's code. */
  async json(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<unknown> {
    const res = await this.send(method, path, opts.query, opts.body, 'application/json');
    const text = await res.text();
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiError('BAD_RESPONSE', `the server at ${this.target.server} did not answer JSON`);
    }
  }

  /** A GET whose answer is text (CSV reports). */
  async text(path: string, query: Query = {}): Promise<string> {
    return (await this.send('GET', path, query, undefined, 'text/csv, text/plain')).text();
  }

  /** Server-sent events from path until the stream ends or signal aborts. */
  async *events(path: string, signal: AbortSignal): AsyncGenerator<ServerEvent> {
    const res = await this.send('GET', path, {}, undefined, 'text/event-stream', signal);
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e = parseEvent(block);
          if (e !== undefined) yield e;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw unreachable(this.target.server, e);
    }
  }

  private async send(
    method: string,
    path: string,
    query: Query = {},
    body: unknown,
    accept: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = new URL(`${this.target.server}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept };
    if (this.target.token !== undefined) headers.authorization = `Bearer ${this.target.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw unreachable(this.target.server, e);
    }
    if (res.ok) return res;
    throw await this.failure(res);
  }

  private async failure(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 200) || res.statusText;
    try {
      const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
      if (typeof e?.code === 'string') code = e.code;
      if (typeof e?.message === 'string') message = e.message;
    } catch {
      // not a coded JSON error (a proxy's page, say): keep the status and the start of the text
    }
    if (res.status === 401 && this.target.token === undefined)
      message += `; no token was sent: pass --token, set GEOATTEST_TOKEN, or run where ${ADMIN_TOKEN_FILE} is`;
    return new ApiError(code, message, res.status);
  }
}

function unreachable(server: string, e: unknown): ApiError {
  const err = e as { name?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError')
    return new ApiError('TIMEOUT', `${server} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
  const why = err.cause?.code ?? err.cause?.message ?? String(e);
  return new ApiError(
    'UNREACHABLE',
    `cannot reach ${server} (${why}): is geoattest serve running at ${server}?`,
  );
}

function parseEvent(block: string): ServerEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, id, data: data.join('\n') };
}
