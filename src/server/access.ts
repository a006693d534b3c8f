// Who may do what. Each route names the roles it admits; within a role, exporters and operators
// see only what belongs to their organisation. The matrix is written out in docs/access.md and
// walked route by route in test/server/access.test.ts.

import { GeoattestError } from '../errors.js';
import type { Chip, Licence } from '../store/ledger-store.js';
import type { Principal, Role } from '../store/token-store.js';

export const ALL_ROLES: readonly Role[] = ['admin', 'exporter', 'operator', 'auditor', 'landmark'];
/** Roles that read the ledger: everyone but landmarks, each within its scope. */
export const READERS: readonly Role[] = ['admin', 'exporter', 'operator', 'auditor'];

export function forbidden(message: string): GeoattestError {
  return new GeoattestError('FORBIDDEN', message);
}

/** Filters for list queries: an exporter sees its licences' chips, an operator its own chips. */
export function scopeFilter(p: Principal): { exporterId?: string; endUserId?: string } {
  if (p.role === 'exporter') return { exporterId: p.scope ?? '' };
  if (p.role === 'operator') return { endUserId: p.scope ?? '' };
  return {};
}

export function mayReadLicence(p: Principal, l: Pick<Licence, 'exporterId' | 'endUserId'>): boolean {
  if (p.role === 'admin' || p.role === 'auditor') return true;
  if (p.role === 'exporter') return l.exporterId === p.scope;
  if (p.role === 'operator') return l.endUserId === p.scope;
  return false;
}

export function requireLicence(p: Principal, l: Pick<Licence, 'exporterId' | 'endUserId' | 'id'>): void {
  if (!mayReadLicence(p, l)) throw forbidden(`licence ${l.id} is not yours`);
}

/** May `p` see `chip` (whose licence's exporter is `exporterId`)? */
export function mayReadChip(p: Principal, chip: Pick<Chip, 'endUserId'>, exporterId: string | null): boolean {
  if (p.role === 'admin' || p.role === 'auditor') return true;
  if (p.role === 'exporter') return exporterId !== null && exporterId === p.scope;
  if (p.role === 'operator') return chip.endUserId !== null && chip.endUserId === p.scope;
  return false;
}

export type Disclosure = 'verdict' | 'radius' | 'estimate';

/**
 * What of a verdict `p` may see about a chip whose end user chose `disclosure`. Admins and the end
 * user itself see everything; auditors and exporters see what the end user disclosed.
 */
export function disclosureFor(
  p: Principal,
  chip: Pick<Chip, 'endUserId'>,
  disclosure: Disclosure,
): Disclosure {
  if (p.role === 'admin') return 'estimate';
  if (p.role === 'operator' && chip.endUserId === p.scope) return 'estimate';
  return disclosure;
}

/** Raw receipts (RTTs reveal distances): admins, auditors (who must re-derive verdicts), the end
 * user itself, and an exporter only when the end user discloses at least the proof radius. */
export function mayReadEvidence(
  p: Principal,
  chip: Pick<Chip, 'endUserId'>,
  disclosure: Disclosure,
): boolean {
  if (p.role === 'admin' || p.role === 'auditor') return true;
  if (p.role === 'operator') return chip.endUserId === p.scope;
  if (p.role === 'exporter') return disclosure !== 'verdict';
  return false;
}
