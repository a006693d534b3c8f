// The demo world: landmarks in real data-centre cities, chips under realistic licences, and the
// network between them. Two halves:
//   - buildDemoWorld / registerDemoWorld: which landmarks, licences and chips exist (pure data,
//     keys derived from one secret so a restart finds the same world in the database);
//   - DemoNetwork: real LandmarkServers on loopback UDP and one process's worth of agents that
//     check in on a schedule, each datagram held back by the one-way delay the latency model draws
//     for its (chip position, landmark) path. Scenarios (scenarios.ts) move chips, put them behind
//     relays, clone identities, make a landmark lie and silence a chip through its methods.
//
// Where a chip can be proven inside: over Node's loopback a check-in round costs ~0.1 ms even with
// no delay added (a UDP echo ~0.035 ms plus the agent's Ed25519 signature ~0.07 ms, measured on
// this machine), so the best proof here reaches ~15 km. That proves a chip inside China, Malaysia
// (Kuala Lumpur, Cyberjaya), the Gulf, Europe, Japan or India from a landmark on its campus, but not
// inside Singapore, whose centre is 12.7 km from Johor (with the 5 km border margin a proof must
// reach under 7.7 km, i.e. ~0.05 ms). The demo's Singapore chips are therefore honestly
// `unverified`, under the default grace of 6 h, and docs/demo.md says so.

import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentIdentity, AgentSession, type LandmarkContact } from '../agent/agent-session.js';
import { publicKeyToRaw } from '../attest/software-identity.js';
import { GeoattestError } from '../errors.js';
import type { Atlas } from '../geo/atlas.js';
import { destination, distanceKm } from '../geo/sphere.js';
import { deviceIdOf, landmarkIdBytes } from '../landmark/landmark-core.js';
import { LandmarkServer } from '../landmark/landmark-server.js';
import { destinationClaims } from '../ledger/licence.js';
import { decideForDestinations } from '../ledger/licence-verdict.js';
import { effectivePolicy, type Policy } from '../ledger/policy.js';
import { encodeReceipt, keyIdOfRaw, type Receipt, signReceipt } from '../protocol/wire.js';
import { DATACENTRE_CITIES } from './datacentre-cities.js';
import { oneWayDelayMs, type Path, type Site, samplePath } from './latency-model.js';
import { seededRandom } from './random.js';
import { DelayRelay } from './udp-relay.js';

/** A landmark site: an id of at most 16 ASCII characters and a data-centre city. */
export interface DemoLandmark {
  readonly id: string;
  readonly city: string;
  readonly country: string;
  readonly site: Site;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyBase64: string;
}

/** How closely a licence's chips are watched: transshipment hubs check in more often. */
export type PolicyTier = 'watch' | 'standard' | 'lenient';

export interface DemoLicence {
  readonly id: string;
  readonly endUserId: string;
  readonly endUserName: string;
  readonly country: string;
  readonly models: readonly string[];
  readonly quantity: number;
  readonly tier: PolicyTier;
  readonly revenueSharePct: number;
}

export interface DemoChip {
  readonly id: string;
  readonly model: string;
  readonly licenceId: string;
  readonly city: string;
  /** Where it stands when honest: on the campus of its city's landmark (within 2 km). */
  readonly home: Site;
  readonly privateKey: KeyObject;
  readonly raw: Uint8Array;
  readonly publicKeyBase64: string;
  /** Landmarks it checks in with: the nearest few (those in reach of its region). */
  readonly landmarks: readonly string[];
}

export interface DemoWorld {
  readonly exporterId: string;
  readonly operatorId: string;
  readonly landmarks: readonly DemoLandmark[];
  readonly licences: readonly DemoLicence[];
  readonly chips: readonly DemoChip[];
}

