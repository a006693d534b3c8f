// When geoattest raises an alert (the diversion and tampering reports the Chip Security Act asks
// for), as pure rules over a chip's verdicts and check-ins. Each draft names the time from which an
// earlier alert of its kind already covers it (`coveredFrom`): the store raises a draft only if no
// alert of that kind for that chip was opened since, so a condition that persists is reported once
// and a new episode is reported again, acknowledged or not.

import type { VerdictKind } from '../geo/verdict.js';
import type { Policy } from './policy.js';

export type AlertKind =
  | 'diversion'
  | 'unverified'
  | 'missed-check-in'
  | 'cloned-identity'
  | 'landmark-integrity'
  | 'licence';

export const ALERT_KINDS: readonly AlertKind[] = [
  'diversion',
  'unverified',
  'missed-check-in',
  'cloned-identity',
  'landmark-integrity',
  'licence',
];

export interface AlertDraft {
  readonly kind: AlertKind;
  readonly chipId: string | null;
  readonly licenceId: string | null;
  /** Landmarks the alert names (landmark-integrity: the suspects). */
  readonly landmarks: readonly string[];
  readonly message: string;
  readonly coveredFrom: number;
  readonly detail: Record<string, unknown>;
}

export interface ChipVerdictFacts {
  readonly chipId: string;
  readonly licenceId: string;
  readonly region: string;
  readonly verdict: VerdictKind;
  /** When the chip's current run of this verdict began (this verdict's time if it just changed). */
  readonly streakSince: number;
  /** For `inconsistent`: sets of landmarks whose removal restores consistency. */
  readonly suspects: readonly (readonly string[])[];
  readonly reasons: readonly string[];
  readonly verdictId: number;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** Alerts a new verdict calls for. */
export function verdictAlerts(f: ChipVerdictFacts, policy: Policy, now: number): AlertDraft[] {
  const base = { chipId: f.chipId, licenceId: f.licenceId, coveredFrom: f.streakSince };
  const detail = { verdictId: f.verdictId, reasons: f.reasons };
  switch (f.verdict) {
    case 'outside':
      return [
        {
          ...base,
          kind: 'diversion',
          landmarks: [],
          message: `chip ${f.chipId} is proven outside its licensed destination ${f.region}`,
          detail,
        },
      ];
    case 'unverified':
      return unverifiedAlerts(f, policy, now);
    case 'inconsistent': {
      // One landmark that contradicts all the others is more likely lying about its RTTs than a
      // clone answering only it. When no single landmark explains the contradiction, two groups of
      // landmarks each agree among themselves: the identity answered from two places at once (or
      // several landmarks colluded, which the message says too).
      const singles = f.suspects.filter((s) => s.length === 1).map((s) => s[0]);
      if (singles.length > 0) {
        return [
          {
            ...base,
            kind: 'landmark-integrity',
            landmarks: singles,
            message: `landmark${singles.length > 1 ? 's' : ''} ${singles.join(', ')} reported round trips that contradict the others for chip ${f.chipId}`,
            detail: { ...detail, suspects: f.suspects },
          },
        ];
      }
      return [
        {
          ...base,
          kind: 'cloned-identity',
          landmarks: f.suspects.flat(),
          message: `chip ${f.chipId}'s identity answered landmarks whose caps cannot all hold at once: two devices share it, or several landmarks lie`,
          detail: { ...detail, suspects: f.suspects },
        },
      ];
    }
    case 'inside':
      return [];
  }
}

/** `unverified` for longer than the licence's grace period. */
export function unverifiedAlerts(
  f: Pick<ChipVerdictFacts, 'chipId' | 'licenceId' | 'region' | 'verdict' | 'streakSince'>,
  policy: Policy,
  now: number,
): AlertDraft[] {
  if (f.verdict !== 'unverified' || now - f.streakSince <= policy.unverifiedGraceMs) return [];
  return [
    {
      kind: 'unverified',
      chipId: f.chipId,
      licenceId: f.licenceId,
      landmarks: [],
      coveredFrom: f.streakSince,
      message: `chip ${f.chipId} has not been proven inside ${f.region} for ${minutes(now - f.streakSince)} (grace ${minutes(policy.unverifiedGraceMs)})`,
      detail: { since: new Date(f.streakSince).toISOString() },
    },
  ];
}

/** No receipt for longer than the check-in policy allows. */
export function missedCheckInAlerts(
  f: { chipId: string; licenceId: string; lastReceiptAt: number },
  policy: Policy,
  now: number,
): AlertDraft[] {
  if (now - f.lastReceiptAt <= policy.missedCheckInAfterMs) return [];
  return [
    {
      kind: 'missed-check-in',
      chipId: f.chipId,
      licenceId: f.licenceId,
      landmarks: [],
      coveredFrom: f.lastReceiptAt,
      message: `chip ${f.chipId} has not checked in for ${minutes(now - f.lastReceiptAt)} (allowed ${minutes(policy.missedCheckInAfterMs)})`,
      detail: { lastReceiptAt: new Date(f.lastReceiptAt).toISOString() },
    },
  ];
}

/** A chip moved to a licence of another end user. */
export function endUserChangeAlert(
  chipId: string,
  licenceId: string,
  from: string | null,
  to: string | null,
  now: number,
): AlertDraft {
  return {
    kind: 'licence',
    chipId,
    licenceId,
    landmarks: [],
    coveredFrom: now,
    message: `chip ${chipId} moved from end user ${from ?? '(none)'} to ${to ?? '(none)'} under licence ${licenceId}`,
    detail: { event: 'end-user-changed', from, to },
  };
}

/** A licence that expired while chips are still under it, or a chip refused for lack of room. */
export function licenceEventAlert(
  licenceId: string,
  event: 'expired' | 'exhausted',
  message: string,
  coveredFrom: number,
): AlertDraft {
  return { kind: 'licence', chipId: null, licenceId, landmarks: [], coveredFrom, message, detail: { event } };
}
