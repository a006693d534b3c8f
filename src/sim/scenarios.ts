// The smuggling scenarios the demo plays out, each ending in the alert a compliance officer must
// see, and the judge that checks them. Pure except `ScenarioRunner`, which applies the steps to a
// DemoNetwork at their times on an injected clock and timer.
//
//   diversion        a Singapore-licensed chip moved to Shenzhen; its agent checks in with the
//                    landmarks in reach there: proven outside → diversion alert at once
//   relay            a Malaysia-licensed chip moved to Shenzhen behind a relay in Kuala Lumpur that
//                    forwards its challenges to the Malaysian landmarks: the relay only adds delay,
//                    the chip is never proven inside again → unverified past grace → alert.
//                    (Malaysia, not Singapore: a Singapore chip is never proven inside over loopback
//                    here (demo-world.ts), so catching it by grace would prove nothing.)
//   clone            a Shanghai H20's identity also answers from Kuala Lumpur: the two groups of
//                    landmarks' caps cannot both hold → cloned-identity alert
//   lying-landmark   the Mumbai landmark reports 2 % of the round trips it measures for a Dubai
//                    chip, re-signed with its own key: evidence contradicts physics →
//                    landmark-integrity alert naming LM-BOM
//   missed-check-in  a Cyberjaya chip's agent goes silent → missed check-in alert
// Every other chip is honest and must never be alerted.

import { GeoattestError } from '../errors.js';
import { destination } from '../geo/sphere.js';
import type { AlertKind } from '../ledger/alert-rules.js';
import { type DemoChip, type DemoWorld, nearestLandmarks, type TierTimings } from './demo-world.js';
import type { Site } from './latency-model.js';

export type ScenarioName = 'diversion' | 'relay' | 'clone' | 'lying-landmark' | 'missed-check-in';

export type ScenarioStep =
  | {
      readonly kind: 'move';
      readonly chipId: string;
      readonly to: Site;
      readonly landmarks: readonly string[];
      /** Offline this long while moved (longer than a verdict's evidence window). */
      readonly transitMs: number;
    }
  | {
      readonly kind: 'relay';
      readonly chipId: string;
      readonly to: Site;
      readonly relay: Site;
      readonly landmarks: readonly string[];
      readonly transitMs: number;
    }
  | {
      readonly kind: 'clone';
      readonly chipId: string;
      readonly at: Site;
      readonly landmarks: readonly string[];
    }
  | { readonly kind: 'lie'; readonly chipId: string; readonly landmarkId: string; readonly factor: number }
  | { readonly kind: 'silence'; readonly chipId: string };

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  readonly chipId: string;
  readonly step: ScenarioStep;
  /** The alert that must follow (and the only kind this chip may get). */
  readonly expect: { readonly kind: AlertKind; readonly landmarks?: readonly string[] };
}

export interface DemoTimings extends TierTimings {
  /** A chip queued for a verdict waits this long for the rest of its check-in's receipts. */
  readonly verdictSettleMs: number;
  /** How often the verifier sweeps for missed check-ins and long `unverified`. */
  readonly sweepIntervalMs: number;
  /** First check-ins are spread over this much time after start. */
  readonly firstSpreadMs: number;
  /** When the scenarios start, after the world has started. */
  readonly scenarioAtMs: number;
}

/**
 * The demo's clock: every scenario's alert within about a minute. Watched (hub) licences check in
 * every 15 s, the rest every minute; a watched chip unverified for 20 s, or silent for 37.5 s, is
 * alerted.
 */
export const DEMO_TIMINGS: DemoTimings = Object.freeze({
  watchCheckInMs: 15_000,
  standardCheckInMs: 60_000,
  graceMs: 20_000,
  evidenceWindowMs: 5_000,
  verdictSettleMs: 1_500,
  sweepIntervalMs: 2_000,
  firstSpreadMs: 20_000,
  scenarioAtMs: 10_000,
});

