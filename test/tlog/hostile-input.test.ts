// Everything the log's parsers see comes from someone who may lie. Whatever arrives, the answer is
// a value or a coded GeoattestError, never an uncoded throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, parseCheckpointText } from '../../src/tlog/checkpoint.js';
import { cosignatureVerifier, verifyCosignatureLine } from '../../src/tlog/cosignature.js';
import { rootFromInclusionProof, verifyConsistency } from '../../src/tlog/merkle.js';
import { openNote } from '../../src/tlog/note.js';
import {
  ed25519KeyFromSeed,
  ed25519Verifier,
  parseSignerKey,
  parseVerifierKey,
  signerKeyFrom,
  verifierKeyOf,
} from '../../src/tlog/note-keys.js';
import { decodeEntryBundle, parseTilePath } from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { errorCodeOf } from '../helpers/error-code.js';

const coded = (f: () => unknown): void => {
  expect(errorCodeOf(f)).not.toBe('not a GeoattestError');
};
const RUNS = { numRuns: 1000 };
const key = signerKeyFrom('example.com/log', ed25519KeyFromSeed(new Uint8Array(32).fill(1)));
const verifier = ed25519Verifier(verifierKeyOf(key));

const pieces = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'tile/',
    'entries/',
    'x001/',
    '000',
    '.p/',
    '\n',
    '— ',
    '+',
    'old ',
    'example.com/log',
    '=',
  ),
);
const hostileString = fc.array(pieces, { maxLength: 12 }).map((p) => p.join(''));

describe('hostile input', () => {
  it('tile paths', () =>
    fc.assert(
      fc.property(hostileString, (s) => coded(() => parseTilePath(s))),
      RUNS,
    ));
  it('checkpoint text and signed checkpoints', () =>
    fc.assert(
      fc.property(hostileString, (s) => {
        coded(() => parseCheckpointText(s));
        coded(() => openCheckpoint(s, [verifier]));
      }),
      RUNS,
    ));
  it('verifier and signer keys', () =>
    fc.assert(
      fc.property(hostileString, fc.uint8Array({ maxLength: 40 }), (s, b) => {
        const b64 = Buffer.from(b).toString('base64');
        for (const k of [s, `a+12345678+${b64}`, `PRIVATE+KEY+a+12345678+${b64}`]) {
          coded(() => parseVerifierKey(k));
          coded(() => parseSignerKey(k));
          coded(() => cosignatureVerifier(k));
        }
      }),
      RUNS,
    ));
  it('any 32 bytes as a public key', () =>
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (pub) => {
        const vkey = `example.com/log+00000000+${Buffer.from([1, ...pub]).toString('base64')}`;
        coded(() => ed25519Verifier(vkey));
      }),
      { numRuns: 200 },
    ));
  it('notes and cosignature lines', () =>
    fc.assert(
      fc.property(hostileString, (s) => {
        coded(() => openNote(s, [verifier]));
        coded(() =>
          verifyCosignatureLine('a\n1\nb\n', s, `w+00000000+${Buffer.alloc(33, 4).toString('base64')}`),
        );
      }),
      RUNS,
    ));
  it('entry bundles and stored partial tiles', () =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(300), fc.nat(70_000), (b, w, size) => {
        coded(() => decodeEntryBundle(b, w));
        coded(() => TreeBuilder.restore(size, () => b));
      }),
      RUNS,
    ));
  it('proof sizes, indices and arrays of anything', () =>
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (a, b, c) => {
        coded(() => rootFromInclusionProof(a as number, b as number, c as Uint8Array, a as Uint8Array[]));
        coded(() =>
          verifyConsistency(a as number, b as number, c as Uint8Array[], a as Uint8Array, b as Uint8Array),
        );
      }),
      RUNS,
    ));
});