/** Landmark cities: one landmark in the metro of every licensed data-centre city, and hubs. */
export const DEMO_LANDMARK_CITIES: readonly { code: string; city: string }[] = [
  ['SIN', 'Singapore'],
  ['KUL', 'Kuala Lumpur'],
  ['CYB', 'Cyberjaya'],
  ['JHB', 'Johor Bahru'],
  ['CGK', 'Jakarta'],
  ['HKG', 'Hong Kong'],
  ['SZX', 'Shenzhen'],
  ['CAN', 'Guangzhou'],
  ['SHA', 'Shanghai'],
  ['HGH', 'Hangzhou'],
  ['PEK', 'Beijing'],
  ['CTU', 'Chengdu'],
  ['TYO', 'Tokyo'],
  ['SEL', 'Seoul'],
  ['TPE', 'Taipei'],
  ['BOM', 'Mumbai'],
  ['DXB', 'Dubai'],
  ['AUH', 'Abu Dhabi'],
  ['RUH', 'Riyadh'],
  ['DOH', 'Doha'],
  ['FRA', 'Frankfurt'],
  ['AMS', 'Amsterdam'],
  ['LON', 'London'],
  ['PAR', 'Paris'],
  ['IAD', 'Ashburn'],
  ['DFW', 'Dallas'],
  ['SJC', 'San Jose'],
  ['GRU', 'São Paulo'],
  ['SYD', 'Sydney'],
  ['BKK', 'Bangkok'],
].map(([code, city]) => ({ code, city }));

/** Licensed deployments: city code, end user, models, tier, and chips in the full demo. */
interface Deployment {
  readonly code: string;
  readonly endUser: string;
  readonly models: readonly string[];
  readonly tier: PolicyTier;
  readonly chips: number;
}

const DEPLOYMENTS: readonly Deployment[] = [
  // H20s for end users in China (the licences that carry a 15 % revenue share).
  { code: 'PEK', endUser: 'Beijing AI Cloud', models: ['H20'], tier: 'standard', chips: 32 },
  { code: 'SHA', endUser: 'Shanghai Compute', models: ['H20'], tier: 'standard', chips: 32 },
  { code: 'HGH', endUser: 'Hangzhou Model Lab', models: ['H20'], tier: 'standard', chips: 24 },
  { code: 'CTU', endUser: 'Chengdu Inference', models: ['H20'], tier: 'standard', chips: 16 },
  // Transshipment hubs: watched closely.
  { code: 'KUL', endUser: 'KL Hyperscale', models: ['H100', 'B200'], tier: 'watch', chips: 24 },
  { code: 'CYB', endUser: 'Cyberjaya GPU Park', models: ['H100'], tier: 'watch', chips: 16 },
  // Singapore cannot be proven inside over loopback (see the top of this file): default grace.
  { code: 'SIN', endUser: 'Lion City AI', models: ['H100', 'B200'], tier: 'lenient', chips: 8 },
  // The Gulf, Europe, Japan, India.
  { code: 'DXB', endUser: 'Gulf AI Cloud', models: ['H100', 'B200'], tier: 'standard', chips: 16 },
  { code: 'AUH', endUser: 'Abu Dhabi Sovereign AI', models: ['B200'], tier: 'standard', chips: 16 },
  { code: 'RUH', endUser: 'Riyadh Compute', models: ['H100'], tier: 'standard', chips: 12 },
  { code: 'FRA', endUser: 'Rhein Rechenzentrum', models: ['H100', 'B200'], tier: 'standard', chips: 16 },
  { code: 'LON', endUser: 'Thames Compute', models: ['H100'], tier: 'standard', chips: 12 },
  { code: 'PAR', endUser: 'Seine IA', models: ['H100'], tier: 'standard', chips: 8 },
  { code: 'TYO', endUser: 'Kanto GPU Cloud', models: ['H100', 'B200'], tier: 'standard', chips: 12 },
  { code: 'BOM', endUser: 'Mumbai Compute', models: ['H100'], tier: 'standard', chips: 8 },
];

export interface DemoWorldSpec {
  /** 32+ bytes from which every key is derived: the same secret gives the same world. */
  readonly secret: Uint8Array;
  /** Scales the chips per deployment (1 = the full demo, ~250 chips); at least one each. */
  readonly chipScale?: number;
  /** Landmarks each chip checks in with (its nearest; default 5). */
  readonly perChip?: number;
}

