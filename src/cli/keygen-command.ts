// `geoattest keygen`: a new Ed25519 key file for a landmark or a software device identity.

import { parseArgs } from 'node:util';
import { deviceKeyId } from '../attest/software-identity.js';
import { isGeoattestError } from '../errors.js';
import { createKeyFile } from '../io/key-file.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './usage.js';

export const KEYGEN_USAGE = `Usage: geoattest keygen --out FILE [--force] [--json]

Creates an Ed25519 private key in FILE (PKCS#8 PEM, mode 0600) and prints its public key, which
the verifier registers for the landmark or the chip. Landmarks and agents refuse to start on a key
file that others can read.
  --out FILE   where to write the private key (refuses to overwrite)
  --force      replace an existing FILE
  --json       print {"publicKey", "keyId"} as JSON
  -h, --help   show this help`;

export async function runKeygen(argv: string[], io: CliIo): Promise<number> {
  let values: { out?: string; force?: boolean; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (!values.help && values.out === undefined) throw new Error('--out FILE is required');
  } catch (e) {
    io.stderr.write(`geoattest keygen: ${(e as Error).message}\nTry 'geoattest keygen --help'.\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(`${KEYGEN_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    const pair = createKeyFile(values.out!, values.force === true);
    const publicKey = Buffer.from(pair.publicKeyRaw).toString('base64');
    const keyId = deviceKeyId(pair.publicKeyRaw);
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ publicKey, keyId })}\n`
        : `wrote ${values.out} (mode 0600)\npublic key (Ed25519, base64): ${publicKey}\nkey id: ${keyId}\n`,
    );
    return EXIT_OK;
  } catch (e) {
    if (!isGeoattestError(e)) throw e;
    io.stderr.write(`geoattest keygen: ${e.message}\n`);
    return EXIT_FAILURE;
  }
}
