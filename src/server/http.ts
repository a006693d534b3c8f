// The HTTP plumbing every route shares: one way to declare a route (method, path, roles, JSON
// schemas, summary), bearer-token authentication, coded JSON errors, and the OpenAPI document
// assembled from the same declarations, so the document cannot drift from the routes.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GeoattestError, isGeoattestError } from '../errors.js';
import type { Principal, Role } from '../store/token-store.js';
import type { Verifier } from './verifier.js';

export type JsonSchema = Record<string, unknown>;

export interface RouteContext {
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
  /** Undefined only on public routes. */
  readonly principal: Principal;
  readonly now: number;
}

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** 'public' routes need no token. */
  readonly roles: readonly Role[] | 'public';
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  readonly response?: JsonSchema;
  readonly bodyLimit?: number;
  readonly produces?: string;
  readonly handler: (ctx: RouteContext) => Promise<unknown>;
}

/** The HTTP status for each error code; anything not listed is a client error (400). */
const STATUS: Partial<Record<string, number>> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  LICENCE_NOT_VALID: 409,
  LICENCE_EXHAUSTED: 409,
  LICENCE_MODEL: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  STORE_CORRUPT: 500,
  INTERNAL: 500,
};

export function statusOf(code: string): number {
  return STATUS[code] ?? 400;
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

/** Maps anything thrown in a request to a coded JSON error; unknown errors are logged, not shown. */
export function toErrorBody(e: unknown, log: (e: unknown) => void): { status: number; body: ErrorBody } {
  if (isGeoattestError(e))
    return { status: statusOf(e.code), body: { error: { code: e.code, message: e.message } } };
  const fe = e as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (fe.validation !== undefined)
    return {
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: fe.message ?? 'invalid request' } },
    };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return {
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' } },
    };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return {
      status: fe.statusCode,
      body: {
        error: {
          code: fe.statusCode === 415 ? 'INVALID_REQUEST' : 'INVALID_REQUEST',
          message: fe.message ?? 'bad request',
        },
      },
    };
  log(e);
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error; the server log has details' } },
  };
}

export class Router {
  readonly routes: RouteDef[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly verifier: Verifier,
    private readonly limiter: (key: string, now: number) => boolean,
  ) {}

  add(def: RouteDef): void {
    this.routes.push(def);
    const verifier = this.verifier;
    const limiter = this.limiter;
    this.app.route({
      method: def.method,
      url: def.url,
      ...(def.bodyLimit !== undefined ? { bodyLimit: def.bodyLimit } : {}),
      schema: {
        ...(def.params ? { params: def.params } : {}),
        ...(def.querystring ? { querystring: def.querystring } : {}),
        ...(def.body ? { body: def.body } : {}),
      },
      handler: async (req, reply) => {
        const now = verifier.now();
        let principal: Principal | undefined;
        if (def.roles !== 'public') {
          principal = await authenticate(req, verifier);
          if (!limiter(principal.tokenId, now))
            throw new GeoattestError('RATE_LIMITED', 'too many requests for this token');
          if (!def.roles.includes(principal.role))
            throw new GeoattestError(
              'FORBIDDEN',
              `the ${principal.role} role may not ${def.summary.toLowerCase()}`,
            );
        } else if (!limiter(`ip:${req.ip}`, now)) {
          throw new GeoattestError('RATE_LIMITED', 'too many requests from this address');
        }
        const result = await def.handler({ req, reply, principal: principal as Principal, now });
        if (result === undefined) return reply.code(204).send();
        return result;
      },
    });
  }
}

async function authenticate(req: FastifyRequest, verifier: Verifier): Promise<Principal> {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header) : null;
  if (m === null)
    throw new GeoattestError('UNAUTHORIZED', 'send an API token: Authorization: Bearer <token>');
  const p = await verifier.tokens.authenticate(m[1]);
  if (p === undefined) throw new GeoattestError('UNAUTHORIZED', 'unknown or revoked token');
  return p;
}

/** OpenAPI 3.1 from the route declarations. */
export function openApiDocument(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const params = Object.entries((r.params?.properties ?? {}) as Record<string, JsonSchema>).map(
      ([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema,
      }),
    );
    const query = Object.entries((r.querystring?.properties ?? {}) as Record<string, JsonSchema>).map(
      ([name, schema]) => ({
        name,
        in: 'query',
        required: ((r.querystring?.required ?? []) as string[]).includes(name),
        schema,
      }),
    );
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.roles === 'public' ? { security: [] } : { 'x-roles': r.roles }),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          content: { [r.produces ?? 'application/json']: { schema: r.response ?? { type: 'object' } } },
        },
        default: { description: 'a coded error', content: { 'application/json': { schema: errorSchema } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'geoattest verifier',
      version,
      description:
        'Licences, chips, landmarks, receipts, verdicts, alerts and reports. Roles: admin, exporter, operator, auditor, landmark (x-roles on each operation).',
    },
    components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
    security: [{ token: [] }],
    paths,
  };
}