/** An Ed25519 key from a 32-byte seed: the PKCS#8 prefix of RFC 8410 §7 and the seed. */
function keyFromSeed(seed: Uint8Array): KeyObject {
  const prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
}

export function derivedKey(secret: Uint8Array, label: string): { privateKey: KeyObject; raw: Uint8Array } {
  const seed = createHmac('sha256', secret).update(`geoattest-demo/${label}`).digest();
  const privateKey = keyFromSeed(seed);
  return { privateKey, raw: publicKeyToRaw(createPublicKey(privateKey)) };
}

const cityByName = (name: string) => {
  const c = DATACENTRE_CITIES.find((x) => x.name === name);
  if (c === undefined) throw new GeoattestError('INVALID_REQUEST', `no data-centre city ${name}`);
  return c;
};

export function buildDemoWorld(spec: DemoWorldSpec): DemoWorld {
  const rng = seededRandom(2026);
  const landmarks: DemoLandmark[] = DEMO_LANDMARK_CITIES.map(({ code, city }) => {
    const c = cityByName(city);
    const id = `LM-${code}`;
    const k = derivedKey(spec.secret, `landmark/${id}`);
    return {
      id,
      city,
      country: c.country,
      site: { lat: c.lat, lon: c.lon },
      privateKey: k.privateKey,
      publicKey: createPublicKey(k.privateKey),
      publicKeyBase64: Buffer.from(k.raw).toString('base64'),
    };
  });
  const byCode = new Map(landmarks.map((l) => [l.id.slice(3), l]));
  const perChip = spec.perChip ?? 5;
  const licences: DemoLicence[] = [];
  const chips: DemoChip[] = [];
  for (const d of DEPLOYMENTS) {
    const lm = byCode.get(d.code)!;
    const n = Math.max(1, Math.round(d.chips * (spec.chipScale ?? 1)));
    const licenceId = `L-${lm.country}-${d.code}-2026`;
    licences.push({
      id: licenceId,
      endUserId: `eu-${d.code.toLowerCase()}`,
      endUserName: d.endUser,
      country: lm.country,
      models: d.models,
      // Room for the scenario chips and a few more.
      quantity: n + 8,
      tier: d.tier,
      revenueSharePct: lm.country === 'CN' ? 15 : 0,
    });
    const nearest = [...landmarks]
      .sort((a, b) => distanceKm(a.site, lm.site) - distanceKm(b.site, lm.site))
      .slice(0, perChip)
      .map((l) => l.id);
    for (let i = 0; i < n; i++) {
      const model = d.models[i % d.models.length];
      const id = `${model}-${d.code}-${String(i + 1).padStart(3, '0')}`;
      const k = derivedKey(spec.secret, `chip/${id}`);
      // On the landmark's campus: within 2 km, so the round trip to it stays sub-millisecond.
      const p = destination(lm.site, rng() * 360, 0.2 + rng() * 1.8);
      chips.push({
        id,
        model,
        licenceId,
        city: lm.city,
        home: { lat: p.lat, lon: p.lon },
        privateKey: k.privateKey,
        raw: k.raw,
        publicKeyBase64: Buffer.from(k.raw).toString('base64'),
        landmarks: nearest,
      });
    }
  }
  return { exporterId: 'exp-nv', operatorId: 'lm-ops', landmarks, licences, chips };
}

/**
 * Decides one verdict per licensed country before the network starts: the map and each country's
 * search structures are built on first use, synchronously, and a stall of a second or two in the
 * middle of check-ins would outlive the landmarks' nonces (2 s) and fail honest sessions.
 */
export function warmVerdicts(world: DemoWorld, atlas: Atlas): void {
  const policy = effectivePolicy({});
  for (const l of world.licences) {
    const lm = world.landmarks.find((x) => x.country === l.country) ?? world.landmarks[0];
    decideForDestinations(
      destinationClaims([{ country: l.country }]),
      [{ id: lm.id, lat: lm.site.lat, lon: lm.site.lon }],
      [{ landmark: lm.id, rttMs: 0.2, trustMode: 'software' }],
      policy,
      atlas,
    );
  }
}

