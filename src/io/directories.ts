// The lists a landmark and an agent start from: which devices a landmark knows (their identity
// keys), and which landmarks an agent checks in with. JSON Lines or one JSON array; each entry is
// checked, and a bad one is refused with its line named.

import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LandmarkContact } from '../agent/agent-session.js';
import { deviceKeyId, publicKeyFromRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import { type DeviceDirectory, deviceIdOf, landmarkIdBytes } from '../landmark/landmark-core.js';

function entries(text: string, what: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  let list: unknown[];
  try {
    list = trimmed.startsWith('[')
      ? (JSON.parse(trimmed) as unknown[])
      : trimmed
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as unknown);
  } catch (cause) {
    throw new GeoattestError('INVALID_OPTION_FILE', `${what}: not JSON Lines or a JSON array`, { cause });
  }
  return list.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw new GeoattestError('INVALID_OPTION_FILE', `${what}: entry ${i + 1} is not an object`);
    }
    return e as Record<string, unknown>;
  });
}

function key(v: unknown, what: string): { raw: Uint8Array; key: KeyObject } {
  const raw = typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : new Uint8Array(0);
  if (raw.length !== 32)
    throw new GeoattestError('INVALID_OPTION_FILE', `${what}: publicKey must be 32 bytes in base64`);
  return { raw, key: publicKeyFromRaw(raw) };
}

/** A landmark's device directory from `{"device": "label", "publicKey": "<base64 Ed25519>"}` entries. */
export function parseDeviceDirectory(text: string): {
  directory: DeviceDirectory;
  labels: Map<string, string>;
} {
  const byId = new Map<string, { keyId: string; key: KeyObject }>();
  const labels = new Map<string, string>();
  entries(text, 'devices').forEach((e, i) => {
    const k = key(e.publicKey, `devices entry ${i + 1}`);
    const id = Buffer.from(deviceIdOf(k.raw)).toString('hex');
    byId.set(id, { keyId: deviceKeyId(k.raw), key: k.key });
    labels.set(id, typeof e.device === 'string' ? e.device : id.slice(0, 16));
  });
  const directory: DeviceDirectory = (deviceId, keyId) => {
    const hit = byId.get(Buffer.from(deviceId).toString('hex'));
    return hit !== undefined && hit.keyId === Buffer.from(keyId).toString('hex') ? hit.key : undefined;
  };
  return { directory, labels };
}

/** An agent's landmark list from `{"id", "host", "port", "publicKey"}` entries. */
export function parseLandmarkList(text: string): LandmarkContact[] {
  return entries(text, 'landmarks').map((e, i) => {
    const what = `landmarks entry ${i + 1}`;
    if (typeof e.id !== 'string' || typeof e.host !== 'string' || !Number.isInteger(e.port)) {
      throw new GeoattestError('INVALID_OPTION_FILE', `${what}: needs id, host and port`);
    }
    const port = e.port as number;
    if (port < 1 || port > 65535)
      throw new GeoattestError('INVALID_OPTION_FILE', `${what}: port out of range`);
    return {
      id: e.id,
      host: e.host,
      port,
      landmarkId: landmarkIdBytes(e.id),
      publicKey: key(e.publicKey, what).key,
    };
  });
}

/** Reads a list from a file or an http(s) URL. */
export async function readListSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new GeoattestError('IO_ERROR', `${source}: HTTP ${res.status}`);
    return res.text();
  }
  try {
    return readFileSync(source, 'utf8');
  } catch (cause) {
    throw new GeoattestError('IO_ERROR', `cannot read ${source}`, { cause });
  }
}
