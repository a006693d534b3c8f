import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceKeyId } from '../../src/attest/software-identity.js';
import { readKeyFile } from '../../src/io/key-file.js';
import { runCli } from '../helpers/cli-io.js';
import { errorCodeOf } from '../helpers/error-code.js';

describe('geoattest keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geoattest-keys-'));

  it('writes a private key readable by its owner only and prints its public key and id', async () => {
    const path = join(dir, 'landmark.key');
    const r = await runCli(['keygen', '--out', path, '--json']);
    expect(r.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const printed = JSON.parse(r.out);
    const pair = readKeyFile(path);
    expect(printed.publicKey).toBe(Buffer.from(pair.publicKeyRaw).toString('base64'));
    expect(printed.keyId).toBe(deviceKeyId(pair.publicKeyRaw));
  });

  it('refuses to overwrite a key unless --force', async () => {
    const path = join(dir, 'twice.key');
    expect((await runCli(['keygen', '--out', path])).code).toBe(0);
    const again = await runCli(['keygen', '--out', path]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/--force/);
    expect((await runCli(['keygen', '--out', path, '--force'])).code).toBe(0);
  });

  it('exits 2 without --out', async () => {
    expect((await runCli(['keygen'])).code).toBe(2);
  });

  describe('when a key file is readable by others', () => {
    it('is refused with KEY_FILE_INSECURE', async () => {
      const path = join(dir, 'open.key');
      await runCli(['keygen', '--out', path]);
      chmodSync(path, 0o644);
      expect(errorCodeOf(() => readKeyFile(path))).toBe('KEY_FILE_INSECURE');
    });
  });

  describe('when a key file is not a key', () => {
    it('is refused with KEY_INVALID', async () => {
      const { writeFileSync } = await import('node:fs');
      const path = join(dir, 'junk.key');
      writeFileSync(path, 'not a key', { mode: 0o600 });
      expect(errorCodeOf(() => readKeyFile(path))).toBe('KEY_INVALID');
    });
  });
});
