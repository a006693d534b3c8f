import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NOTE_SIGNATURES, openNote, parseNote, SIG_TYPE_ED25519, signNote } from '../../src/tlog/note.js';
import {
  computeKeyId,
  ed25519KeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  formatSignerKey,
  parseSignerKey,
  parseVerifierKey,
  signerKeyFrom,
  verifierKeyOf,
} from '../../src/tlog/note-keys.js';
import { errorCodeOf } from '../helpers/error-code.js';

const v = JSON.parse(readFileSync(new URL('../vectors/notes/signed-notes.json', import.meta.url), 'utf8'));

describe('signed-note verification (signed-notes.json verify)', () => {
  for (const c of v.verify) {
    it(`${c.name}: ${c.expect}`, () => {
      const known = c.vkeys.map((k: string) => ed25519Verifier(k));
      if (c.expect === 'valid') {
        const opened = openNote(c.note, known);
        expect(opened.verified.map((s) => s.name)).toEqual(c.verifiedSigners);
        expect(opened.unverified.map((s) => s.name)).toEqual(c.unverifiedSigners ?? []);
      } else if (c.expect.startsWith('parse-only')) {
        const note = parseNote(c.note);
        expect(note.text.endsWith('\n\ned è subito sera.\n')).toBe(true);
        expect(note.signatures).toHaveLength(1);
      } else if (c.expect.includes('no signature from a known key')) {
        expect(errorCodeOf(() => openNote(c.note, known))).toBe('NOTE_UNVERIFIED');
      } else {
        expect(errorCodeOf(() => openNote(c.note, known))).toMatch(/^NOTE_(SIGNATURE_INVALID|MALFORMED)$/);
      }
    });
  }
});

describe('malformed notes (signed-notes.json malformed, golang/mod badMsgs)', () => {
  const peter = ed25519Verifier('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  for (const m of v.malformed) {
    it(`${m.desc} is NOTE_MALFORMED`, () => {
      const input: string | Uint8Array = m.prefix_hex
        ? new Uint8Array([...Buffer.from(m.prefix_hex, 'hex'), ...Buffer.from(m.note, 'utf8')])
        : m.note;
      expect(errorCodeOf(() => openNote(input, [peter]))).toBe('NOTE_MALFORMED');
    });
  }
});

describe('deterministic signing (signed-notes.json sign)', () => {
  for (const s of v.sign) {
    it(`${s.name} reproduces the signed note byte for byte`, () => {
      expect(signNote(s.text, [ed25519Signer(s.skey)])).toBe(s.expectedSignedNote);
    });
  }
});

describe('keys (signed-notes.json keyPairs, badVkeys)', () => {
  for (const p of v.keyPairs) {
    it(`${p.vkey.split('+')[0]}: skey -> public key -> key id -> vkey`, () => {
      const k = parseSignerKey(p.skey);
      expect(verifierKeyOf(k)).toBe(p.vkey);
      expect(formatSignerKey(k)).toBe(p.skey);
      const vk = parseVerifierKey(p.vkey);
      expect(vk.keyId).toBe(computeKeyId(vk.name, SIG_TYPE_ED25519, vk.publicKey));
    });
  }
  for (const b of v.badVkeys) {
    it(`refuses ${b.why} with NOTE_KEY_INVALID`, () => {
      expect(errorCodeOf(() => parseVerifierKey(b.vkey))).toBe('NOTE_KEY_INVALID');
    });
  }
  it('refuses malformed key strings with NOTE_KEY_INVALID', () => {
    const good = v.keyPairs[0].vkey as string;
    for (const bad of [
      '',
      good.replace('+', '++'),
      good.toUpperCase(),
      `a b${good.slice(3)}`,
      good.slice(0, -1),
      'PRIVATE+KEY+x',
      good.replace(/\+[0-9a-f]{8}\+/, '+00000000+'),
      12 as never,
    ]) {
      expect(
        errorCodeOf(() => parseVerifierKey(bad)),
        String(bad),
      ).toBe('NOTE_KEY_INVALID');
    }
    expect(errorCodeOf(() => parseSignerKey(good))).toBe('NOTE_KEY_INVALID');
  });
});

describe('notes we write', () => {
  const key = signerKeyFrom('geoattest.example/log', ed25519KeyFromSeed(new Uint8Array(32).fill(3)));
  const signer = ed25519Signer(key);
  const verifier = ed25519Verifier(verifierKeyOf(key));

  it('round-trip any text we can sign', () => {
    fc.assert(
      fc.property(
        fc.array(
          // biome-ignore lint/suspicious/noControlCharactersInRegex: note text may not hold them
          fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\u0000-\u001f]/g, '')),
          { minLength: 1, maxLength: 6 },
        ),
        (lines) => {
          const text = `${lines.join('\n')}\n`;
          const opened = openNote(signNote(text, [signer]), [verifier]);
          expect(opened.note.text).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('when a signature by a known key is altered', () => {
    it('is NOTE_SIGNATURE_INVALID, never uncoded', () => {
      const note = signNote('hello\n', [signer]);
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (at, bit) => {
          const sigStart = note.lastIndexOf(' ') + 1;
          const raw = Buffer.from(note.slice(sigStart, -1), 'base64');
          const i = 4 + (at % (raw.length - 4));
          raw[i] ^= 1 << bit;
          const bad = `${note.slice(0, sigStart)}${raw.toString('base64')}\n`;
          expect(errorCodeOf(() => openNote(bad, [verifier]))).toBe('NOTE_SIGNATURE_INVALID');
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('when a note is hostile bytes', () => {
    it('is a coded error, never an uncoded throw', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          expect(errorCodeOf(() => openNote(bytes, [verifier]))).toMatch(/^NOTE_/);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe(`when a note has more than ${MAX_NOTE_SIGNATURES} signatures`, () => {
    it('is NOTE_TOO_LARGE', () => {
      const line = signNote('x\n', [signer]).slice(3);
      expect(errorCodeOf(() => parseNote(`x\n\n${line.repeat(MAX_NOTE_SIGNATURES + 1)}`))).toBe(
        'NOTE_TOO_LARGE',
      );
      expect(parseNote(`x\n\n${line.repeat(16)}`).signatures).toHaveLength(16);
    });
  });

  it('ignores a signature that shares only the name or only the key id of a known key', () => {
    const other = ed25519Signer(
      signerKeyFrom('geoattest.example/log', ed25519KeyFromSeed(new Uint8Array(32).fill(4))),
    );
    const note = signNote('x\n', [other, signer]);
    expect(openNote(note, [verifier]).unverified).toHaveLength(1);
  });
});
