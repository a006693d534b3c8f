// The `nvidia-spdm` identity against real evidence from NVIDIA Hopper and Blackwell GPUs
// (test/vectors/nvidia/README.md says where each file comes from).

import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NvidiaEvidenceInput,
  sessionKeyNonce,
  verifyNvidiaEvidence,
} from '../../src/attest/nvidia-identity.js';
import { parseSpdmEvidence, SPDM_REQUEST_BYTES } from '../../src/attest/spdm-evidence.js';
import { errorCodeOf } from '../helpers/error-code.js';

const VECTORS = new URL('../vectors/nvidia/', import.meta.url);
const text = (path: string) => readFileSync(new URL(path, VECTORS), 'utf8');
const hexFile = (path: string) => new Uint8Array(Buffer.from(text(path).trim(), 'hex'));
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

const DEVICE_ROOT = new X509Certificate(text('nvtrust/verifier_device_root.pem'));
const RIM_ROOT = new X509Certificate(text('nvtrust/verifier_RIM_root.pem'));
const AT = new Date('2025-06-01T00:00:00Z');

// Hard-coded once, so that the tests fail if the nonce read from the request bytes is wrong.
const NONCE_931D = '931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb';
const NONCE_SDK_HOPPER = '27a328247bf7935c993341cf587be6f05986ccce4fe7ba2c54100bd616a58f66';
const NONCE_8XH100 = '4760e30534a0621357d458b1a7936551b5dc4cd1e69718adf7ed9fb0252a537e';

/** The requester nonce as the request carries it: bytes 4..36 of GET_MEASUREMENTS. */
const requestNonce = (evidence: Uint8Array) => evidence.slice(4, 36);

interface Sample {
  readonly name: string;
  readonly evidence: Uint8Array;
  readonly chain: string;
  readonly nonce: string;
  readonly serial: string;
  readonly model: string;
  readonly driverVersion: string;
  readonly vbiosVersion: string;
}

const H100_SERIALS = [
  '72ca27239f0e96f6535f73af84eb1542471a17b2',
  '7fb26ef11fe545c10f53e18c4190561417d54895',
  '5b9679112f554e011950739a972691ead523d43f',
  '51118f994359c9e79172df61a0b4a826990ca354',
  '58b103c17596e4610463277055702a9189624fdb',
  '46aa4dc060d450e75665f3eb15cfef130c8add25',
  '6c6c2c29e2dcedfc49f1fd8a0fda472127ae902f',
  '510312ea44ca0d9f2aff812645126964523c466b',
];

interface H100Entry {
  readonly arch: string;
  readonly certificate: string;
  readonly driver_version: string;
  readonly evidence: string;
  readonly nonce: string;
  readonly vbios_version: string;
}
const h100Entries = JSON.parse(text('nvtrust/gpu_evidence_8xH100.json')) as H100Entry[];

const SAMPLES: Sample[] = [
  {
    name: 'attestation-sdk Hopper',
    evidence: hexFile('attestation-sdk/hopperAttestationReport.txt'),
    chain: text('attestation-sdk/hopperCertChain.txt'),
    nonce: NONCE_SDK_HOPPER,
    serial: '455472bb690155accc29161a19c7fe6144a8ed92',
    model: 'GH100',
    driverVersion: '535.86.09',
    vbiosVersion: '96.00.5E.00.01',
  },
  {
    name: 'attestation-sdk Blackwell',
    evidence: hexFile('attestation-sdk/blackwellAttestationReport.txt'),
    chain: text('attestation-sdk/blackwellCertChain.txt'),
    nonce: NONCE_931D,
    serial: '530d7c3cbc31b7645ccfc78b123963978e709059',
    model: 'GB100',
    driverVersion: '575.32',
    vbiosVersion: '97.00.88.00.0F',
  },
  {
    name: 'nvtrust Hopper',
    evidence: hexFile('nvtrust/hopperAttestationReport.txt'),
    chain: text('nvtrust/hopperCertChain.txt'),
    nonce: NONCE_931D,
    serial: '53c22ba15e5d68088282da074ed9fb37aa585771',
    model: 'GH100',
    driverVersion: '550.90.07',
    vbiosVersion: '96.00.9F.00.01',
  },
  ...h100Entries.map((e, i) => ({
    name: `nvtrust 8xH100 #${i}`,
    evidence: new Uint8Array(Buffer.from(e.evidence, 'base64')),
    chain: Buffer.from(e.certificate, 'base64').toString('utf8'),
    nonce: e.nonce,
    serial: H100_SERIALS[i],
    model: 'GH100',
    driverVersion: e.driver_version,
    vbiosVersion: e.vbios_version,
  })),
];
const NVTRUST_HOPPER = SAMPLES[2];

