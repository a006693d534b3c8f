// The GPUs a landmark admits in gpu-session mode, from `{"device": "label", "deviceId": "<hex>"}`
// entries (JSON Lines or a JSON array). A GPU's device id is SHA-256 of its identity key's DER
// SubjectPublicKeyInfo (docs/protocol.md, "Identifiers"); the agent prints it in its `disclosed`
// events, and gpuDeviceIdFromChain computes it from the GPU's certificate chain.

import { GeoattestError } from '../errors.js';
import type { GpuDeviceDirectory } from './landmark-core.js';

export function parseGpuDeviceDirectory(text: string): {
  directory: GpuDeviceDirectory;
  labels: Map<string, string>;
} {
  const labels = new Map<string, string>();
  const trimmed = text.trim();
  let list: unknown;
  try {
    list = trimmed.startsWith('[')
      ? JSON.parse(trimmed)
      : trimmed
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as unknown);
  } catch (cause) {
    throw new GeoattestError('INVALID_OPTION_FILE', 'gpu devices: not JSON Lines or a JSON array', { cause });
  }
  if (!Array.isArray(list)) throw new GeoattestError('INVALID_OPTION_FILE', 'gpu devices: not a list');
  list.forEach((e: unknown, i) => {
    const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    if (typeof o.deviceId !== 'string' || !/^[0-9a-f]{64}$/.test(o.deviceId)) {
      throw new GeoattestError(
        'INVALID_OPTION_FILE',
        `gpu devices entry ${i + 1}: deviceId must be 64 lower-case hex digits`,
      );
    }
    labels.set(o.deviceId, typeof o.device === 'string' ? o.device : o.deviceId.slice(0, 16));
  });
  return { directory: (deviceId) => labels.has(Buffer.from(deviceId).toString('hex')), labels };
}
