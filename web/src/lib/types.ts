// The API's JSON as the dashboard reads it (the contract is the OpenAPI document at /openapi.json;
// these mirror the parts the pages use, and nothing here is trusted beyond display).

export type Role = 'admin' | 'exporter' | 'operator' | 'auditor' | 'landmark';
export type VerdictKind = 'inside' | 'outside' | 'unverified' | 'inconsistent';
export const VERDICTS: readonly VerdictKind[] = ['inside', 'outside', 'unverified', 'inconsistent'];
export type Disclosure = 'verdict' | 'radius' | 'estimate';

export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly scope: string | null;
}

export interface Estimate {
  readonly lat: number;
  readonly lon: number;
  readonly radiusKm: number;
}

export interface VerdictView {
  readonly id: number;
  readonly verdict: VerdictKind;
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
  readonly estimate?: Estimate | null;
  readonly disclosed: Disclosure;
}

export interface Chip {
  readonly id: string;
  readonly model: string;
  readonly identityMode: string;
  readonly publicKey: string;
  readonly deviceId: string;
  readonly keyId: string;
  readonly licenceId: string | null;
  readonly endUserId: string | null;
  readonly status: string;
  readonly createdAt: string;
}

export interface ChipView extends Chip {
  readonly exporterId: string | null;
  readonly verdict: VerdictView | null;
}

export type Destination =
  | { readonly country: string }
  | { readonly geofence: { readonly type: string; readonly coordinates: unknown } }
  | { readonly circle: { readonly lat: number; readonly lon: number; readonly radiusKm: number } };

export interface Licence {
  readonly id: string;
  readonly exporterId: string;
  readonly endUserId: string;
  readonly destinations: readonly Destination[];
  readonly models: readonly string[];
  readonly quantity: number;
  readonly validFrom: string;
  readonly validTo: string;
  readonly endUse: string;
  readonly revenueSharePct: number;
  readonly status: 'active' | 'revoked';
  readonly chips: number;
  readonly createdAt: string;
}

export interface Shipment {
  readonly id: string;
  readonly licenceId: string;
  readonly chips: readonly string[];
  readonly invoiceValue: number;
  readonly currency: string;
  readonly shippedAt: string;
}

export interface Landmark {
  readonly id: string;
  readonly operatorId: string;
  readonly lat: number;
  readonly lon: number;
  readonly status: string;
}

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
}

export interface Receipt {
  readonly hash: string;
  readonly landmarkId: string;
  readonly measuredAt: string;
  readonly trustMode: string;
  readonly minRttMs: number;
  readonly roundsRttMs: readonly number[];
}

export const ALERT_KINDS = [
  'diversion',
  'unverified',
  'missed-check-in',
  'cloned-identity',
  'landmark-integrity',
  'licence',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  readonly id: number;
  readonly kind: AlertKind;
  readonly chipId: string | null;
  readonly licenceId: string | null;
  readonly landmarks: readonly string[];
  readonly verdictId: number | null;
  readonly openedAt: string;
  readonly message: string;
  readonly acknowledged: null | { readonly at: string; readonly by: string; readonly note: string };
}

export interface RevenueRow {
  readonly licenceId: string;
  readonly quarter: string;
  readonly currency: string;
  readonly shipments: number;
  readonly invoiceTotal: number;
  readonly sharePct: number;
  readonly shareDue: number;
}

export interface CoverageCell {
  readonly lat: number;
  readonly lon: number;
  readonly country: string;
  readonly level: 'country' | 'area' | 'none';
  readonly proofRadiusKm: number | null;
}
