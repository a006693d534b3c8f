// The verifier's HTTP server: Fastify with a JSON schema on every route, coded JSON errors,
// bearer-token roles, per-token rate limits, Prometheus metrics and an OpenAPI document.

import Fastify, { type FastifyInstance } from 'fastify';
import { RateLimiter } from '../landmark/rate-limiter.js';
import { openApiDocument, Router, toErrorBody } from './http.js';
import { Metrics } from './metrics.js';
import { evidenceRoutes } from './routes/evidence-routes.js';
import { ledgerRoutes } from './routes/ledger-routes.js';
import { logRoutes } from './routes/log-routes.js';
import { webRoutes } from './routes/web-routes.js';
import type { Verifier } from './verifier.js';

export interface AppOptions {
  readonly verifier: Verifier;
  /** Fastify logger settings: false (tests), true (JSON lines on stdout) or an options object. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Requests per second per token (or per address without one); default 200, burst 400. */
  readonly rateLimitPerSecond?: number;
  readonly version?: string;
  /** More routes (the log, the dashboard) registered on the same router. */
  readonly extend?: (router: Router, app: FastifyInstance, metrics: Metrics) => void;
}

/** Default body limit: ledger bodies are small; the receipts route raises its own. */
const BODY_LIMIT = 256 * 1024;

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const v = o.verifier;
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Ajv: coerce query strings to the declared types, never add defaults to bodies silently.
    ajv: {
      customOptions: {
        coerceTypes: 'array',
        removeAdditional: false,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
    return503OnClosing: true,
  });
  // JSON only: a text/plain body would otherwise reach the schema check as a string.
  app.removeContentTypeParser('text/plain');
  const metrics = new Metrics();
  const requests = metrics.counter('geoattest_http_requests_total', 'HTTP requests, by route and status');
  metrics.gauge(
    'geoattest_verdict_queue_chips',
    'Chips waiting for a verdict',
    async () => (await v.evidence.pending(100_000)).length,
  );
  const alertsRaised = metrics.counter('geoattest_alerts_total', 'Alerts raised, by kind');
  v.alerts.onRaised((a) => alertsRaised({ kind: a.kind }));

  const perSecond = o.rateLimitPerSecond ?? 200;
  const limiter = new RateLimiter({ perSecond, burst: 2 * perSecond, maxKeys: 100_000 });
  const router = new Router(app, v, (key, now) => limiter.take(key, now));

  app.setErrorHandler((e, req, reply) => {
    const { status, body } = toErrorBody(e, (err) => req.log.error({ err }, 'request failed'));
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.addHook('onResponse', async (req, reply) => {
    requests({
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status: String(reply.statusCode),
    });
  });

  router.add({
    method: 'GET',
    url: '/healthz',
    tag: 'system',
    summary: 'Liveness and database reachability',
    roles: 'public',
    handler: async ({ reply }) => {
      try {
        await v.store.db.selectFrom('orgs').select('id').limit(1).execute();
        return { status: 'ok', database: v.store.dialect };
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: v.store.dialect });
      }
    },
  });
  router.add({
    method: 'GET',
    url: '/metrics',
    tag: 'system',
    summary: 'Prometheus metrics',
    roles: 'public',
    produces: 'text/plain',
    handler: async ({ reply }) => reply.type('text/plain; version=0.0.4').send(await metrics.render()),
  });
  ledgerRoutes(router, v);
  evidenceRoutes(router, v, metrics);
  logRoutes(router, v);
  webRoutes(router, v);
  o.extend?.(router, app, metrics);
  router.add({
    method: 'GET',
    url: '/openapi.json',
    tag: 'system',
    summary: 'This API as an OpenAPI 3.1 document',
    roles: 'public',
    handler: async () => openApiDocument(router.routes, o.version ?? 'dev'),
  });
  await app.ready();
  return app;
}
