// The verdict: from landmarks, their round-trip times and a claim to `inside`, `outside`,
// `unverified` or `inconsistent`, with the bound, policy and reasons it rests on.
//
// Soundness: each landmark's cap holds the chip whatever an adversary does within the bound (a
// reply cannot outrun the signal). `inside` is said only when no point of the caps' intersection
// can be a possible place outside the claim; `outside` only when none can be inside it.

import type { TrustMode } from '../protocol/message-types.js';
import type { Atlas } from './atlas.js';
import { type BoundName, PROPAGATION_BOUNDS, rttToMaxDistanceKm } from './bounds.js';
import { type Claim, circleTest, countryTest, describeClaim, geofenceTest, type PlaceTest } from './claim.js';
import { type Cap, DEFAULT_SEARCH, makeCap, type SearchOptions, searchFeasible } from './feasible.js';
import { angleBetween, EARTH_RADIUS_KM, SPHERE_DISTANCE_SLACK } from './sphere.js';
import { WHERE_POLICIES, type WherePolicy } from './where.js';

export type VerdictKind = 'inside' | 'outside' | 'unverified' | 'inconsistent';

export interface Landmark {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
}

export interface Measurement {
  readonly landmark: string;
  readonly rttMs: number;
  /** Where the signature that closed the round trip came from (default 'software'). */
  readonly trustMode?: TrustMode;
}

export interface VerdictQuestion {
  readonly claim: Claim;
  readonly landmarks: readonly Landmark[];
  readonly measurements: readonly Measurement[];
  readonly bound: BoundName;
  readonly where: WherePolicy;
  readonly marginKm: number;
}

export interface Verdict {
  readonly verdict: VerdictKind;
  readonly bound: BoundName;
  readonly where: WherePolicy;
  readonly marginKm: number;
  /** Landmarks with at least one usable measurement. */
  readonly landmarksUsed: number;
  /** The trust modes of the measurements the caps rest on (distinct, sorted). */
  readonly trustModes: readonly TrustMode[];
  /** Radius of the smallest cap in km: how far the proof reaches. Null without measurements. */
  readonly proofRadiusKm: number | null;
  /** For `inconsistent`: alternative sets of landmarks whose removal restores consistency. */
  readonly suspects: readonly (readonly string[])[];
  readonly reasons: readonly string[];
}

/** Smallest RTT per landmark (with the trust mode of that measurement), over the landmarks that have one. */
export function minimalRtts(landmarks: readonly Landmark[], measurements: readonly Measurement[]) {
  const best = new Map<string, Measurement>();
  for (const m of measurements) {
    const prev = best.get(m.landmark);
    if (prev === undefined || m.rttMs < prev.rttMs) best.set(m.landmark, m);
  }
  return landmarks
    .filter((l) => best.has(l.id))
    .map((l) => {
      const m = best.get(l.id)!;
      return { landmark: l, rttMs: m.rttMs, trustMode: m.trustMode ?? ('software' as TrustMode) };
    });
}

/**
 * A landmark's cap. Its nominal radius RTT/2 × v is widened by the sphere's worst error against
 * the ellipsoid so that the spherical model can only enlarge the region.
 */
function capFor(l: Landmark, radiusKm: number): Cap {
  return makeCap(l.lat, l.lon, (radiusKm * (1 + SPHERE_DISTANCE_SLACK)) / EARTH_RADIUS_KM + 1e-9);
}

export interface VerdictContext {
  /** The map; needed for country claims and for geofences under `land`/`territorial`. */
  readonly atlas?: Atlas;
  readonly search?: SearchOptions;
}

function placeTest(q: VerdictQuestion, ctx: VerdictContext): PlaceTest {
  const opts = { where: q.where, marginKm: q.marginKm };
  switch (q.claim.kind) {
    case 'country': {
      const region = ctx.atlas?.regionIndex(q.claim.code);
      if (ctx.atlas === undefined || region === undefined)
        throw new Error(`no map region for ${q.claim.code}`);
      return countryTest(ctx.atlas, region, opts);
    }
    case 'circle':
      return circleTest(q.claim, ctx.atlas, opts);
    case 'geofence':
      return geofenceTest(q.claim, ctx.atlas, opts);
  }
}

const km = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