/** The timings the world's licence policies are made of (minutes in the demo, seconds in tests). */
export interface TierTimings {
  readonly watchCheckInMs: number;
  readonly standardCheckInMs: number;
  /** Grace before `unverified` is an alert, for watched and standard licences. */
  readonly graceMs: number;
  readonly evidenceWindowMs: number;
}

/** The licence policy of a tier: a missed check-in is 2.5 intervals without a receipt. */
export function tierPolicy(tier: PolicyTier, t: TierTimings): Partial<Policy> {
  if (tier === 'lenient')
    return { checkInIntervalMs: t.standardCheckInMs, evidenceWindowMs: t.evidenceWindowMs };
  const every = tier === 'watch' ? t.watchCheckInMs : t.standardCheckInMs;
  return {
    checkInIntervalMs: every,
    missedCheckInAfterMs: Math.round(2.5 * every),
    // Never less than two check-ins and a bit: one check-in measured while the host was too busy
    // to answer fast proves less (unverified) and is not yet worth an alert.
    unverifiedGraceMs: Math.max(t.graceMs, Math.round(2.2 * every)),
    evidenceWindowMs: t.evidenceWindowMs,
  };
}

/** Each chip's agent interval: its licence's check-in policy. */
export function intervalByLicence(world: DemoWorld, t: TierTimings): (chip: DemoChip) => number {
  const tiers = new Map(world.licences.map((l) => [l.id, l.tier]));
  return (chip) => (tiers.get(chip.licenceId) === 'watch' ? t.watchCheckInMs : t.standardCheckInMs);
}

/** The ledger calls registration needs (LedgerStore has them). */
export interface DemoLedger {
  addOrg(body: unknown, actor: string, now: number): Promise<unknown>;
  addLandmark(body: unknown, actor: string, now: number): Promise<unknown>;
  addLicence(body: unknown, actor: string, now: number): Promise<unknown>;
  importChips(
    licenceId: string,
    chips: readonly { id: string; model: string; publicKey: string }[],
    actor: string,
    now: number,
  ): Promise<number>;
  listLandmarks(): Promise<readonly { id: string; publicKey: string }[]>;
}

/**
 * Registers the world unless it is there already (a restart reuses it). A database holding other
 * keys for the demo's landmarks was made from another secret: refused, not overwritten.
 */
export async function registerDemoWorld(
  ledger: DemoLedger,
  world: DemoWorld,
  timings: TierTimings,
  now: number,
): Promise<'registered' | 'reused'> {
  const existing = new Map((await ledger.listLandmarks()).map((l) => [l.id, l.publicKey]));
  const first = world.landmarks[0];
  if (existing.has(first.id)) {
    if (existing.get(first.id) !== first.publicKeyBase64)
      throw new GeoattestError(
        'DEMO_WORLD_MISMATCH',
        `this database holds a demo world made from another secret (landmark ${first.id}); remove it or use another --db`,
      );
    return 'reused';
  }
  const actor = 'geoattest demo';
  const DAY = 86_400_000;
  await ledger.addOrg(
    { id: world.exporterId, name: 'Accelerator Exporter Inc.', kind: 'exporter' },
    actor,
    now,
  );
  await ledger.addOrg(
    { id: world.operatorId, name: 'Independent Landmark Operators', kind: 'landmark-operator' },
    actor,
    now,
  );
  for (const l of world.landmarks)
    await ledger.addLandmark(
      {
        id: l.id,
        operatorId: world.operatorId,
        lat: l.site.lat,
        lon: l.site.lon,
        publicKey: l.publicKeyBase64,
      },
      actor,
      now,
    );
  for (const l of world.licences) {
    await ledger.addOrg({ id: l.endUserId, name: l.endUserName, kind: 'end-user' }, actor, now);
    await ledger.addLicence(
      {
        id: l.id,
        exporterId: world.exporterId,
        endUserId: l.endUserId,
        destinations: [{ country: l.country }],
        models: l.models,
        quantity: l.quantity,
        validFrom: now - 30 * DAY,
        validTo: now + 2 * 365 * DAY,
        endUse: 'AI training and inference in the named data centre',
        revenueSharePct: l.revenueSharePct,
        policy: tierPolicy(l.tier, timings),
      },
      actor,
      now,
    );
    const chips = world.chips
      .filter((c) => c.licenceId === l.id)
      .map((c) => ({ id: c.id, model: c.model, publicKey: c.publicKeyBase64 }));
    await ledger.importChips(l.id, chips, actor, now);
  }
  return 'registered';
}

