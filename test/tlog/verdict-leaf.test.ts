import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRUST_MODES } from '../../src/protocol/message-types.js';
import {
  decodeVerdictLeaf,
  encodeVerdictLeaf,
  evidenceHash,
  LEAF_CODES,
  type VerdictLeaf,
} from '../../src/tlog/verdict-leaf.js';
import { errorCodeOf } from '../helpers/error-code.js';

const sample: VerdictLeaf = {
  version: 1,
  chipPseudonym: new Uint8Array(32).fill(0xab),
  licence: 'D-2025-0042',
  verdict: 'inside',
  region: 'MY',
  bound: 'vacuum',
  trustMode: 'software',
  where: 'territorial',
  windowStartMs: 1_764_000_000_000,
  windowEndMs: 1_764_003_600_000,
  evidenceHash: new Uint8Array(32).fill(0x11),
  verifierVersion: 'geoattest 0.1.0',
};

const printable = fc.stringMatching(/^[\x20-\x7e]{1,255}$/);
const leafArb: fc.Arbitrary<VerdictLeaf> = fc
  .record({
    chipPseudonym: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    licence: printable,
    verdict: fc.constantFrom(...LEAF_CODES.verdict),
    region: fc.oneof(
      fc.stringMatching(/^[A-Z]{2}$/),
      fc
        .uint8Array({ minLength: 32, maxLength: 32 })
        .map((b) => `geofence:${Buffer.from(b).toString('hex')}`),
    ),
    bound: fc.constantFrom(...LEAF_CODES.bound),
    trustMode: fc.constantFrom(...LEAF_CODES.trustMode),
    where: fc.constantFrom(...LEAF_CODES.where),
    a: fc.maxSafeNat(),
    b: fc.maxSafeNat(),
    evidenceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    verifierVersion: printable,
  })
  .map(({ a, b, ...rest }) => ({
    version: 1 as const,
    ...rest,
    windowStartMs: Math.min(a, b),
    windowEndMs: Math.max(a, b),
  }));

describe('verdict leaf v1', () => {
  it('has the documented byte layout (golden)', () => {
    const hex = Buffer.from(encodeVerdictLeaf(sample)).toString('hex');
    expect(hex).toBe(
      [
        '01',
        'ab'.repeat(32),
        '0b',
        Buffer.from('D-2025-0042').toString('hex'),
        '01',
        '02',
        Buffer.from('MY').toString('hex'),
        '01',
        '01',
        '01',
        '0000019ab697e800',
        '0000019ab6ced680',
        '11'.repeat(32),
        '0f',
        Buffer.from('geoattest 0.1.0').toString('hex'),
      ].join(''),
    );
  });

  it('uses the wire protocol trust mode codes', () => {
    LEAF_CODES.trustMode.forEach((m, i) => {
      expect(TRUST_MODES[m]).toBe(i + 1);
    });
  });

  it('round-trips every leaf, byte for byte', () => {
    fc.assert(
      fc.property(leafArb, (leaf) => {
        const bytes = encodeVerdictLeaf(leaf);
        const back = decodeVerdictLeaf(bytes);
        expect(back).toEqual(leaf);
        expect(encodeVerdictLeaf(back)).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('any byte string decodes to a leaf that re-encodes to it, or is refused with a code', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(leafArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([l, at, v]) => {
            const b = encodeVerdictLeaf(l);
            b[at % b.length] = v;
            return b;
          }),
          leafArb.chain((l) => {
            const b = encodeVerdictLeaf(l);
            return fc.nat(b.length - 1).map((n) => b.subarray(0, n));
          }),
        ),
        (bytes) => {
          let leaf: VerdictLeaf | undefined;
          const code = errorCodeOf(() => {
            leaf = decodeVerdictLeaf(bytes);
          });
          if (code === 'no error') expect(encodeVerdictLeaf(leaf!)).toEqual(bytes);
          else expect(code).toMatch(/^LEAF_(MALFORMED|UNSUPPORTED_VERSION)$/);
        },
      ),
      { numRuns: 1000 },
    );
  });

  describe('when a field is out of its domain', () => {
    it('is LEAF_MALFORMED (never coordinates, never free text in the region)', () => {
      const cases: Partial<Record<keyof VerdictLeaf, unknown>>[] = [
        { chipPseudonym: new Uint8Array(31) },
        { licence: '' },
        { licence: 'x'.repeat(256) },
        { licence: 'naïve' },
        { licence: 'a\nb' },
        { verdict: 'maybe' },
        { region: 'my' },
        { region: 'MYS' },
        { region: '1.35,103.82' },
        { region: `geofence:${'A'.repeat(64)}` },
        { bound: 'light' },
        { trustMode: 'hardware' },
        { where: 'sea' },
        { windowStartMs: -1 },
        { windowStartMs: 1.5 },
        { windowEndMs: sample.windowStartMs - 1 },
        { evidenceHash: new Uint8Array(33) },
        { verifierVersion: '' },
      ];
      for (const c of cases) {
        expect(
          errorCodeOf(() => encodeVerdictLeaf({ ...sample, ...c } as VerdictLeaf)),
          JSON.stringify(c),
        ).toBe('LEAF_MALFORMED');
      }
    });
  });
  describe('when the version is not 1', () => {
    it('is LEAF_UNSUPPORTED_VERSION', () => {
      const b = encodeVerdictLeaf(sample);
      b[0] = 2;
      expect(errorCodeOf(() => decodeVerdictLeaf(b))).toBe('LEAF_UNSUPPORTED_VERSION');
      expect(errorCodeOf(() => encodeVerdictLeaf({ ...sample, version: 2 as 1 }))).toBe(
        'LEAF_UNSUPPORTED_VERSION',
      );
    });
  });
  describe('when bytes trail the leaf', () => {
    it('is LEAF_MALFORMED', () => {
      expect(errorCodeOf(() => decodeVerdictLeaf(new Uint8Array([...encodeVerdictLeaf(sample), 0])))).toBe(
        'LEAF_MALFORMED',
      );
    });
  });
});

describe('evidence hash', () => {
  const r = (n: number) => createHash('sha256').update(String(n)).digest();

  it('is SHA-256 over the receipt hashes sorted bytewise, whatever their order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50), { maxLength: 12 }), (ns) => {
        const hashes = ns.map(r);
        const sorted = [...hashes].sort(Buffer.compare);
        const want = createHash('sha256').update(Buffer.concat(sorted)).digest();
        expect(Buffer.from(evidenceHash(hashes)).equals(want)).toBe(true);
        expect(evidenceHash([...hashes].reverse())).toEqual(evidenceHash(hashes));
      }),
      { numRuns: 300 },
    );
  });
  describe('when a receipt hash repeats or is not 32 bytes', () => {
    it('is LEAF_MALFORMED', () => {
      expect(errorCodeOf(() => evidenceHash([r(1), r(1)]))).toBe('LEAF_MALFORMED');
      expect(errorCodeOf(() => evidenceHash([r(1).subarray(1)]))).toBe('LEAF_MALFORMED');
    });
  });
});
