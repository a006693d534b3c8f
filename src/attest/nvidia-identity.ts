// The `nvidia-spdm` identity: a GPU proves it is itself by signing SPDM GET_MEASUREMENTS evidence
// over our challenge with its per-device ECDSA P-384 key, whose certificate chains to the
// "NVIDIA Device Identity CA". Pure and synchronous: the trust anchors and the time are passed in
// as data, nothing is fetched, and no revocation (OCSP) is checked here.

import { createHash, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import { GeoattestError } from '../errors.js';
import { type MeasurementBlock, parseSpdmEvidence, SPDM_NONCE_BYTES } from './spdm-evidence.js';

/** The root's common name, as NVIDIA issues it (see test/vectors/nvidia/nvtrust/verifier_device_root.pem). */
export const NVIDIA_DEVICE_IDENTITY_CA = 'NVIDIA Device Identity CA';
/**
 * Leaf "G?100 A01 GSP FMC LF" (the attestation key), "GSP BROM", "Provisioner ICA",
 * "G?100 Identity", "NVIDIA Device Identity CA": NVIDIA's GPUs send exactly these five.
 */
export const NVIDIA_CHAIN_LENGTH = 5;
/** A five-certificate PEM chain is about 5 KiB; refuse to parse anything far larger. */
const MAX_CHAIN_PEM_CHARS = 64 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;

/** Domain tag of the session-key binding; the NUL ends the tag so no key byte can extend it. */
export const GPU_SESSION_NONCE_TAG = 'geoattest/v1 gpu-session\0';
const ED25519_PUBLIC_KEY_BYTES = 32;

export interface NvidiaEvidenceInput {
  /** GET_MEASUREMENTS request || MEASUREMENTS response, as the GPU's tools return it. */
  readonly evidence: Uint8Array;
  /** The GPU's certificate chain, leaf first. */
  readonly certChainPem: string;
  /** The 32-byte challenge the GPU was asked to sign. */
  readonly expectedNonce: Uint8Array;
  /** Trust anchors; only those named "NVIDIA Device Identity CA" are used. */
  readonly roots: readonly X509Certificate[];
  /** The time at which certificate validity is judged. */
  readonly at: Date;
}

export interface NvidiaIdentity {
  readonly trustMode: 'gpu-evidence';
  /** The leaf certificate's serial number, lower-case hex: unique per GPU. */
  readonly deviceKeyId: string;
  /** The leaf's subject as node:crypto prints it (one attribute per line). */
  readonly leafSubject: string;
  /** "GH100" (Hopper), "GB100" (Blackwell), … from the leaf's common name; null if it names none. */
  readonly model: string | null;
  readonly measurements: readonly MeasurementBlock[];
  readonly driverVersion: string;
  readonly vbiosVersion: string;
  readonly fwid: string | null;
}

function fail(code: 'CERT_CHAIN_INVALID' | 'CERT_CHAIN_UNTRUSTED' | 'CERT_EXPIRED', message: string): never {
  throw new GeoattestError(code, message);
}

function parseChain(pem: string): X509Certificate[] {
  if (typeof pem !== 'string') fail('CERT_CHAIN_INVALID', 'certificate chain must be a PEM string');
  if (pem.length > MAX_CHAIN_PEM_CHARS) fail('CERT_CHAIN_INVALID', 'certificate chain is too long');
  const blocks = [...pem.matchAll(PEM_CERTIFICATE)].map((m) => m[0]);
  if (blocks.length !== NVIDIA_CHAIN_LENGTH) {
    fail('CERT_CHAIN_INVALID', `chain has ${blocks.length} certificates, not ${NVIDIA_CHAIN_LENGTH}`);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw new GeoattestError('CERT_CHAIN_INVALID', `certificate ${i} does not parse`, { cause });
    }
  });
}