// ---------------------------------------------------------------------------------------------
// The network.

/**
 * One-way delays below this are left to the loopback itself, which already costs ~0.05 ms each
 * way plus the agent's signature: Node's timers cannot wait less than a millisecond. Only pairs on
 * one campus (≤ ~5 km over metro fibre) are that close, and for them the loopback's cost is above
 * the vacuum floor (2 × 5 km / c = 0.033 ms), so no measurement is ever faster than light.
 */
export const LOOPBACK_ONE_WAY_MS = 0.05;

/** Where a chip answers from, and how its datagrams get there. */
interface Placement {
  readonly site: Site;
  /** The landmarks it checks in with from there. */
  readonly landmarks: readonly string[];
  /** A relay the chip's traffic goes through: its site (the relay forwards to every landmark). */
  readonly relay?: Site;
}

/** The `k` landmarks nearest a site: those an agent there would find in reach. */
export function nearestLandmarks(world: DemoWorld, site: Site, k: number): string[] {
  return [...world.landmarks]
    .sort((a, b) => distanceKm(a.site, site) - distanceKm(b.site, site))
    .slice(0, k)
    .map((l) => l.id);
}

export type ReceiptSink = (landmarkId: string, receipts: readonly string[]) => Promise<void>;

export interface DemoNetworkOptions {
  readonly world: DemoWorld;
  /** Check-in interval per chip, in ms. */
  readonly intervalOf: (chip: DemoChip) => number;
  /** Receipts are handed on in batches, per landmark. */
  readonly sink: ReceiptSink;
  /** Directory for the landmarks' append-only receipt logs. */
  readonly dataDir: string;
  readonly seed?: number;
  /** How long after start the first check-ins are spread over (default: each chip's interval). */
  readonly firstSpreadMs?: number;
  readonly log?: (line: string) => void;
}

interface Liar {
  readonly factor: number;
  readonly targets: ReadonlySet<string>;
}

export interface NetworkStats {
  checkIns: number;
  sessionsFailed: number;
  /** Failed sessions by landmark, for diagnosis. */
  readonly failedAt: Map<string, number>;
  receipts: number;
  lies: number;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A receipt re-signed by its own landmark with every round's RTT scaled by `factor` (< 1: a lie). */
export function forgeFasterReceipt(r: Receipt, landmarkKey: KeyObject, factor: number): Uint8Array {
  // Scaling every round keeps the same round the fastest, so the device's signature over the
  // decisive round's nonce stays valid: only the landmark's own word is false.
  const rounds = r.rounds.map((x) => ({
    nonce: x.nonce,
    rttNs: BigInt(Math.max(1, Math.round(Number(x.rttNs) * factor))),
  }));
  return encodeReceipt(
    signReceipt(landmarkKey, {
      trustMode: r.trustMode,
      deviceId: r.deviceId,
      keyId: r.keyId,
      landmarkId: r.landmarkId,
      wallClockMs: r.wallClockMs,
      overheadNs: r.overheadNs,
      rounds,
      decisiveRound: r.decisiveRound,
      deviceSignature: r.deviceSignature,
    }),
  );
}

export class DemoNetwork {
  readonly stats: NetworkStats = {
    checkIns: 0,
    sessionsFailed: 0,
    failedAt: new Map(),
    receipts: 0,
    lies: 0,
  };
  private readonly servers = new Map<string, LandmarkServer>();
  private readonly ports = new Map<string, number>();
  private readonly landmarks: Map<string, DemoLandmark>;
  private readonly chips: Map<string, DemoChip>;
  private readonly keysByDevice = new Map<string, KeyObject>();
  private readonly placements = new Map<string, Placement>();
  /** Extra devices holding a chip's key (clones), each with its own place and landmarks. */
  private readonly clones = new Map<string, { site: Site; landmarks: readonly string[] }>();
  private readonly stopped = new Set<string>();
  private readonly offlineUntil = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly paths = new Map<string, Path>();
  private readonly relays = new Map<string, { relay: DelayRelay; port: number }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pending = new Map<string, string[]>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private liars = new Map<string, Liar>();
  private readonly rng: () => number;
  private closed = false;

