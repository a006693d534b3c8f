// The scale simulator's chips, held as columns of typed arrays rather than an object per chip. A
// million chips as objects (a site, four small byte arrays each) filled about 1.1 GB of the heap
// of the thread that also runs the verifier, and every young-generation collection there paid for
// it: scavenging took ~63 µs a check-in at 1 M chips against ~40 at 100,000 (node --trace-gc).
// As columns the fleet is a few flat buffers outside the heap that no collection walks, and, being
// shared memory, the receipt source's thread (check-in-source.ts) reads them without a copy.

import type { KeyObject } from 'node:crypto';
import { deviceIdOf } from '../landmark/landmark-core.js';
import { keyIdOfRaw } from '../protocol/wire.js';
import type { Site } from './latency-model.js';

const KEY = 32;
const DEVICE_ID = 32;
const KEY_ID = 8;

/** A fleet's columns, to hand to another thread (the typed arrays share their memory). */
export interface FleetColumns {
  readonly size: number;
  readonly perChip: number;
  readonly filled: number;
  readonly keys: Uint8Array;
  readonly deviceIds: Uint8Array;
  readonly keyIds: Uint8Array;
  readonly lats: Float64Array;
  readonly lons: Float64Array;
  readonly nearest: Uint16Array;
  readonly privateKeys: KeyObject[] | undefined;
}

const shared = (bytes: number) => new SharedArrayBuffer(bytes);

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
    columns?: FleetColumns,
  ) {
    this.keys = columns?.keys ?? new Uint8Array(shared(size * KEY));
    this.deviceIds = columns?.deviceIds ?? new Uint8Array(shared(size * DEVICE_ID));
    this.keyIds = columns?.keyIds ?? new Uint8Array(shared(size * KEY_ID));
    this.lats = columns?.lats ?? new Float64Array(shared(size * 8));
    this.lons = columns?.lons ?? new Float64Array(shared(size * 8));
    this.nearest = columns?.nearest ?? new Uint16Array(shared(size * perChip * 2));
    this.privateKeys = columns?.privateKeys ?? (signing ? [] : undefined);
    this.filled = columns?.filled ?? 0;
  }

  /** The same fleet over columns another thread handed over. */
  static fromColumns(c: FleetColumns): ScaleFleet {
    return new ScaleFleet(c.size, c.perChip, c.privateKeys !== undefined, c);
  }

  /** The columns, for another thread: posted, the typed arrays share memory; the private keys (signing fleets only) are cloned. */
  columns(): FleetColumns {
    return {
      size: this.size,
      perChip: this.perChip,
      filled: this.filled,
      keys: this.keys,
      deviceIds: this.deviceIds,
      keyIds: this.keyIds,
      lats: this.lats,
      lons: this.lons,
      nearest: this.nearest,
      privateKeys: this.privateKeys,
    };
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
