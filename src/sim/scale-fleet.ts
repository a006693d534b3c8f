// The scale simulator's chips, held as columns of typed arrays rather than an object per chip. A
// million chips as objects (a site, four small byte arrays each) filled about 1.1 GB of the heap
// of the thread that also runs the verifier, and every young-generation collection there paid for
// it: scavenging took ~63 µs a check-in at 1 M chips against ~40 at 100,000 (node --trace-gc).
// As columns the fleet is a few flat buffers outside the heap that no collection walks.

import type { KeyObject } from 'node:crypto';
import { deviceIdOf } from '../landmark/landmark-core.js';
import { keyIdOfRaw } from '../protocol/wire.js';
import type { Site } from './latency-model.js';

const KEY = 32;
const DEVICE_ID = 32;
const KEY_ID = 8;

export class ScaleFleet {
  private readonly keys: Uint8Array;
  private readonly deviceIds: Uint8Array;
  private readonly keyIds: Uint8Array;
  private readonly lats: Float64Array;
  private readonly lons: Float64Array;
  private readonly nearest: Uint16Array;
  private readonly privateKeys: KeyObject[] | undefined;
  private filled = 0;

  /** Room for `size` chips checking in with `perChip` landmarks each; `signing` keeps private keys. */
  constructor(
    readonly size: number,
    readonly perChip: number,
    signing: boolean,
  ) {
    this.keys = new Uint8Array(size * KEY);
    this.deviceIds = new Uint8Array(size * DEVICE_ID);
    this.keyIds = new Uint8Array(size * KEY_ID);
    this.lats = new Float64Array(size);
    this.lons = new Float64Array(size);
    this.nearest = new Uint16Array(size * perChip);
    this.privateKeys = signing ? [] : undefined;
  }

  get length(): number {
    return this.filled;
  }

  /** Adds the next chip: at `site`, with key pair `k`, checking in with landmarks `nearest`. */
  add(site: Site, nearest: readonly number[], k: { privateKey: KeyObject; raw: Uint8Array }): void {
    const i = this.filled;
    if (i >= this.size) throw new RangeError('the fleet is full');
    if (nearest.length !== this.perChip) throw new RangeError(`a chip needs ${this.perChip} landmarks`);
    this.keys.set(k.raw, i * KEY);
    this.deviceIds.set(deviceIdOf(k.raw), i * DEVICE_ID);
    this.keyIds.set(keyIdOfRaw(k.raw), i * KEY_ID);
    this.lats[i] = site.lat;
    this.lons[i] = site.lon;
    this.nearest.set(nearest, i * this.perChip);
    this.privateKeys?.push(k.privateKey);
    this.filled++;
  }

  /** The ledger id of chip `i` (0-based): SIM-GPU-00000001 for the first. */
  id(i: number): string {
    return `SIM-GPU-${String(i + 1).padStart(8, '0')}`;
  }

  /** Views into the columns: valid as long as the fleet, copied by whoever keeps them. */
  raw(i: number): Uint8Array {
    return this.keys.subarray(i * KEY, (i + 1) * KEY);
  }

  deviceId(i: number): Uint8Array {
    return this.deviceIds.subarray(i * DEVICE_ID, (i + 1) * DEVICE_ID);
  }

  keyId(i: number): Uint8Array {
    return this.keyIds.subarray(i * KEY_ID, (i + 1) * KEY_ID);
  }

  landmarks(i: number): Uint16Array {
    return this.nearest.subarray(i * this.perChip, (i + 1) * this.perChip);
  }

  site(i: number): Site {
    return { lat: this.lats[i], lon: this.lons[i] };
  }

  /** The chip's private key; undefined in a fleet made without signing. */
  privateKey(i: number): KeyObject | undefined {
    return this.privateKeys?.[i];
  }
}