const input = (s: Sample, over: Partial<NvidiaEvidenceInput> = {}): NvidiaEvidenceInput => ({
  evidence: s.evidence,
  certChainPem: s.chain,
  expectedNonce: requestNonce(s.evidence),
  roots: [DEVICE_ROOT],
  at: AT,
  ...over,
});

const pemBlocks = (pem: string) =>
  pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)!;

describe('the NVIDIA samples', () => {
  it('have the 8 H100s of one machine, all asked the same nonce', () => {
    expect(h100Entries).toHaveLength(8);
    expect(h100Entries.every((e) => e.nonce === NONCE_8XH100 && e.arch === 'HOPPER')).toBe(true);
  });

  it.each(SAMPLES.map((s) => [s.name, s] as const))(
    '%s carries the nonce we expect in its request',
    (_, s) => {
      expect(Buffer.from(requestNonce(s.evidence)).toString('hex')).toBe(s.nonce);
    },
  );

  it.each(SAMPLES.map((s) => [s.name, s] as const))(
    '%s verifies to the NVIDIA Device Identity CA',
    (_, s) => {
      const id = verifyNvidiaEvidence(input(s, { expectedNonce: hex(s.nonce) }));
      expect(id.trustMode).toBe('gpu-evidence');
      expect(id.deviceKeyId).toBe(s.serial);
      expect(id.model).toBe(s.model);
      expect(id.leafSubject).toContain(`CN=${s.model} A01 GSP FMC LF`);
      expect(id.driverVersion).toBe(s.driverVersion);
      expect(id.vbiosVersion).toBe(s.vbiosVersion);
      expect(id.measurements).toHaveLength(64);
      expect(id.measurements.map((m) => m.index)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
      expect(id.measurements.every((m) => /^[0-9a-f]{96}$/.test(m.digest))).toBe(true);
      expect(Object.isFrozen(id)).toBe(true);
    },
  );

  it('uses the literal nonce 931d8dd0… for the Blackwell and nvtrust Hopper samples', () => {
    for (const s of [SAMPLES[1], NVTRUST_HOPPER]) {
      expect(verifyNvidiaEvidence(input(s, { expectedNonce: hex(NONCE_931D) })).deviceKeyId).toBe(s.serial);
    }
  });
});

describe('parseSpdmEvidence (DSP0274 1.1 GET_MEASUREMENTS)', () => {
  const parsed = parseSpdmEvidence(NVTRUST_HOPPER.evidence);

  it('splits request, measurement record, opaque data and signature', () => {
    expect(parsed.version).toBe(0x11);
    expect(Buffer.from(parsed.requesterNonce).toString('hex')).toBe(NONCE_931D);
    expect(Buffer.from(parsed.responderNonce).toString('hex')).toBe(
      'b4b8a06aaaa35542839388e159d447a5d6f6194998fd86513e2d591ccf640985',
    );
    expect(parsed.slotId).toBe(0);
    expect(parsed.measurements[0].type).toBe(1);
    expect(parsed.opaque.fwid).toBe(
      'f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d',
    );
    expect(parsed.signature).toHaveLength(96);
    expect(parsed.signedBytes.length + 96).toBe(NVTRUST_HOPPER.evidence.length);
    expect(Buffer.from(parsed.signedBytes.subarray(0, SPDM_REQUEST_BYTES + 4)).toString('hex')).toMatch(
      /^11e001ff[0-9a-f]{64}0011600000$/,
    );
  });

  it('reports no FWID when the GPU sends none (attestation-sdk Hopper, driver 535)', () => {
    expect(parseSpdmEvidence(SAMPLES[0].evidence).opaque.fwid).toBeNull();
  });

  it('keeps a private copy: changing the input later changes nothing', () => {
    const bytes = NVTRUST_HOPPER.evidence.slice();
    const p = parseSpdmEvidence(bytes);
    bytes.fill(0);
    expect(Buffer.from(p.requesterNonce).toString('hex')).toBe(NONCE_931D);
  });
});

describe('when the signature is invalid', () => {
  const chain = text('attestation-sdk/hopperCertChain.txt');

  it('rejects attestation-sdk/hopperAttestationReportInvalidSignature.txt', () => {
    const evidence = hexFile('attestation-sdk/hopperAttestationReportInvalidSignature.txt');
    expect(parseSpdmEvidence(evidence).measurements).toHaveLength(64); // well-formed, wrongly signed
    const run = () => verifyNvidiaEvidence(input({ ...SAMPLES[0], evidence, chain }));
    expect(errorCodeOf(run)).toBe('EVIDENCE_SIGNATURE_INVALID');
    expect(
      errorCodeOf(() =>
        verifyNvidiaEvidence(input({ ...SAMPLES[0], evidence, chain }, { expectedNonce: hex(NONCE_931D) })),
      ),
    ).toBe('EVIDENCE_SIGNATURE_INVALID');
  });

  it('rejects hopperAttestationReportExpired.txt with the only Hopper chain upstream ships beside it', () => {
    // Upstream pairs this report with a chain that is not in the vectors: no leaf we have signed it.
    const evidence = hexFile('attestation-sdk/hopperAttestationReportExpired.txt');
    expect(Buffer.from(requestNonce(evidence)).toString('hex')).toBe(NONCE_931D);
    expect(parseSpdmEvidence(evidence).opaque.driverVersion).toBe('570.124.03');
    for (const s of SAMPLES) {
      expect(errorCodeOf(() => verifyNvidiaEvidence(input({ ...s, evidence })))).toBe(
        'EVIDENCE_SIGNATURE_INVALID',
      );
    }
  });

  it("rejects one GPU's evidence under another GPU's chain", () => {
    const run = () => verifyNvidiaEvidence(input({ ...NVTRUST_HOPPER, chain: SAMPLES[3].chain }));
    expect(errorCodeOf(run)).toBe('EVIDENCE_SIGNATURE_INVALID');
  });
});

describe('when a bit of the evidence is flipped', () => {
  const s = NVTRUST_HOPPER;
  const nonce = hex(NONCE_931D);

  it('never verifies, at any byte position (1000 random positions and bits), and fails with a coded error', () => {
    fc.assert(
      fc.property(fc.nat(s.evidence.length - 1), fc.nat(7), (pos, bit) => {
        const evidence = s.evidence.slice();
        evidence[pos] ^= 1 << bit;
        const code = errorCodeOf(() => verifyNvidiaEvidence(input(s, { evidence, expectedNonce: nonce })));
        expect(code).not.toBe('no error');
        expect(code).not.toBe('not a GeoattestError');
      }),
      { numRuns: 1000 },
    );
  });

  it('never verifies at every position of the request, the headers and the signature', () => {
    const positions = [
      ...Array.from({ length: SPDM_REQUEST_BYTES + 8 }, (_, i) => i),
      ...Array.from({ length: 96 }, (_, i) => s.evidence.length - 96 + i),
    ];
    for (const pos of positions) {
      const evidence = s.evidence.slice();
      evidence[pos] ^= 0x01;
      const code = errorCodeOf(() => verifyNvidiaEvidence(input(s, { evidence, expectedNonce: nonce })));
      expect([pos, code]).toEqual([
        pos,
        expect.stringMatching(/^(EVIDENCE_MALFORMED|EVIDENCE_SIGNATURE_INVALID)$/),
      ]);
    }
  });

  it('never verifies when a byte of the leaf certificate is flipped', () => {
    const blocks = pemBlocks(s.chain);
    const der = Buffer.from(blocks[0].replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    for (const pos of [20, 100, der.length - 10]) {
      const bad = Buffer.from(der);
      bad[pos] ^= 0x40;
      const pem = `-----BEGIN CERTIFICATE-----\n${bad.toString('base64')}\n-----END CERTIFICATE-----\n`;
      const code = errorCodeOf(() =>
        verifyNvidiaEvidence(input(s, { certChainPem: [pem, ...blocks.slice(1)].join('') })),
      );
      expect(code).toMatch(/^(CERT_CHAIN_INVALID|EVIDENCE_SIGNATURE_INVALID)$/);
    }
  });
});

describe('when the nonce is wrong', () => {
  it.each(SAMPLES.slice(0, 3).map((s) => [s.name, s] as const))(
    'rejects %s for another challenge',
    (_, s) => {
      const other = hex(s.nonce);
      other[31] ^= 0x01;
      expect(errorCodeOf(() => verifyNvidiaEvidence(input(s, { expectedNonce: other })))).toBe(
        'EVIDENCE_NONCE_MISMATCH',
      );
      const zero = new Uint8Array(32);
      expect(errorCodeOf(() => verifyNvidiaEvidence(input(s, { expectedNonce: zero })))).toBe(
        'EVIDENCE_NONCE_MISMATCH',
      );
    },
  );

  it('rejects an expected nonce that is not 32 bytes', () => {
    const short = hex(NONCE_931D).subarray(0, 16);
    expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { expectedNonce: short })))).toBe(
      'EVIDENCE_NONCE_MISMATCH',
    );
  });
});