/** The same story in seconds, for the integration test. */
export const FAST_TIMINGS: DemoTimings = Object.freeze({
  // Check-ins further apart than a window plus a check-in (8 rounds to a landmark 170 ms away
  // take ~1.5 s), so no window mixes two of them.
  watchCheckInMs: 2_500,
  standardCheckInMs: 4_000,
  // Longer than two standard check-ins: a host too busy to answer in time once or twice (its
  // proof then reaches less far) is not a diversion; three in a row is worth an alert.
  graceMs: 9_000,
  evidenceWindowMs: 2_000,
  verdictSettleMs: 300,
  sweepIntervalMs: 300,
  firstSpreadMs: 1_500,
  scenarioAtMs: 2_500,
});

const LIE_FACTOR = 0.02;

function firstChipOf(world: DemoWorld, code: string): DemoChip {
  const c = world.chips.find((x) => x.id.includes(`-${code}-`));
  if (c === undefined) throw new GeoattestError('INVALID_REQUEST', `the demo world has no chip in ${code}`);
  return c;
}

function siteOf(world: DemoWorld, landmarkId: string, offsetKm: number): Site {
  const l = world.landmarks.find((x) => x.id === landmarkId);
  if (l === undefined)
    throw new GeoattestError('INVALID_REQUEST', `the demo world has no landmark ${landmarkId}`);
  const p = destination(l.site, 45, offsetKm);
  return { lat: p.lat, lon: p.lon };
}

/** The five scenarios over a world built by buildDemoWorld (any chip scale). */
export function demoScenarios(world: DemoWorld, timings: DemoTimings, perChip = 5): Scenario[] {
  const transitMs = timings.evidenceWindowMs + 500;
  const shenzhen = siteOf(world, 'LM-SZX', 1.5);
  const diverted = firstChipOf(world, 'SIN');
  const relayed = firstChipOf(world, 'KUL');
  const cloned = firstChipOf(world, 'SHA');
  const victim = firstChipOf(world, 'DXB');
  const silent = firstChipOf(world, 'CYB');
  if (!victim.landmarks.includes('LM-BOM'))
    throw new GeoattestError('INVALID_REQUEST', `${victim.id} does not check in with LM-BOM`);
  return [
    {
      name: 'diversion',
      title: `${diverted.id}, licensed to Singapore, moved to a data centre in Shenzhen`,
      chipId: diverted.id,
      step: {
        kind: 'move',
        chipId: diverted.id,
        to: shenzhen,
        landmarks: nearestLandmarks(world, shenzhen, perChip),
        transitMs,
      },
      expect: { kind: 'diversion' },
    },
    {
      name: 'relay',
      title: `${relayed.id}, licensed to Malaysia, moved to Shenzhen behind a relay in Kuala Lumpur`,
      chipId: relayed.id,
      step: {
        kind: 'relay',
        chipId: relayed.id,
        to: shenzhen,
        relay: siteOf(world, 'LM-KUL', 3),
        landmarks: relayed.landmarks,
        transitMs,
      },
      expect: { kind: 'unverified' },
    },
    {
      name: 'clone',
      title: `${cloned.id}'s identity also answers from Kuala Lumpur`,
      chipId: cloned.id,
      step: {
        kind: 'clone',
        chipId: cloned.id,
        at: siteOf(world, 'LM-KUL', 1),
        landmarks: nearestLandmarks(world, siteOf(world, 'LM-KUL', 1), perChip),
      },
      expect: { kind: 'cloned-identity' },
    },
    {
      name: 'lying-landmark',
      title: `LM-BOM reports ${LIE_FACTOR * 100} % of the round trips it measures to ${victim.id}`,
      chipId: victim.id,
      step: { kind: 'lie', chipId: victim.id, landmarkId: 'LM-BOM', factor: LIE_FACTOR },
      expect: { kind: 'landmark-integrity', landmarks: ['LM-BOM'] },
    },
    {
      name: 'missed-check-in',
      title: `${silent.id}'s agent stops checking in`,
      chipId: silent.id,
      step: { kind: 'silence', chipId: silent.id },
      expect: { kind: 'missed-check-in' },
    },
  ];
}