function commonName(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const OPENSSL_TIME = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/;

/**
 * Node 20 gives validity only as OpenSSL prints it ("Nov  5 00:00:00 2021 GMT"; `validFromDate`
 * arrived in Node 22): parse that exact form rather than trust Date's lenient legacy parser.
 */
function opensslTime(text: string, what: string): number {
  const m = OPENSSL_TIME.exec(text);
  const month = m === null ? -1 : MONTHS.indexOf(m[1]);
  if (m === null || month === -1) fail('CERT_CHAIN_INVALID', `${what}: unreadable validity time ${text}`);
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

function checkValidity(cert: X509Certificate, at: Date, what: string): void {
  // NVIDIA's device certificates (and the root) in the samples run to 31 Dec 9999: they are
  // effectively permanent, so this check matters only for a chain someone else assembled.
  const t = at.getTime();
  if (t < opensslTime(cert.validFrom, what) || t > opensslTime(cert.validTo, what)) {
    fail('CERT_EXPIRED', `${what} is not valid at ${at.toISOString()}`);
  }
}

/** Whether `cert` is, or is signed by, one of the NVIDIA Device Identity CA roots. */
function anchored(cert: X509Certificate, roots: readonly X509Certificate[], at: Date): boolean {
  for (const root of roots) {
    if (!(root instanceof X509Certificate) || commonName(root) !== NVIDIA_DEVICE_IDENTITY_CA) continue;
    if (cert.raw.equals(root.raw) || (cert.checkIssued(root) && cert.verify(root.publicKey))) {
      checkValidity(root, at, 'the root');
      return true;
    }
  }
  return false;
}

function modelOf(cn: string | null): string | null {
  const m = cn === null ? null : /^(G[A-Z]\d{3})\b/.exec(cn);
  return m === null ? null : m[1];
}

/**
 * Verifies NVIDIA GPU evidence for `expectedNonce`. Checks run cheapest first: evidence structure,
 * chain shape, validity dates and names, then the four chain signatures and the anchor, then the
 * evidence signature, and last the nonce — after the signature, so that a mismatch reports
 * authentic evidence made for another challenge (stale or replayed), not a forgery.
 */
export function verifyNvidiaEvidence(input: NvidiaEvidenceInput): NvidiaIdentity {
  const { evidence, certChainPem, expectedNonce, roots, at } = input;
  if (!(expectedNonce instanceof Uint8Array) || expectedNonce.length !== SPDM_NONCE_BYTES) {
    // A nonce of another size can never equal a 32-byte SPDM requester nonce.
    throw new GeoattestError('EVIDENCE_NONCE_MISMATCH', `expected nonce must be ${SPDM_NONCE_BYTES} bytes`);
  }
  const nonce = new Uint8Array(expectedNonce);
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    fail('CERT_EXPIRED', 'no valid time to judge validity');
  if (!Array.isArray(roots)) fail('CERT_CHAIN_UNTRUSTED', 'roots must be a list of certificates');

  const parsed = parseSpdmEvidence(evidence);
  const chain = parseChain(certChainPem);

  chain.forEach((cert, i) => {
    checkValidity(cert, at, `certificate ${i}`);
  });
  const leaf = chain[0];
  const leafKey = leaf.publicKey;
  if (leafKey.asymmetricKeyType !== 'ec' || leafKey.asymmetricKeyDetails?.namedCurve !== 'secp384r1') {
    fail('CERT_CHAIN_INVALID', 'the leaf key is not ECDSA P-384');
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    // Every certificate above the leaf signs another one, so it must be a CA (RFC 5280 §4.2.1.9).
    if (!chain[i + 1].ca) fail('CERT_CHAIN_INVALID', `certificate ${i + 1} is not a CA`);
    if (!chain[i].checkIssued(chain[i + 1]))
      fail('CERT_CHAIN_INVALID', `certificate ${i + 1} did not issue ${i}`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].verify(chain[i + 1].publicKey)) {
      fail('CERT_CHAIN_INVALID', `certificate ${i} is not signed by certificate ${i + 1}`);
    }
  }
  if (!anchored(chain[chain.length - 1], roots, at)) {
    fail('CERT_CHAIN_UNTRUSTED', `the chain does not end at a trusted ${NVIDIA_DEVICE_IDENTITY_CA}`);
  }

  // DSP0274 §10.11 with TPM_ALG_ECDSA_ECC_NIST_P384 and TPM_ALG_SHA_384: raw r||s over request + response.
  const signatureOk = verify(
    'sha384',
    parsed.signedBytes,
    { key: leafKey, dsaEncoding: 'ieee-p1363' },
    parsed.signature,
  );
  if (!signatureOk)
    throw new GeoattestError('EVIDENCE_SIGNATURE_INVALID', 'the GPU key did not sign this evidence');

  if (!timingSafeEqual(parsed.requesterNonce, nonce)) {
    throw new GeoattestError('EVIDENCE_NONCE_MISMATCH', 'the evidence was made for another challenge');
  }

  const cn = commonName(leaf);
  return Object.freeze({
    trustMode: 'gpu-evidence',
    deviceKeyId: leaf.serialNumber.toLowerCase(),
    leafSubject: leaf.subject,
    model: modelOf(cn),
    measurements: parsed.measurements,
    driverVersion: parsed.opaque.driverVersion,
    vbiosVersion: parsed.opaque.vbiosVersion,
    fwid: parsed.opaque.fwid,
  });
}

/**
 * The nonce a GPU is asked to sign so that a fresh Ed25519 session key is bound to its evidence
 * (`gpu-session` mode): SHA-256(tag || session public key (32 B) || challenge). The key has a fixed
 * size and comes before the challenge, so the concatenation is unambiguous.
 */
export function sessionKeyNonce(sessionPublicKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  if (!(sessionPublicKey instanceof Uint8Array) || sessionPublicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new GeoattestError(
      'KEY_INVALID',
      `session public key must be ${ED25519_PUBLIC_KEY_BYTES} raw bytes`,
    );
  }
  if (!(challenge instanceof Uint8Array) || challenge.length !== SPDM_NONCE_BYTES) {
    throw new GeoattestError('EVIDENCE_NONCE_MISMATCH', `challenge must be ${SPDM_NONCE_BYTES} bytes`);
  }
  const digest = createHash('sha256')
    .update(GPU_SESSION_NONCE_TAG, 'latin1')
    .update(sessionPublicKey)
    .update(challenge)
    .digest();
  return new Uint8Array(digest);
}