// ---- a made-up "NVIDIA Device Identity CA" and a GPU under it, built with node:crypto alone ----
// node:crypto parses certificates but cannot issue them, so this writes the DER (RFC 5280 §4.1).

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const b = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}
/** RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime after. */
const time = (t: string) => tlv(t.length === 13 ? 0x17 : 0x18, Buffer.from(t));
const ECDSA_WITH_SHA384 = seq(oid('1.2.840.10045.4.3.3'));
const name = (cn: string) =>
  seq(
    tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))),
    tlv(0x31, seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from('NVIDIA')))),
  );

function issue(opts: {
  subject: string;
  issuer: string;
  subjectKey: KeyObject;
  issuerKey: KeyObject;
  serial: number;
  ca: boolean;
  notAfter?: string;
}): X509Certificate {
  const basicConstraints = seq(
    oid('2.5.29.19'),
    tlv(0x01, Buffer.from([0xff])),
    tlv(0x04, seq(...(opts.ca ? [tlv(0x01, Buffer.from([0xff]))] : []))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([0x01, opts.serial])),
    ECDSA_WITH_SHA384,
    name(opts.issuer),
    seq(time('210101000000Z'), time(opts.notAfter ?? '99991231235959Z')),
    name(opts.subject),
    opts.subjectKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(basicConstraints)),
  );
  const signature = sign('sha384', tbs, opts.issuerKey);
  const der = seq(tbs, ECDSA_WITH_SHA384, tlv(0x03, Buffer.from([0]), signature));
  return new X509Certificate(der);
}

