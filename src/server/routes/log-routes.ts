// The transparency log over HTTP: the checkpoint and C2SP tlog-tiles for any tile client (public,
// no token: the log is for everyone), JSON proofs and decoded leaves for people and the dashboard,
// and, for roles allowed to see it, the evidence a leaf rests on so an auditor can re-derive it.

import { GeoattestError } from '../../errors.js';
import { encodeBase64 } from '../../tlog/note.js';
import { parseTilePath } from '../../tlog/tiles.js';
import { verdictLeafToJson } from '../../tlog/verdict-leaf.js';
import { READERS } from '../access.js';
import type { JsonSchema, Router } from '../http.js';
import type { Verifier } from '../verifier.js';

const index: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const size: JsonSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };

export function logRoutes(r: Router, v: Verifier): void {
  const log = v.log;
  const entryOf = async (i: number) => {
    const leaf = await log.leafByIndex(i);
    if (leaf === undefined) throw new GeoattestError('NOT_FOUND', `the log has no leaf ${i}`);
    const verdict = await v.evidence.verdictById(leaf.verdictId);
    if (verdict === undefined) throw new GeoattestError('INTERNAL', `leaf ${i} names a missing verdict`);
    return { leaf, verdict, decoded: log.leafOf(verdict) };
  };

  r.add({
    method: 'GET',
    url: '/checkpoint',
    tag: 'log',
    summary: 'The latest signed checkpoint, with witness cosignatures (C2SP tlog-checkpoint)',
    roles: 'public',
    produces: 'text/plain',
    handler: async ({ reply }) => {
      const c = await log.checkpoint();
      if (c === undefined) throw new GeoattestError('NOT_FOUND', 'the log is empty: no checkpoint yet');
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(c.note);
    },
  });
  r.add({
    method: 'GET',
    url: '/tile/*',
    tag: 'log',
    summary: 'A hash tile or entry bundle (C2SP tlog-tiles)',
    roles: 'public',
    produces: 'application/octet-stream',
    handler: async ({ req, reply }) => {
      const path = `tile/${(req.params as { '*': string })['*']}`;
      parseTilePath(path); // TLOG_TILE_PATH_INVALID for anything that is not a tile path
      const bytes = await log.tile(path);
      if (bytes === undefined) throw new GeoattestError('NOT_FOUND', `no tile ${path}`);
      // Full tiles never change; a partial one is immutable at its width too (tlog-tiles).
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(Buffer.from(bytes));
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log',
    tag: 'log',
    summary: 'The log’s origin, verifier key, size and checkpoint',
    roles: 'public',
    handler: async () => {
      const c = await log.checkpoint();
      return {
        origin: log.origin,
        verifierKey: log.verifierKey,
        size: c?.size ?? 0,
        checkpoint: c?.note ?? null,
      };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log/leaves/:index',
    tag: 'log',
    summary: 'A leaf of the log, decoded, with its leaf hash',
    roles: 'public',
    params: { type: 'object', properties: { index }, required: ['index'] },
    handler: async ({ req }) => {
      const { leaf, decoded } = await entryOf((req.params as { index: number }).index);
      return { index: leaf.index, leafHash: leaf.leafHash, leaf: verdictLeafToJson(decoded) };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log/inclusion',
    tag: 'log',
    // By index only: an index on leaf hashes would be written at random places (migration 0007).
    summary: 'An inclusion proof, by leaf index, in the tree of a size (default: the latest)',
    roles: 'public',
    querystring: {
      type: 'object',
      properties: { index, size },
      required: ['index'],
      additionalProperties: false,
    },
    handler: async ({ req }) => {
      const q = req.query as { index: number; size?: number };
      const leaf = await log.leafByIndex(q.index);
      if (leaf === undefined) throw new GeoattestError('NOT_FOUND', `no leaf ${q.index}`);
      const treeSize = q.size ?? (await log.size());
      if (leaf.index >= treeSize)
        throw new GeoattestError(
          'TLOG_INDEX_OUT_OF_RANGE',
          `leaf ${leaf.index} is not in the tree of size ${treeSize}`,
        );
      const proof = await log.inclusionProof(leaf.index, treeSize);
      return { index: leaf.index, size: treeSize, leafHash: leaf.leafHash, proof: proof.map(encodeBase64) };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log/consistency',
    tag: 'log',
    summary: 'A consistency proof between two tree sizes',
    roles: 'public',
    querystring: {
      type: 'object',
      properties: { from: size, to: size },
      required: ['from', 'to'],
      additionalProperties: false,
    },
    handler: async ({ req }) => {
      const q = req.query as { from: number; to: number };
      if (q.from > q.to) throw new GeoattestError('TLOG_SIZE_INVALID', 'from must not exceed to');
      const proof = await log.consistencyProof(q.from, q.to);
      return { from: q.from, to: q.to, proof: proof.map(encodeBase64) };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log/verdicts/:id',
    tag: 'log',
    summary: 'Where a verdict is in the log: its leaf index, hash and inclusion proof',
    roles: READERS,
    params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
    handler: async ({ req }) => {
      const leaf = await log.leafOfVerdict((req.params as { id: number }).id);
      if (leaf === undefined) throw new GeoattestError('NOT_FOUND', 'this verdict is not in the log yet');
      const treeSize = await log.size();
      const proof = await log.inclusionProof(leaf.index, treeSize);
      return { index: leaf.index, size: treeSize, leafHash: leaf.leafHash, proof: proof.map(encodeBase64) };
    },
  });
  r.add({
    method: 'GET',
    url: '/v1/log/evidence/:index',
    tag: 'log',
    summary: 'The signed receipts, landmarks and policy a leaf rests on (to re-derive its verdict)',
    roles: ['admin', 'auditor'],
    params: { type: 'object', properties: { index }, required: ['index'] },
    handler: async ({ req }) => {
      const { leaf, verdict } = await entryOf((req.params as { index: number }).index);
      const receipts = await v.evidence.receiptsOfVerdict(verdict);
      const licence = await v.ledger.licenceRow(verdict.licence_id);
      const landmarkIds = new Set(receipts.map((x) => x.landmark_id));
      const landmarks = (await v.ledger.listLandmarks()).filter((l) => landmarkIds.has(l.id));
      const detail = JSON.parse(verdict.detail) as { marginKm: number };
      return {
        index: leaf.index,
        leafHash: leaf.leafHash,
        verdict: verdict.verdict,
        destinations: licence === undefined ? [] : JSON.parse(licence.destinations),
        policy: { bound: verdict.bound, where: verdict.where_policy, marginKm: detail.marginKm },
        receipts: receipts.map((x) => Buffer.from(x.raw).toString('base64')),
        landmarks: landmarks.map((l) => ({ id: l.id, lat: l.lat, lon: l.lon, publicKey: l.publicKey })),
      };
    },
  });
}
