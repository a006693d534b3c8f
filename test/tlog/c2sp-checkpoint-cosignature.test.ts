import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCheckpointText,
  openCheckpoint,
  parseCheckpointText,
  signCheckpoint,
} from '../../src/tlog/checkpoint.js';
import {
  cosignatureLine,
  cosignatureVerifier,
  cosignedMessage,
  ed25519Cosigner,
  verifyCosignatureLine,
} from '../../src/tlog/cosignature.js';
import { openNote, parseNote, SIG_TYPE_ED25519 } from '../../src/tlog/note.js';
import {
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  formatVerifierKey,
  signerKeyFrom,
} from '../../src/tlog/note-keys.js';
import { errorCodeOf } from '../helpers/error-code.js';
import { toB64 } from './tree-fixture.js';

const read = (f: string) =>
  JSON.parse(readFileSync(new URL(`../vectors/notes/${f}`, import.meta.url), 'utf8'));
const cc = read('checkpoints-cosignatures.json');
const derived = read('derived-notes.json');
const seedKey = (hex: string) => ed25519KeyFromSeed(new Uint8Array(Buffer.from(hex, 'hex')));

describe('real and upstream checkpoints (checkpoints-cosignatures.json)', () => {
  for (const c of cc.checkpoints) {
    it(`${c.name} verifies and parses`, () => {
      let vkey = c.vkey as string | undefined;
      if (vkey === undefined) {
        // Sigsum: key name = origin = "sigsum.org/v1/tree/<hex SHA-256(public key)>".
        const origin = parseNote(c.signedNote).text.split('\n')[0];
        vkey = formatVerifierKey(
          origin,
          SIG_TYPE_ED25519,
          signerKeyFrom(origin, seedKey(c.ed25519Seed_hex)).publicKey,
        );
      }
      const { checkpoint } = openCheckpoint(c.signedNote, [ed25519Verifier(vkey)]);
      if (c.expect.root_b64) {
        expect(checkpoint).toMatchObject({ origin: c.expect.origin, size: c.expect.size, extensions: [] });
        expect(toB64(checkpoint.root)).toBe(c.expect.root_b64);
      } else {
        expect(checkpoint.size).toBe(c.expect.size);
      }
      expect(formatCheckpointText(checkpoint)).toBe(parseNote(c.signedNote).text);
    });
  }

  it('a sum.golang.org checkpoint with its size changed is NOTE_SIGNATURE_INVALID', () => {
    const c = cc.checkpoints[0];
    const forged = c.signedNote.replace('\n6476701\n', '\n6476702\n');
    expect(errorCodeOf(() => openCheckpoint(forged, [ed25519Verifier(c.vkey)]))).toBe(
      'NOTE_SIGNATURE_INVALID',
    );
  });

  it('the spec examples parse (their keys are not published)', () => {
    for (const note of [
      cc.formatOnlyExamples['tlog-checkpoint.md'],
      cc.formatOnlyExamples['tlog-cosignature.md'],
    ]) {
      expect(parseCheckpointText(parseNote(note).text)).toMatchObject({
        origin: 'example.com/behind-the-sofa',
        size: 20852163,
      });
    }
  });
});

describe('derived checkpoints (derived-notes.json)', () => {
  const keys = Object.fromEntries(
    Object.entries(derived.vkeys as Record<string, string>).map(([n, k]) => [n, ed25519Verifier(k)]),
  );
  for (const [name, note] of Object.entries(derived.signedNotes as Record<string, string>)) {
    it(`${name} verifies with its keys and re-signs byte for byte`, () => {
      const opened = openCheckpoint(note, Object.values(keys), 'example.com/test-log');
      const signers = opened.verified.map((s) => ed25519Signer(derived.skeys[s.name]));
      expect(signCheckpoint(opened.checkpoint, signers)).toBe(note);
    });
  }
  it('the extension line is kept and signed', () => {
    const { checkpoint } = openCheckpoint(
      derived.signedNotes.checkpoint_origin_key_extension,
      Object.values(keys),
    );
    expect(checkpoint.extensions).toEqual(['extension line']);
  });
  describe('when the origin is another log', () => {
    it('is CHECKPOINT_ORIGIN_MISMATCH', () => {
      expect(
        errorCodeOf(() =>
          openCheckpoint(derived.signedNotes.checkpoint_log, Object.values(keys), 'other/log'),
        ),
      ).toBe('CHECKPOINT_ORIGIN_MISMATCH');
    });
  });
});

