// The dashboard's one door to the verifier: every request carries the signed-in token, has a
// timeout, and fails with the API's own error code, so views can say exactly what went wrong.

const TOKEN_KEY = 'geoattest.token';
const TIMEOUT_MS = 20_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Session storage: the token is gone when the tab closes, and never put in a URL. */
export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export function authHeaders(token = session.token()): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

async function request(path: string, init: RequestInit = {}, token = session.token()): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: { ...authHeaders(token), ...(init.headers as Record<string, string> | undefined) },
      signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `the verifier did not answer (${(e as Error).message})`);
  }
  if (res.ok) return res;
  let code = `HTTP_${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not a JSON error body (a proxy, a static file): keep the status
  }
  if (res.status === 401 && token !== null && token === session.token()) onUnauthorized();
  throw new ApiError(res.status, code, message);
}

export async function getJson<T>(path: string, token?: string): Promise<T> {
  return (await (await request(path, {}, token)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

/** Public files of the transparency log (checkpoint text, tiles): no token needed or sent. */
export async function getPublic(path: string): Promise<Response> {
  return request(path, {}, null);
}

/** Query string from defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
