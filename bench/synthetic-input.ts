// Writes synthetic verdict records (bench/synthetic-records.ts) to standard output until about
// --bytes bytes: input for measuring `geoattest verdict` on large files, e.g.
//   node dist/bench/synthetic-input.js --bytes 1073741824 > /tmp/in.jsonl
//   /usr/bin/time -v node bin/geoattest.js verdict --input /tmp/in.jsonl --output /dev/null

import { parseArgs } from 'node:util';
import { syntheticRecords } from './synthetic-records.js';

const { values } = parseArgs({
  options: { bytes: { type: 'string', default: String(1 << 30) }, seed: { type: 'string', default: '7' } },
});
const target = Number(values.bytes);
const batch = `${syntheticRecords({ records: 2000, landmarks: 30, seed: Number(values.seed) }).join('\n')}\n`;
let written = 0;
while (written < target) {
  if (!process.stdout.write(batch)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  written += Buffer.byteLength(batch);
}