/** A GPU that is not one: its own five-certificate chain under a look-alike root, evidence re-signed. */
function fakeGpu(notAfter?: string) {
  const keys = Array.from({ length: 5 }, () => generateKeyPairSync('ec', { namedCurve: 'P-384' }));
  const names = [
    'GH100 A01 GSP FMC LF',
    'GH100 A01 GSP BROM',
    'NVIDIA GH100 Provisioner ICA 1',
    'NVIDIA GH100 Identity',
    'NVIDIA Device Identity CA',
  ];
  const certs = names.map((subject, i) =>
    issue({
      subject,
      issuer: names[Math.min(i + 1, 4)],
      subjectKey: keys[i].publicKey,
      issuerKey: keys[Math.min(i + 1, 4)].privateKey,
      serial: i + 1,
      ca: i > 0,
      notAfter: i === 0 ? notAfter : undefined,
    }),
  );
  const signed = parseSpdmEvidence(NVTRUST_HOPPER.evidence).signedBytes;
  const signature = sign('sha384', signed, { key: keys[0].privateKey, dsaEncoding: 'ieee-p1363' });
  return {
    root: certs[4],
    chain: certs.map((c) => c.toString()).join(''),
    evidence: new Uint8Array(Buffer.concat([signed, signature])),
  };
}