  constructor(private readonly o: DemoNetworkOptions) {
    this.rng = seededRandom(o.seed ?? 7);
    this.landmarks = new Map(o.world.landmarks.map((l) => [l.id, l]));
    this.chips = new Map(o.world.chips.map((c) => [c.id, c]));
    for (const c of o.world.chips) {
      this.keysByDevice.set(hexOf(deviceIdOf(c.raw)), createPublicKey(c.privateKey));
      this.placements.set(c.id, { site: c.home, landmarks: c.landmarks });
    }
  }

  /** Starts every landmark on 127.0.0.1 and schedules every chip's first check-in. */
  async start(): Promise<void> {
    mkdirSync(this.o.dataDir, { recursive: true });
    for (const l of this.o.world.landmarks) {
      const server = new LandmarkServer({
        id: l.id,
        host: '127.0.0.1',
        port: 0,
        privateKey: l.privateKey,
        devices: (deviceId) => this.keysByDevice.get(hexOf(deviceId)),
        logPath: join(this.o.dataDir, `${l.id}.receipts`),
        // The most rounds the protocol allows: the fastest of 8 is less often one that waited
        // behind other work on this shared event loop.
        rounds: 8,
        // Every agent here shares one loopback address, standing for hundreds of hosts: the
        // per-source limits that protect a public landmark would throttle the whole fleet.
        perSourcePerSecond: 100_000,
        maxSessionsPerSource: 5000,
        onReceipt: (value, bytes) => this.received(l, value, bytes),
      });
      this.ports.set(l.id, await server.start());
      this.servers.set(l.id, server);
    }
    for (const c of this.o.world.chips) {
      const every = this.o.intervalOf(c);
      this.schedule(c.id, this.rng() * (this.o.firstSpreadMs ?? every));
    }
    this.flushTimer = setInterval(() => void this.flush(), 250);
  }

  /**
   * The chip now answers from `site`, checking in with `landmarks` (an agent finds those nearest
   * where it is); through a relay at `relay` when given, which forwards every datagram.
   */
  moveChip(chipId: string, site: Site, landmarks: readonly string[], relay?: Site, transitMs = 0): void {
    this.requireChip(chipId);
    this.requireLandmarks(landmarks);
    this.placements.set(chipId, relay === undefined ? { site, landmarks } : { site, landmarks, relay });
    // A chip in transit answers nobody: its old and new places never share a verdict's window.
    this.offlineUntil.set(chipId, Date.now() + transitMs);
  }

  /** A second device with this chip's key answers from `site`, to its own nearest landmarks. */
  cloneChip(chipId: string, site: Site, landmarks: readonly string[]): void {
    this.requireChip(chipId);
    this.requireLandmarks(landmarks);
    this.clones.set(chipId, { site, landmarks });
  }

  /** Checks the chip in now (an agent checks in when its host boots, e.g. after a move). */
  checkInNow(chipId: string): Promise<void> {
    this.offlineUntil.delete(chipId);
    const run = this.checkInChip(this.requireChip(chipId)).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
    return run;
  }

  private requireLandmarks(ids: readonly string[]): void {
    for (const id of ids)
      if (!this.landmarks.has(id))
        throw new GeoattestError('INVALID_REQUEST', `no landmark ${id} in the demo world`);
  }

  /** The chip's agent stops checking in (powered off, unplugged, or its agent removed). */
  silenceChip(chipId: string): void {
    this.requireChip(chipId);
    this.stopped.add(chipId);
    clearTimeout(this.timers.get(chipId));
  }

