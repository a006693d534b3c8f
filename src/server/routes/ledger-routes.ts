// Routes of the ledger: organisations, licences, chips, shipments, landmarks and tokens.

import { GeoattestError } from '../../errors.js';
import { endUserChangeAlert, licenceEventAlert } from '../../ledger/alert-rules.js';
import { destinationClaims } from '../../ledger/licence.js';
import { forbidden, READERS, requireLicence, scopeFilter } from '../access.js';
import type { JsonSchema, Router } from '../http.js';
import type { Verifier } from '../verifier.js';
import { chipView } from '../views.js';

const id: JsonSchema = { type: 'string', minLength: 1, maxLength: 64 };
const idParam: JsonSchema = { type: 'object', properties: { id }, required: ['id'] };
const object = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const time: JsonSchema = { type: ['string', 'integer'], description: 'ISO 8601 or ms since the epoch' };

export function ledgerRoutes(r: Router, v: Verifier): void {
  r.add({
    method: 'POST',
    url: '/v1/orgs',
    tag: 'ledger',
    summary: 'Register an organisation',
    roles: ['admin'],
    body: object(
      {
        id,
        name: { type: 'string', maxLength: 200 },
        kind: { enum: ['exporter', 'end-user', 'landmark-operator'] },
        disclosure: { enum: ['verdict', 'radius', 'estimate'] },
      },
      ['id', 'name', 'kind'],
    ),
    handler: async ({ req, principal, now }) => v.ledger.addOrg(req.body, principal.name, now),
  });
  r.add({
    method: 'GET',
    url: '/v1/orgs',
    tag: 'ledger',
    summary: 'List organisations',
    roles: ['admin', 'auditor', 'exporter'],
    handler: async () => ({ orgs: await v.ledger.listOrgs() }),
  });
  r.add({
    method: 'PUT',
    url: '/v1/orgs/:id/disclosure',
    tag: 'ledger',
    summary: 'Choose what is disclosed about an end user’s chips',
    roles: ['admin', 'operator'],
    params: idParam,
    body: object({ disclosure: { enum: ['verdict', 'radius', 'estimate'] } }, ['disclosure']),
    handler: async ({ req, principal, now }) => {
      const { id: orgId } = req.params as { id: string };
      if (principal.role === 'operator' && principal.scope !== orgId)
        throw forbidden('an operator sets only its own disclosure');
      return v.ledger.setDisclosure(
        orgId,
        (req.body as { disclosure: unknown }).disclosure,
        principal.name,
        now,
      );
    },
  });

  r.add({
    method: 'POST',
    url: '/v1/licences',
    tag: 'ledger',
    summary: 'Register a licence',
    roles: ['admin', 'exporter'],
    body: {
      type: 'object',
      maxProperties: 20,
      properties: {
        id,
        exporterId: id,
        endUserId: id,
        destinations: { type: 'array', maxItems: 50, items: { type: 'object' } },
        models: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 32 } },
        quantity: { type: 'integer' },
        validFrom: time,
        validTo: time,
        endUse: { type: 'string', maxLength: 500 },
        revenueSharePct: { type: 'number' },
        policy: { type: 'object' },
      },
      required: [
        'id',
        'exporterId',
        'endUserId',
        'destinations',
        'models',
        'quantity',
        'validFrom',
        'validTo',
      ],
    },
    handler: async ({ req, principal, now }) => {
      const body = req.body as Record<string, unknown>;
      if (principal.role === 'exporter' && body.exporterId !== principal.scope)
        throw forbidden('an exporter registers licences only in its own name');
      checkMapped(v, body.destinations);
      const l = await v.ledger.addLicence(body, principal.name, now);
      v.ledgerChanged();
      return l;
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/licences',
    tag: 'ledger',
    summary: 'List licences',
    roles: READERS,
    handler: async ({ principal }) => ({ licences: await v.ledger.listLicences(scopeFilter(principal)) }),
  });
  r.add({
    method: 'GET',
    url: '/v1/licences/:id',
    tag: 'ledger',
    summary: 'Show a licence with its chips, shipments and history',
    roles: READERS,
    params: idParam,
    handler: async ({ req, principal }) => {
      const l = await v.ledger.getLicence((req.params as { id: string }).id);
      requireLicence(principal, l);
      const chips = await v.ledger.listChips({ licenceId: l.id, ...scopeFilter(principal) });
      return {
        licence: l,
        chips: chips.map((c) => c.id),
        shipments: await v.ledger.listShipments({ licenceId: l.id }),
        changes: await v.ledger.changes('licence', l.id),
      };
    },
  });

  r.add({
    method: 'POST',
    url: '/v1/chips',
    tag: 'ledger',
    summary: 'Register a chip',
    roles: ['admin', 'exporter'],
    body: object(
      {
        id,
        model: { type: 'string', maxLength: 32 },
        identityMode: { enum: ['software', 'gpu-evidence', 'gpu-session'] },
        publicKey: { type: 'string', maxLength: 4096 },
        certificateChain: { type: 'string', maxLength: 65536 },
        licenceId: { type: ['string', 'null'], maxLength: 64 },
      },
      ['id', 'model'],
    ),
    handler: async ({ req, principal, now }) => {
      const body = req.body as Record<string, unknown>;
      if (principal.role === 'exporter') {
        if (typeof body.licenceId !== 'string')
          throw forbidden('an exporter registers chips under one of its licences');
        requireLicence(principal, await v.ledger.getLicence(body.licenceId));
      }
      try {
        const chip = await v.ledger.addChip(body, principal.name, now);
        v.ledgerChanged();
        return chip;
      } catch (e) {
        if (
          e instanceof GeoattestError &&
          e.code === 'LICENCE_EXHAUSTED' &&
          typeof body.licenceId === 'string'
        )
          await v.alerts.raiseNow(
            [
              licenceEventAlert(
                body.licenceId,
                'exhausted',
                `${e.message}; chip ${String(body.id)} was refused`,
                now,
              ),
            ],
            now,
          );
        throw e;
      }
    },
  });
  r.add({
    method: 'PATCH',
    url: '/v1/chips/:id',
    tag: 'ledger',
    summary: 'Move a chip to another licence or change its status',
    roles: ['admin', 'exporter'],
    params: idParam,
    body: object({
      licenceId: { type: 'string', maxLength: 64 },
      status: { enum: ['active', 'suspended', 'retired'] },
    }),
    handler: async ({ req, principal, now }) => {
      const chipId = (req.params as { id: string }).id;
      const body = req.body as Record<string, unknown>;
      if (principal.role === 'exporter') {
        const chip = await v.ledger.getChip(chipId);
        if (chip.licenceId === null) throw forbidden(`chip ${chipId} is not under a licence of yours`);
        requireLicence(principal, await v.ledger.getLicence(chip.licenceId));
        if (typeof body.licenceId === 'string')
          requireLicence(principal, await v.ledger.getLicence(body.licenceId));
      }
      const moved = await v.ledger.updateChip(chipId, body, principal.name, now);
      v.ledgerChanged();
      if (moved.fromEndUser !== undefined && moved.chip.licenceId !== null)
        await v.alerts.raiseNow(
          [endUserChangeAlert(chipId, moved.chip.licenceId, moved.fromEndUser, moved.chip.endUserId, now)],
          now,
        );
      return moved.chip;
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/chips',
    tag: 'ledger',
    summary: 'List chips with their latest verdicts',
    roles: READERS,
    querystring: {
      type: 'object',
      properties: {
        licence: id,
        endUser: id,
        model: { type: 'string', maxLength: 32 },
        verdict: { enum: ['inside', 'outside', 'unverified', 'inconsistent', 'none'] },
      },
      additionalProperties: false,
    },
    handler: async ({ req, principal }) => {
      const q = req.query as { licence?: string; endUser?: string; model?: string; verdict?: string };
      const scope = scopeFilter(principal);
      const chips = await v.ledger.listChips({
        ...(q.licence ? { licenceId: q.licence } : {}),
        ...(q.endUser && !scope.endUserId ? { endUserId: q.endUser } : {}),
        ...scope,
      });
      const views = await chipView.many(v, principal, chips);
      return {
        chips: views.filter(
          (c) =>
            (q.model ? c.model === q.model : true) &&
            (q.verdict ? (c.verdict?.verdict ?? 'none') === q.verdict : true),
        ),
      };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/chips/:id',
    tag: 'ledger',
    summary: 'Show a chip, its licence and its latest verdict',
    roles: READERS,
    params: idParam,
    handler: async ({ req, principal }) => chipView.one(v, principal, (req.params as { id: string }).id),
  });

  r.add({
    method: 'POST',
    url: '/v1/shipments',
    tag: 'ledger',
    summary: 'Record a shipment under a licence',
    roles: ['admin', 'exporter'],
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        id,
        licenceId: id,
        chips: { type: 'array', maxItems: 100000, items: { type: 'string', maxLength: 64 } },
        invoiceValue: { type: 'number' },
        currency: { type: 'string', maxLength: 3 },
        shippedAt: time,
      },
      required: ['id', 'licenceId', 'chips', 'invoiceValue', 'currency', 'shippedAt'],
    },
    handler: async ({ req, principal, now }) => {
      const body = req.body as Record<string, unknown>;
      if (principal.role === 'exporter')
        requireLicence(principal, await v.ledger.getLicence(String(body.licenceId)));
      return v.ledger.addShipment(body, principal.name, now);
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/shipments',
    tag: 'ledger',
    summary: 'List shipments',
    roles: READERS,
    handler: async ({ principal }) => ({ shipments: await v.ledger.listShipments(scopeFilter(principal)) }),
  });

  r.add({
    method: 'POST',
    url: '/v1/landmarks',
    tag: 'ledger',
    summary: 'Register a landmark',
    roles: ['admin'],
    body: object(
      {
        id: { type: 'string', maxLength: 16 },
        operatorId: id,
        lat: { type: 'number' },
        lon: { type: 'number' },
        publicKey: { type: 'string', maxLength: 64 },
      },
      ['id', 'operatorId', 'lat', 'lon', 'publicKey'],
    ),
    handler: async ({ req, principal, now }) => {
      const l = await v.ledger.addLandmark(req.body, principal.name, now);
      v.ledgerChanged();
      return l;
    },
  });
  r.add({
    method: 'PATCH',
    url: '/v1/landmarks/:id',
    tag: 'ledger',
    summary: 'Suspend, retire or reactivate a landmark',
    roles: ['admin'],
    params: { type: 'object', properties: { id: { type: 'string', maxLength: 16 } }, required: ['id'] },
    body: object({ status: { enum: ['active', 'suspended', 'retired'] } }, ['status']),
    handler: async ({ req, principal, now }) => {
      const l = await v.ledger.setLandmarkStatus(
        (req.params as { id: string }).id,
        req.body,
        principal.name,
        now,
      );
      v.ledgerChanged();
      return l;
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/landmarks',
    tag: 'ledger',
    summary: 'List landmarks (ids, positions, keys, status)',
    roles: ['admin', 'exporter', 'operator', 'auditor', 'landmark'],
    handler: async () => ({ landmarks: await v.ledger.listLandmarks() }),
  });

  r.add({
    method: 'POST',
    url: '/v1/tokens',
    tag: 'access',
    summary: 'Create an API token (its secret is shown once)',
    roles: ['admin'],
    body: object(
      {
        name: { type: 'string', maxLength: 100 },
        role: { enum: ['admin', 'exporter', 'operator', 'auditor', 'landmark'] },
        scope: { type: ['string', 'null'], maxLength: 64 },
      },
      ['name', 'role'],
    ),
    handler: async ({ req, principal, now }) => v.tokens.create(req.body, principal.name, now),
  });
  r.add({
    method: 'GET',
    url: '/v1/tokens',
    tag: 'access',
    summary: 'List API tokens (never their secrets)',
    roles: ['admin'],
    handler: async () => ({ tokens: await v.tokens.list() }),
  });
  r.add({
    method: 'GET',
    url: '/v1/me',
    tag: 'access',
    summary: 'Who this token is',
    roles: ['admin', 'exporter', 'operator', 'auditor', 'landmark'],
    handler: async ({ principal }) => principal,
  });
}

/** Country destinations must have land of their own on the map the verdicts use. */
function checkMapped(v: Verifier, destinations: unknown): void {
  if (!Array.isArray(destinations)) return;
  let claims: ReturnType<typeof destinationClaims>;
  try {
    claims = destinationClaims(destinations);
  } catch {
    return; // the ledger's own parser reports the bad destination with its index
  }
  for (const c of claims)
    if (c.kind === 'country' && v.engine.atlas().regionIndex(c.code) === undefined)
      throw new GeoattestError(
        'COUNTRY_NOT_MAPPED',
        `${c.code} has no separate land on the map; use a geofence`,
      );
}