describe('checkpoint text', () => {
  const root = toB64(new Uint8Array(32).fill(1));
  describe('when a line is missing or malformed', () => {
    it('is CHECKPOINT_MALFORMED', () => {
      for (const bad of [
        `o\n1\n`,
        `\n1\n${root}\n`,
        `o\n01\n${root}\n`,
        `o\n-1\n${root}\n`,
        `o\n1.0\n${root}\n`,
        `o\n99999999999999999\n${root}\n`,
        `o\n1\n${root.slice(0, -4)}\n`,
        `o\n1\n${toB64(new Uint8Array(31))}\n`,
        `o\n1\n${root}\n\n`,
        `o\n1\n${root}\next\n\n`,
        `o\n1\n${root}`,
        `o\n1\n${root.replace('=', '')}\n`,
      ]) {
        expect(
          errorCodeOf(() => parseCheckpointText(bad)),
          JSON.stringify(bad),
        ).toBe('CHECKPOINT_MALFORMED');
      }
    });
  });
  it('round-trips', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9./-]{1,40}$/),
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[ -~]{1,20}$/), { maxLength: 3 }),
        (origin, size, r, extensions) => {
          const c = { origin, size, root: r, extensions };
          expect(parseCheckpointText(formatCheckpointText(c))).toEqual(c);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Ed25519 cosignature/v1 (checkpoints-cosignatures.json cosignatures)', () => {
  for (const c of cc.cosignatures) {
    const cosigner = ed25519Cosigner(c.cosignerName, seedKey(c.ed25519Seed_hex));
    it(`${c.name}: signing reproduces the valid line`, () => {
      const sig = cosigner.cosign(c.checkpointText, BigInt(c.timestamp));
      const valid = c.signatureLines.find((l: { expect: string }) => l.expect === 'valid').line;
      expect(cosignatureLine(sig)).toBe(valid);
    });
    for (const l of c.signatureLines) {
      it(`${c.name}: ${l.expect}`, () => {
        const code = errorCodeOf(() => verifyCosignatureLine(c.checkpointText, l.line, cosigner.verifierKey));
        if (l.expect === 'valid') {
          expect(code).toBe('no error');
          expect(verifyCosignatureLine(c.checkpointText, l.line, cosigner.verifierKey)).toBe(
            BigInt(c.timestamp),
          );
        } else {
          expect(code).toMatch(/^(COSIGNATURE_INVALID|NOTE_MALFORMED)$/);
        }
      });
    }
    it(`${c.name}: openNote with the witness key ignores the foreign lines and accepts the valid one`, () => {
      const lines = c.signatureLines.filter(
        (l: { expect: string }) => l.expect.startsWith('valid') || l.expect.startsWith('ignore'),
      );
      const note = `${c.checkpointText}\n${lines.map((l: { line: string }) => l.line).join('')}`;
      const opened = openNote(note, [cosignatureVerifier(cosigner.verifierKey)]);
      expect(opened.verified).toHaveLength(1);
      expect(opened.unverified).toHaveLength(2);
    });
  }

  it("the spec example's signed message", () => {
    const cp = parseNote(cc.formatOnlyExamples['tlog-cosignature.md']).text;
    expect(new TextDecoder().decode(cosignedMessage(cp, 1679315147n))).toBe(
      cc.formatOnlyExamples['tlog-cosignature.md signed message'],
    );
  });

  describe('when the timestamp is out of range', () => {
    it('is COSIGNATURE_INVALID', () => {
      expect(errorCodeOf(() => cosignedMessage('a\n1\nb\n', 1n << 63n))).toBe('COSIGNATURE_INVALID');
      expect(errorCodeOf(() => cosignedMessage('a\n1\nb\n', -1n))).toBe('COSIGNATURE_INVALID');
    });
  });
});
