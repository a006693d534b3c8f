// What the API shows of chips and verdicts, per role: the end user's disclosure choice decides
// how much of a verdict leaves the verifier (src/server/access.ts, docs/access.md).

import type { Chip, Licence } from '../store/ledger-store.js';
import type { VerdictRow } from '../store/schema.js';
import type { Principal } from '../store/token-store.js';
import { type Disclosure, disclosureFor, forbidden, mayReadChip } from './access.js';
import type { Verifier } from './verifier.js';

export interface VerdictView {
  readonly id: number;
  readonly verdict: VerdictRow['verdict'];
  readonly licenceId: string;
  readonly computedAt: string;
  readonly region: string;
  readonly bound: string;
  readonly where: string;
  readonly trustModes: readonly string[];
  readonly window: { readonly from: string; readonly to: string };
  readonly evidenceHash: string;
  readonly evidence: readonly string[];
  readonly landmarksUsed: number;
  readonly suspects: readonly (readonly string[])[];
  readonly marginKm?: number;
  readonly proofRadiusKm?: number | null;
  readonly reasons?: readonly string[];
  readonly estimate?: { lat: number; lon: number; radiusKm: number } | null;
  readonly disclosed: Disclosure;
}

interface VerdictDetail {
  marginKm: number;
  landmarksUsed: number;
  reasons: string[];
  suspects: string[][];
  estimate: { lat: number; lon: number; radiusKm: number } | null;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export function verdictView(r: VerdictRow, disclosed: Disclosure): VerdictView {
  const d = JSON.parse(r.detail) as VerdictDetail;
  const base = {
    id: Number(r.id),
    verdict: r.verdict,
    licenceId: r.licence_id,
    computedAt: iso(r.computed_at),
    region: r.region,
    bound: r.bound,
    where: r.where_policy,
    trustModes: r.trust_modes === '' ? [] : r.trust_modes.split(','),
    window: { from: iso(r.window_from), to: iso(r.window_to) },
    evidenceHash: r.evidence_hash,
    evidence: JSON.parse(r.evidence) as string[],
    landmarksUsed: d.landmarksUsed,
    suspects: d.suspects,
    disclosed,
  };
  if (disclosed === 'verdict') return base;
  const withRadius = { ...base, marginKm: d.marginKm, proofRadiusKm: r.proof_radius_km, reasons: d.reasons };
  return disclosed === 'radius' ? withRadius : { ...withRadius, estimate: d.estimate };
}

export interface ChipView extends Chip {
  readonly exporterId: string | null;
  readonly verdict: VerdictView | null;
}

async function context(v: Verifier) {
  const licences = new Map((await v.ledger.listLicences()).map((l) => [l.id, l]));
  const orgs = new Map((await v.ledger.listOrgs()).map((o) => [o.id, o]));
  return { licences, orgs };
}

export const chipView = {
  async many(v: Verifier, p: Principal, chips: readonly Chip[]): Promise<ChipView[]> {
    const { licences, orgs } = await context(v);
    const latest = new Map((await v.evidence.latestVerdicts()).map((r) => [r.chip_id, r]));
    return chips
      .map((c) => {
        const exporterId = c.licenceId === null ? null : (licences.get(c.licenceId)?.exporterId ?? null);
        if (!mayReadChip(p, c, exporterId)) return undefined;
        const disclosure = orgs.get(c.endUserId ?? '')?.disclosure ?? 'verdict';
        const row = latest.get(c.id);
        return {
          ...c,
          exporterId,
          verdict: row === undefined ? null : verdictView(row, disclosureFor(p, c, disclosure)),
        };
      })
      .filter((c): c is ChipView => c !== undefined);
  },

  async one(v: Verifier, p: Principal, id: string) {
    const { chip: c, licence } = await readable(v, p, id);
    const disclosure = await chipDisclosure(v, p, c);
    const row = await v.evidence.latestVerdict(id);
    return {
      chip: c,
      licence,
      disclosed: disclosure,
      verdict: row === undefined ? null : verdictView(row, disclosure),
    };
  },
};

/** What the chip's end user chose to disclose about it (default `verdict`). */
export async function endUserDisclosure(v: Verifier, c: Chip): Promise<Disclosure> {
  return c.endUserId === null ? 'verdict' : (await v.ledger.getOrg(c.endUserId)).disclosure;
}

/** The disclosure level `p` gets for `chip`, after checking `p` may see the chip at all. */
export async function chipDisclosure(v: Verifier, p: Principal, c: Chip): Promise<Disclosure> {
  return disclosureFor(p, c, await endUserDisclosure(v, c));
}

/** Loads a chip `p` may read, or throws NOT_FOUND / FORBIDDEN. */
export async function readableChip(v: Verifier, p: Principal, id: string): Promise<Chip> {
  return (await readable(v, p, id)).chip;
}

async function readable(
  v: Verifier,
  p: Principal,
  id: string,
): Promise<{ chip: Chip; licence: Licence | null }> {
  const chip = await v.ledger.getChip(id);
  const licence = chip.licenceId === null ? null : await v.ledger.getLicence(chip.licenceId);
  if (!mayReadChip(p, chip, licence?.exporterId ?? null)) throw forbidden(`chip ${id} is not yours`);
  return { chip, licence };
}