describe('when the chain ends at another root', () => {
  const fake = fakeGpu();
  const fakeInput = (roots: X509Certificate[]) =>
    input(NVTRUST_HOPPER, { evidence: fake.evidence, certChainPem: fake.chain, roots });

  it('accepts the look-alike only when it is passed in as the root (the control)', () => {
    expect(fake.root.subject).toBe(DEVICE_ROOT.subject);
    expect(verifyNvidiaEvidence(fakeInput([fake.root])).deviceKeyId).toBe('0101');
  });

  it('rejects a chain to a self-signed look-alike "NVIDIA Device Identity CA"', () => {
    expect(errorCodeOf(() => verifyNvidiaEvidence(fakeInput([DEVICE_ROOT])))).toBe('CERT_CHAIN_UNTRUSTED');
  });

  it('rejects the real chain when the only root is another real NVIDIA root (verifier_RIM_root.pem)', () => {
    expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { roots: [RIM_ROOT] })))).toBe(
      'CERT_CHAIN_UNTRUSTED',
    );
    expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { roots: [] })))).toBe(
      'CERT_CHAIN_UNTRUSTED',
    );
  });

  it('ignores a root that is not named "NVIDIA Device Identity CA", even when it signed the chain', () => {
    // Roots are trusted only for their purpose: a RIM-signing root must not vouch for devices.
    expect(errorCodeOf(() => verifyNvidiaEvidence(fakeInput([RIM_ROOT])))).toBe('CERT_CHAIN_UNTRUSTED');
  });

  it("rejects the look-alike's root put in place of NVIDIA's at the end of a real chain", () => {
    const blocks = pemBlocks(NVTRUST_HOPPER.chain);
    const chain = [...blocks.slice(0, 4), fake.root.toString()].join('');
    expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { certChainPem: chain })))).toBe(
      'CERT_CHAIN_INVALID',
    );
  });
});

describe('when the chain is shuffled or incomplete', () => {
  const blocks = pemBlocks(NVTRUST_HOPPER.chain);
  const run = (certs: string[]) =>
    errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { certChainPem: certs.join('') })));

  it('rejects every chain with one certificate removed', () => {
    for (let i = 0; i < 5; i++) expect(run(blocks.filter((_, j) => j !== i))).toBe('CERT_CHAIN_INVALID');
  });

  it('rejects a chain with a certificate repeated (six)', () => {
    expect(run([...blocks, blocks[4]])).toBe('CERT_CHAIN_INVALID');
  });

  it('rejects reversed and swapped orders', () => {
    expect(run([...blocks].reverse())).toBe('CERT_CHAIN_INVALID');
    expect(run([blocks[0], blocks[2], blocks[1], blocks[3], blocks[4]])).toBe('CERT_CHAIN_INVALID');
    expect(run([blocks[1], blocks[0], blocks[2], blocks[3], blocks[4]])).toBe('CERT_CHAIN_INVALID');
  });

  it('rejects text that is not a chain', () => {
    expect(run(['not a certificate'])).toBe('CERT_CHAIN_INVALID');
    expect(run(blocks.map((b) => b.replace('MII', 'AII')))).toBe('CERT_CHAIN_INVALID');
  });
});