export function decideVerdict(q: VerdictQuestion, ctx: VerdictContext = {}): Verdict {
  const search = ctx.search ?? DEFAULT_SEARCH;
  const used = minimalRtts(q.landmarks, q.measurements).map((u) => ({
    ...u,
    radiusKm: rttToMaxDistanceKm(u.rttMs, q.bound),
  }));
  const base = {
    bound: q.bound,
    where: q.where,
    marginKm: q.marginKm,
    landmarksUsed: used.length,
    trustModes: [...new Set(used.map((u) => u.trustMode))].sort(),
    suspects: [],
  };
  const claimText = describeClaim(q.claim);
  const policyText = `bound ${q.bound} (${PROPAGATION_BOUNDS[q.bound].kmPerMs} km/ms), where ${q.where}, margin ${q.marginKm} km`;
  if (used.length === 0) {
    return { ...base, verdict: 'unverified', proofRadiusKm: null, reasons: ['no usable measurement'] };
  }
  used.sort((a, b) => a.radiusKm - b.radiusKm);
  const tightest = used[0];
  const proofRadiusKm = tightest.radiusKm;
  const reach = `the proof reaches ${km(proofRadiusKm)} km (${tightest.landmark.id}, ${tightest.rttMs} ms)`;
  // Caps that cover the whole sphere constrain nothing.
  const caps = used.filter((u) => u.radiusKm * (1 + SPHERE_DISTANCE_SLACK) < Math.PI * EARTH_RADIUS_KM);
  if (caps.length === 0) {
    return {
      ...base,
      verdict: 'unverified',
      proofRadiusKm,
      reasons: ['every measurement allows the whole Earth'],
    };
  }
  const capList = caps.map((u) => capFor(u.landmark, u.radiusKm));
  const result = searchFeasible(capList, placeTest(q, ctx), search);
  if (result.feasible === 'none') {
    const { suspects, note } = findSuspects(
      caps.map((u) => u.landmark.id),
      capList,
      search,
    );
    const reasons = [
      "the landmarks' caps share no point: the evidence contradicts physics (a landmark lies or its position is wrong)",
    ];
    if (suspects.length > 0) {
      reasons.push(`removing ${suspects.map((s) => s.join(' and ')).join(', or ')} restores consistency`);
    } else reasons.push(note ?? 'no one or two landmarks explain the contradiction');
    return { ...base, verdict: 'inconsistent', proofRadiusKm, suspects, reasons };
  }
  const incomplete = result.exhausted
    ? [
        `the search stopped after ${result.cellsVisited} cells; what it could not settle counts against a proof`,
      ]
    : [];
  if (result.inside === 'none') {
    const sea = result.outside === 'none';
    return {
      ...base,
      verdict: 'outside',
      proofRadiusKm,
      reasons: [
        sea
          ? `the feasible region holds no place the policy allows (${WHERE_POLICIES[q.where]}), so none in ${claimText}`
          : `no point of the feasible region can be in ${claimText}`,
        reach,
        policyText,
      ],
    };
  }
  if (result.outside === 'none') {
    return {
      ...base,
      verdict: 'inside',
      proofRadiusKm,
      reasons: [`every possible place in the feasible region is in ${claimText}`, reach, policyText],
    };
  }
  const why: string[] = [];
  const part = (f: string, where: string) =>
    f === 'found' ? `reaches ${where}` : `may reach ${where} (not resolved)`;
  why.push(
    `the feasible region ${part(result.inside, claimText)} and ${part(result.outside, `places outside ${claimText}`)}`,
  );
  if (result.witnessOut !== undefined) {
    why.push(`a place that may lie outside ${claimText}: ${describePlace(result.witnessOut, ctx.atlas)}`);
  }
  return {
    ...base,
    verdict: 'unverified',
    proofRadiusKm,
    reasons: [...why, reach, policyText, ...incomplete],
  };
}

/** A point named for people: its coordinates and what the map says is there. */
function describePlace(p: { lat: number; lon: number }, atlas: Atlas | undefined): string {
  const at = `(${p.lat.toFixed(3)}, ${p.lon.toFixed(3)})`;
  if (atlas === undefined) return at;
  const regions = atlas.regionsAt(p.lat, p.lon).map((i) => atlas.regions[i].code ?? atlas.regions[i].name);
  return `${at}, mapped ${regions.length > 0 ? `in ${regions.join('/')}` : 'at sea'}`;
}

/** Past this many landmarks, pairs are tried only where a disjoint pair of caps points to them. */
const MAX_LANDMARKS_FOR_ALL_PAIRS = 40;

interface SuspectSearch {
  readonly suspects: string[][];
  /** Why pairs could not be tried, when they could not. */
  readonly note?: string;
}

/**
 * Alternative sets of one or two landmarks whose removal makes the caps share a point. A set is
 * named only when the search then finds a common point ('found'), never on a spent budget, so no
 * landmark is accused on a guess. Every landmark whose removal alone suffices is named; pairs are
 * tried only when none does. Two disjoint caps narrow the candidates: any culprit set must hold
 * one of them.
 */
function findSuspects(ids: readonly string[], caps: readonly Cap[], search: SearchOptions): SuspectSearch {
  const restores = (skip: readonly number[]) =>
    searchFeasible(
      caps.filter((_, i) => !skip.includes(i)),
      null,
      search,
    ).feasible === 'found';
  const disjoint: [number, number][] = [];
  for (let i = 0; i < caps.length; i++) {
    for (let j = i + 1; j < caps.length; j++) {
      if (angleBetween(caps[i].center, caps[j].center) > caps[i].angle + caps[j].angle + 1e-9)
        disjoint.push([i, j]);
    }
  }
  const hitsAll = (set: readonly number[]) => disjoint.every(([a, b]) => set.includes(a) || set.includes(b));
  const all = ids.map((_, i) => i);
  const singleCandidates = all.filter((i) => hitsAll([i]));
  const singles = singleCandidates.filter((i) => restores([i])).map((i) => [ids[i]]);
  if (singles.length > 0) return { suspects: singles };
  let pairCandidates: [number, number][] = [];
  if (disjoint.length > 0) {
    const [a, b] = disjoint[0];
    for (const first of [a, b]) {
      for (const other of all) {
        if (other === first) continue;
        const pair: [number, number] = first < other ? [first, other] : [other, first];
        if (hitsAll(pair) && !pairCandidates.some(([x, y]) => x === pair[0] && y === pair[1]))
          pairCandidates.push(pair);
      }
    }
  } else if (ids.length <= MAX_LANDMARKS_FOR_ALL_PAIRS) {
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairCandidates.push([i, j]);
  } else {
    return { suspects: [], note: `pairs were not tried among ${ids.length} landmarks` };
  }
  pairCandidates = pairCandidates.filter((pair) => restores(pair));
  return { suspects: pairCandidates.map(([i, j]) => [ids[i], ids[j]]) };
}