  /** The landmark reports `factor` × the measured RTTs for these chips, re-signed with its key. */
  makeLiar(landmarkId: string, factor: number, chipIds: readonly string[]): void {
    if (!this.landmarks.has(landmarkId))
      throw new GeoattestError('INVALID_REQUEST', `no landmark ${landmarkId} in the demo world`);
    const ids = new Set(chipIds.map((id) => hexOf(deviceIdOf(this.requireChip(id).raw))));
    this.liars.set(landmarkId, { factor, targets: ids });
  }

  private requireChip(id: string): DemoChip {
    const c = this.chips.get(id);
    if (c === undefined) throw new GeoattestError('INVALID_REQUEST', `no chip ${id} in the demo world`);
    return c;
  }

  private schedule(chipId: string, inMs: number): void {
    if (this.closed || this.stopped.has(chipId)) return;
    const t = setTimeout(() => {
      const chip = this.chips.get(chipId)!;
      const run = this.checkInChip(chip).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
      // ±10 % so check-ins do not fall into lockstep, as a real agent's --interval does.
      this.schedule(chipId, this.o.intervalOf(chip) * (0.9 + 0.2 * this.rng()));
    }, inMs);
    t.unref?.();
    this.timers.set(chipId, t);
  }

  /** One check-in: every landmark of the chip at once, and its clone's, if it has one. */
  async checkInChip(chip: DemoChip): Promise<void> {
    if (Date.now() < (this.offlineUntil.get(chip.id) ?? 0)) return;
    this.stats.checkIns++;
    const placement = this.placements.get(chip.id)!;
    const me = this.identity(chip);
    const sessions = placement.landmarks.map((id) => this.session(chip.id, me, id, placement));
    const clone = this.clones.get(chip.id);
    if (clone !== undefined)
      sessions.push(
        ...clone.landmarks.map((id) =>
          this.session(`${chip.id}#clone`, me, id, { site: clone.site, landmarks: clone.landmarks }),
        ),
      );
    await Promise.all(sessions);
  }

  private identity(chip: DemoChip): AgentIdentity {
    return {
      deviceId: deviceIdOf(chip.raw),
      keyId: keyIdOfRaw(chip.raw),
      trustMode: 'software',
      privateKey: chip.privateKey,
    };
  }

  /** The path from `site` to `to`, drawn once per pair (a route does not change between pings). */
  private path(who: string, site: Site, to: Site): Path {
    const key = `${who}|${site.lat.toFixed(4)},${site.lon.toFixed(4)}|${to.lat.toFixed(4)},${to.lon.toFixed(4)}`;
    let p = this.paths.get(key);
    if (p === undefined) {
      p = samplePath(site, to, this.rng);
      this.paths.set(key, p);
    }
    return p;
  }

  /** The relay at `site` in front of landmark `id`: a real UDP hop that adds the relay→landmark delay. */
  private async relayFor(site: Site, id: string): Promise<number> {
    const key = `${site.lat},${site.lon}|${id}`;
    const have = this.relays.get(key);
    if (have !== undefined) return have.port;
    const l = this.landmarks.get(id)!;
    const p = this.path('relay', site, l.site);
    const relay = new DelayRelay({
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: '127.0.0.1', port: this.ports.get(id)! },
      upMs: p.oneWayBaseMs,
      downMs: p.oneWayBaseMs,
      jitterMs: p.jitterMeanRttMs / 2,
      random: this.rng,
    });
    const port = await relay.start();
    this.relays.set(key, { relay, port });
    return port;
  }

