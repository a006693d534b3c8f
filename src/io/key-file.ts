// Ed25519 key files for landmarks and software device identities: PKCS#8 PEM, created with mode
// 0600, and refused when anyone but the owner could read them (a key others can read is not an
// identity).

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { publicKeyToRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The raw 32-byte Ed25519 public key (RFC 8032 §5.1.5 encoding). */
  readonly publicKeyRaw: Uint8Array;
}

function pairOf(privateKey: KeyObject): KeyPair {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new GeoattestError('KEY_INVALID', `expected an Ed25519 key, got ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyRaw: publicKeyToRaw(publicKey) };
}

/** Writes a fresh key pair to `path`, mode 0600, refusing to overwrite unless `force`. */
export function createKeyFile(path: string, force = false): KeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const flags = constants.O_WRONLY | constants.O_CREAT | (force ? constants.O_TRUNC : constants.O_EXCL);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (cause) {
    const exists = (cause as NodeJS.ErrnoException).code === 'EEXIST';
    throw new GeoattestError(
      'IO_ERROR',
      exists ? `${path} exists (use --force to replace it)` : `cannot create ${path}`,
      {
        cause,
      },
    );
  }
  try {
    writeSync(fd, pem);
  } finally {
    closeSync(fd);
  }
  return pairOf(privateKey);
}

/** Reads a private key file, refusing one that group or others can read or write. */
export function readKeyFile(path: string): KeyPair {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GeoattestError('IO_ERROR', `cannot read key file ${path}`, { cause });
  }
  if ((mode & 0o077) !== 0) {
    throw new GeoattestError(
      'KEY_FILE_INSECURE',
      `${path} is accessible to others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (cause) {
    throw new GeoattestError('KEY_INVALID', `${path} is not a PEM private key`, { cause });
  }
  return pairOf(key);
}