describe('when a certificate is not valid at the given time', () => {
  it('rejects the real chain before its leaf was valid (17 Oct 2020) and the root (5 Nov 2021)', () => {
    for (const at of [new Date('2019-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z')]) {
      expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { at })))).toBe('CERT_EXPIRED');
    }
  });

  it('rejects a leaf past its notAfter (look-alike chain, trusted for the test)', () => {
    const fake = fakeGpu('240101000000Z');
    const run = (at: Date) =>
      errorCodeOf(() =>
        verifyNvidiaEvidence(
          input(NVTRUST_HOPPER, {
            evidence: fake.evidence,
            certChainPem: fake.chain,
            roots: [fake.root],
            at,
          }),
        ),
      );
    expect(run(new Date('2023-06-01T00:00:00Z'))).toBe('no error');
    expect(run(AT)).toBe('CERT_EXPIRED');
  });

  it('rejects an invalid Date', () => {
    expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { at: new Date(Number.NaN) })))).toBe(
      'CERT_EXPIRED',
    );
  });
});

describe('when the evidence is truncated or extended', () => {
  const e = NVTRUST_HOPPER.evidence;

  it('rejects every truncation at a field boundary and a byte short', () => {
    for (const n of [0, 1, 4, 36, 37, 41, 45, 100, e.length - 97, e.length - 96, e.length - 1]) {
      expect([n, errorCodeOf(() => parseSpdmEvidence(e.subarray(0, n)))]).toEqual([n, 'EVIDENCE_MALFORMED']);
      expect(
        errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { evidence: e.subarray(0, n) }))),
      ).toBe('EVIDENCE_MALFORMED');
    }
  });

  it('rejects a byte appended or prepended', () => {
    for (const bytes of [Buffer.concat([e, Buffer.from([0])]), Buffer.concat([Buffer.from([0x11]), e])]) {
      expect(errorCodeOf(() => verifyNvidiaEvidence(input(NVTRUST_HOPPER, { evidence: bytes })))).toBe(
        'EVIDENCE_MALFORMED',
      );
    }
  });

  it('rejects evidence that is not bytes or is far too long', () => {
    expect(errorCodeOf(() => parseSpdmEvidence('11e0' as unknown as Uint8Array))).toBe('EVIDENCE_MALFORMED');
    expect(errorCodeOf(() => parseSpdmEvidence(new Uint8Array(1 << 20)))).toBe('EVIDENCE_MALFORMED');
  });
});

describe('when a header field is wrong', () => {
  const e = NVTRUST_HOPPER.evidence;
  const at = (pos: number, value: number) => {
    const b = e.slice();
    b[pos] = value;
    return errorCodeOf(() => parseSpdmEvidence(b));
  };

  it('rejects another SPDM version, request or response code, attributes, operation or slot', () => {
    expect(at(0, 0x12)).toBe('EVIDENCE_MALFORMED'); // request version 1.2
    expect(at(1, 0xe1)).toBe('EVIDENCE_MALFORMED'); // not GET_MEASUREMENTS
    expect(at(2, 0x00)).toBe('EVIDENCE_MALFORMED'); // no signature requested
    expect(at(3, 0x01)).toBe('EVIDENCE_MALFORMED'); // one block, not all
    expect(at(36, 8)).toBe('EVIDENCE_MALFORMED'); // slot 8
    expect(at(37, 0x10)).toBe('EVIDENCE_MALFORMED'); // response version 1.0
    expect(at(38, 0x7f)).toBe('EVIDENCE_MALFORMED'); // ERROR, not MEASUREMENTS
    expect(at(41, 63)).toBe('EVIDENCE_MALFORMED'); // block count disagrees with the record
    expect(at(41, 0)).toBe('EVIDENCE_MALFORMED');
  });
});

