// `geoattest demo`: a handful of chips, landmarks and claims, decided and explained. It shows in a
// minute what a verdict proves and why a proof needs a landmark nearby.

import { parseArgs } from 'node:util';
import { DEFAULT_BOUND } from '../geo/bounds.js';
import { evaluateRecord } from '../geo/evaluate.js';
import { distanceKm } from '../geo/sphere.js';
import { DEFAULT_WHERE } from '../geo/where.js';
import { loadAtlas } from '../io/atlas-file.js';
import { verdictScenarios } from '../sim/verdict-scenarios.js';
import { type CliIo, EXIT_OK, EXIT_USAGE } from './usage.js';

export const DEMO_USAGE = `Usage: geoattest demo [--json]

Decides a few illustrative cases (a chip with a landmark in its own facility, a diverted chip, a
chip far from every landmark, a lying landmark) and explains each verdict.
  --json      one JSON record per case instead of the table
  -h, --help  show this help`;

export async function runDemo(argv: string[], io: CliIo): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    io.stderr.write(`geoattest demo: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(`${DEMO_USAGE}\n`);
    return EXIT_OK;
  }
  const atlas = loadAtlas();
  const opts = { bound: DEFAULT_BOUND, where: DEFAULT_WHERE };
  for (const s of verdictScenarios()) {
    const out = evaluateRecord(
      { id: s.name, claim: s.claim, landmarks: s.landmarks, measurements: s.measurements },
      opts,
      { atlas: () => atlas },
    );
    const errorKm = out.estimate === null ? null : Math.round(distanceKm(out.estimate, s.truth));
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ ...out, truth: s.truth, estimateErrorKm: errorKm })}\n`);
      continue;
    }
    const claim = s.claim.kind === 'country' ? s.claim.code : s.claim.kind;
    io.stdout.write(`\n${s.name}\n`);
    io.stdout.write(
      `  claim ${claim}: ${out.verdict.toUpperCase()}  (proof reaches ${out.proofRadiusKm} km; ` +
        `estimate ${errorKm} km from the truth)\n`,
    );
    for (const r of out.reasons) io.stdout.write(`  - ${r}\n`);
  }
  if (!values.json) {
    io.stdout.write(
      `\nEvery verdict is sound under the ${opts.bound} bound: "inside" and "outside" hold whatever an\n` +
        `adversary does within physics. Decide your own records with 'geoattest verdict --help'.\n`,
    );
  }
  return EXIT_OK;
}