  private async session(who: string, me: AgentIdentity, landmarkId: string, at: Placement): Promise<void> {
    const l = this.landmarks.get(landmarkId)!;
    // The first leg: to the landmark itself, or to the relay that forwards to it.
    const first = this.path(who, at.site, at.relay ?? l.site);
    const port =
      at.relay === undefined ? this.ports.get(landmarkId)! : await this.relayFor(at.relay, landmarkId);
    const contact: LandmarkContact = {
      id: l.id,
      host: '127.0.0.1',
      port,
      landmarkId: landmarkIdBytes(l.id),
      publicKey: l.publicKey,
    };
    // A metro landmark's whole session lasts about a millisecond, so one pause of this process's
    // event loop (a verdict batch, a database commit, a collection) can slow every one of its
    // rounds and lose a proof of inside. Three sessions 150 ms apart ride it out: the verdict keeps
    // the smallest RTT per landmark, and a retry can only measure the same path again.
    const repeats = first.link === 'direct' && at.relay === undefined ? 3 : 1;
    let ok = false;
    for (let i = 0; i < repeats; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 150));
      ok = (await delayedCheckIn(me, contact, () => oneWayDelayMs(first, this.rng), 5000)) || ok;
    }
    if (!ok) {
      this.stats.sessionsFailed++;
      this.stats.failedAt.set(
        `${who}@${landmarkId}`,
        (this.stats.failedAt.get(`${who}@${landmarkId}`) ?? 0) + 1,
      );
    }
  }

  private received(l: DemoLandmark, value: Receipt, bytes: Uint8Array): void {
    this.stats.receipts++;
    let out = bytes;
    const liar = this.liars.get(l.id);
    if (liar?.targets.has(hexOf(value.deviceId))) {
      out = forgeFasterReceipt(value, l.privateKey, liar.factor);
      this.stats.lies++;
    }
    const q = this.pending.get(l.id) ?? [];
    q.push(Buffer.from(out).toString('base64'));
    this.pending.set(l.id, q);
  }

  /** Hands queued receipts on, one batch per landmark (as each landmark's submitter would). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batches = [...this.pending.entries()];
      this.pending.clear();
      for (const [id, receipts] of batches) {
        try {
          await this.o.sink(id, receipts);
        } catch (e) {
          this.o.log?.(`receipts of ${id} not handed on: ${(e as Error).message}`);
        }
      }
    });
    return this.flushing;
  }

  /** Datagrams the landmarks dropped, by landmark and code (diagnosis). */
  dropped(): Record<string, Record<string, number>> {
    return Object.fromEntries(
      [...this.servers]
        .filter(([, s]) => s.dropped.size > 0)
        .map(([id, s]) => [id, Object.fromEntries(s.dropped)]),
    );
  }

  /** Stops scheduling, waits for check-ins in flight, hands on the last receipts, closes sockets. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    clearInterval(this.flushTimer);
    await Promise.allSettled([...this.inFlight]);
    for (const { relay } of this.relays.values()) relay.close();
    await Promise.all([...this.servers.values()].map((s) => s.close()));
    // A landmark hands a receipt on only after its log write settles: let those callbacks run.
    await new Promise((r) => setTimeout(r, 50));
    await this.flush();
  }
}

/**
 * One check-in with one landmark over a fresh UDP socket, each datagram held back by a one-way
 * delay drawn per packet: the agent's transport with the network's latency injected (the kernel
 * here has no netem). Resolves true with a receipt, false on timeout.
 */
export function delayedCheckIn(
  me: AgentIdentity,
  landmark: LandmarkContact,
  oneWayMs: () => number,
  timeoutMs: number,
): Promise<boolean> {
  const session = new AgentSession(me, landmark);
  const socket = createSocket('udp4');
  const later = (fn: () => void) => {
    const ms = oneWayMs() - LOOPBACK_ONE_WAY_MS;
    if (ms <= 0) return fn();
    // Node's timers count whole milliseconds from the loop's cached clock, so one can fire a
    // millisecond or more before the delay asked for; a held-back datagram let go early would make
    // a round trip shorter than its path, even faster than light. So re-arm until the monotonic
    // clock says it is due: injected delays only ever add.
    const due = performance.now() + ms;
    const tick = () => {
      const left = due - performance.now();
      if (left <= 0) fn();
      else setTimeout(tick, Math.ceil(left));
    };
    setTimeout(tick, Math.ceil(ms));
  };
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const send = (bytes: Uint8Array) =>
      later(() => {
        if (!done) socket.send(bytes, landmark.port, landmark.host);
      });
    socket.on('error', () => finish(false));
    socket.on('message', (msg, from) =>
      later(() => {
        if (done) return;
        const step = session.handle(msg, from);
        if (step.reply) send(step.reply);
        if (step.receipt) finish(true);
      }),
    );
    send(session.hello().reply!);
  });
}