/** What a scenario step needs from the network (DemoNetwork has it). */
export interface ScenarioTarget {
  moveChip(chipId: string, site: Site, landmarks: readonly string[], relay?: Site, transitMs?: number): void;
  cloneChip(chipId: string, site: Site, landmarks: readonly string[]): void;
  silenceChip(chipId: string): void;
  makeLiar(landmarkId: string, factor: number, chipIds: readonly string[]): void;
  checkInNow(chipId: string): Promise<void>;
}

/** Applies a step; a moved, relayed, cloned or lied-about chip checks in at once, as after a reboot. */
export async function applyStep(
  target: ScenarioTarget,
  step: ScenarioStep,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  switch (step.kind) {
    case 'move':
      target.moveChip(step.chipId, step.to, step.landmarks, undefined, step.transitMs);
      await sleep(step.transitMs);
      break;
    case 'relay':
      target.moveChip(step.chipId, step.to, step.landmarks, step.relay, step.transitMs);
      await sleep(step.transitMs);
      break;
    case 'clone':
      target.cloneChip(step.chipId, step.at, step.landmarks);
      break;
    case 'lie':
      target.makeLiar(step.landmarkId, step.factor, [step.chipId]);
      break;
    case 'silence':
      target.silenceChip(step.chipId);
      return;
  }
  await target.checkInNow(step.chipId);
}

/** An alert as the judge needs it (the store's Alert has these fields). */
export interface AlertFact {
  readonly kind: AlertKind;
  readonly chipId: string | null;
  readonly landmarks: readonly string[];
  readonly message: string;
}

export interface ScenarioOutcome {
  readonly name: ScenarioName;
  readonly chipId: string;
  readonly caught: boolean;
  /** The expected alert's message, when raised. */
  readonly message?: string;
  /** Alerts of other kinds on this chip (must be none). */
  readonly unexpected: readonly AlertFact[];
}

export interface Judgement {
  readonly outcomes: readonly ScenarioOutcome[];
  /** Alerts on chips no scenario touched: false alarms. */
  readonly falseAlarms: readonly AlertFact[];
  readonly ok: boolean;
}

/** Did every scenario end in its alert, and was no honest chip alerted? */
export function judgeScenarios(scenarios: readonly Scenario[], alerts: readonly AlertFact[]): Judgement {
  const outcomes = scenarios.map((s) => {
    const mine = alerts.filter((a) => a.chipId === s.chipId);
    const hit = mine.find(
      (a) =>
        a.kind === s.expect.kind &&
        (s.expect.landmarks === undefined || s.expect.landmarks.every((l) => a.landmarks.includes(l))),
    );
    return {
      name: s.name,
      chipId: s.chipId,
      caught: hit !== undefined,
      ...(hit === undefined ? {} : { message: hit.message }),
      unexpected: mine.filter((a) => a.kind !== s.expect.kind),
    };
  });
  const touched = new Set(scenarios.map((s) => s.chipId));
  const falseAlarms = alerts.filter((a) => a.chipId === null || !touched.has(a.chipId));
  return {
    outcomes,
    falseAlarms,
    ok: outcomes.every((o) => o.caught && o.unexpected.length === 0) && falseAlarms.length === 0,
  };
}

/** Runs the scenarios at `timings.scenarioAtMs` after `start()`, on an injected timer. */
export class ScenarioRunner {
  private timer: unknown;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: ScenarioTarget,
    private readonly scenarios: readonly Scenario[],
    private readonly atMs: number,
    private readonly timer$: {
      setTimeout: (fn: () => void, ms: number) => unknown;
      clearTimeout: (t: unknown) => void;
    } = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
    },
    private readonly onStep: (s: Scenario, error?: unknown) => void = () => {},
  ) {}

  start(): void {
    this.timer = this.timer$.setTimeout(() => {
      this.done = Promise.all(
        this.scenarios.map((s) =>
          applyStep(this.target, s.step, (ms) => new Promise((r) => this.timer$.setTimeout(r, ms))).then(
            () => this.onStep(s),
            (e: unknown) => this.onStep(s, e),
          ),
        ),
      ).then(() => {});
    }, this.atMs);
  }

  /** Resolves when the steps (and the check-ins they triggered) are done. */
  settled(): Promise<void> {
    return this.done;
  }

  stop(): void {
    this.timer$.clearTimeout(this.timer);
  }
}