describe('when the parser is fed hostile bytes', () => {
  it('returns a value or throws EVIDENCE_MALFORMED for random bytes (1000 runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        expect(['no error', 'EVIDENCE_MALFORMED']).toContain(errorCodeOf(() => parseSpdmEvidence(bytes)));
      }),
      { numRuns: 1000 },
    );
  });

  it('returns a value or throws EVIDENCE_MALFORMED for random bytes behind a valid header (1000 runs)', () => {
    const header = NVTRUST_HOPPER.evidence.subarray(0, 45);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (tail) => {
        const bytes = Buffer.concat([header, tail]);
        expect(['no error', 'EVIDENCE_MALFORMED']).toContain(errorCodeOf(() => parseSpdmEvidence(bytes)));
      }),
      { numRuns: 1000 },
    );
  });

  it('returns a value or throws EVIDENCE_MALFORMED for mutated samples (1000 runs)', () => {
    const e = NVTRUST_HOPPER.evidence;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(e.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.nat(e.length),
        (edits, cut) => {
          const bytes = e.slice(0, Math.max(cut, e.length - 200));
          for (const [pos, v] of edits) if (pos < bytes.length) bytes[pos] = v;
          expect(['no error', 'EVIDENCE_MALFORMED']).toContain(errorCodeOf(() => parseSpdmEvidence(bytes)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('sessionKeyNonce (gpu-session mode)', () => {
  const key = new Uint8Array(32).fill(7);
  const challenge = new Uint8Array(32).fill(9);

  it('is SHA-256("geoattest/v1 gpu-session\\0" || session key || challenge)', () => {
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from('geoattest/v1 gpu-session\0', 'latin1'), key, challenge]))
      .digest('hex');
    expect(Buffer.from(sessionKeyNonce(key, challenge)).toString('hex')).toBe(expected);
    expect(sessionKeyNonce(key, challenge)).toHaveLength(32);
  });

  it('changes with every bit of the key and of the challenge', () => {
    const base = Buffer.from(sessionKeyNonce(key, challenge)).toString('hex');
    const seen = new Set([base]);
    for (let i = 0; i < 64 * 8; i++) {
      const k = key.slice();
      const c = challenge.slice();
      if (i < 256) k[i >> 3] ^= 1 << (i & 7);
      else c[(i - 256) >> 3] ^= 1 << (i & 7);
      seen.add(Buffer.from(sessionKeyNonce(k, c)).toString('hex'));
    }
    expect(seen.size).toBe(64 * 8 + 1);
  });

  describe('when its inputs have the wrong size', () => {
    it('rejects a session key that is not 32 bytes with KEY_INVALID', () => {
      expect(errorCodeOf(() => sessionKeyNonce(key.subarray(1), challenge))).toBe('KEY_INVALID');
    });

    it('rejects a challenge that is not 32 bytes', () => {
      expect(errorCodeOf(() => sessionKeyNonce(key, challenge.subarray(1)))).toBe('EVIDENCE_NONCE_MISMATCH');
    });
  });
});

describe('the cost of one verification', () => {
  it('verifies the nvtrust Hopper sample in well under 50 ms', () => {
    const runs = 20;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) verifyNvidiaEvidence(input(NVTRUST_HOPPER));
    const ms = (performance.now() - t0) / runs;
    console.log(`verifyNvidiaEvidence: ${ms.toFixed(2)} ms per verification (mean of ${runs})`);
    expect(ms).toBeLessThan(50);
  });
});
