// npm run bench:verdict — verdicts per second on a synthetic batch (default 10,000 records × 30
// landmarks), through the same path as `geoattest verdict`: parse the line, decide, estimate,
// serialise. Median of several runs, one core (Node runs it on one thread).
//
// Options: --records N (10000) --landmarks N (30) --runs N (5) --seed N (1) --json

import { parseArgs } from 'node:util';
import { evaluateRecord } from '../src/geo/evaluate.js';
import { parseRecordLine } from '../src/geo/verdict-record.js';
import { loadAtlas } from '../src/io/atlas-file.js';
import { syntheticRecords } from './synthetic-records.js';
import { median, quantile, table } from './table.js';

const TARGET_PER_SECOND = 2000;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    landmarks: { type: 'string', default: '30' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const records = Number(values.records);
const landmarks = Number(values.landmarks);
const runs = Number(values.runs);

const loadStart = performance.now();
const atlas = loadAtlas('10m');
const loadMs = performance.now() - loadStart;
const lines = syntheticRecords({ records, landmarks, seed: Number(values.seed) });
const ctx = { atlas: () => atlas };
const opts = { bound: 'vacuum' as const, where: 'territorial' as const };

// Baseline measured in the same run: only parsing and re-serialising each line, the floor any
// JSON Lines tool pays. The ratio to it is steadier than raw rates on a shared, noisy machine.
function baselineRate(): number {
  const t0 = performance.now();
  for (const line of lines) JSON.stringify(JSON.parse(line));
  return lines.length / ((performance.now() - t0) / 1000);
}
const baselineRates: number[] = [];
const rates: number[] = [];
let latencies: number[] = [];
const mix: Record<string, number> = {};
for (let run = 0; run < runs; run++) {
  baselineRates.push(baselineRate());
  const perRecord: number[] = [];
  const t0 = performance.now();
  for (const line of lines) {
    const s = performance.now();
    const out = evaluateRecord(parseRecordLine(line), opts, ctx);
    JSON.stringify(out);
    perRecord.push(performance.now() - s);
    if (run === 0) mix[out.verdict] = (mix[out.verdict] ?? 0) + 1;
  }
  const secs = (performance.now() - t0) / 1000;
  rates.push(lines.length / secs);
  if (!values.json)
    process.stderr.write(`run ${run + 1}/${runs}: ${Math.round(lines.length / secs)} verdicts/s\n`);
  if (run === runs - 1) latencies = perRecord.sort((a, b) => a - b);
}

const result = {
  records,
  landmarksPerRecord: landmarks,
  runs,
  atlasLoadMs: Math.round(loadMs),
  verdictsPerSecondMedian: Math.round(median(rates)),
  verdictsPerSecondMin: Math.round(Math.min(...rates)),
  verdictsPerSecondMax: Math.round(Math.max(...rates)),
  msPerVerdictP50: +quantile(latencies, 0.5).toFixed(3),
  msPerVerdictP99: +quantile(latencies, 0.99).toFixed(3),
  msPerVerdictMax: +quantile(latencies, 1).toFixed(3),
  baselineRecordsPerSecondMedian: Math.round(median(baselineRates)),
  costVersusBaseline: +(median(baselineRates) / median(rates)).toFixed(1),
  verdictMix: mix,
  target: TARGET_PER_SECOND,
  meetsTarget: median(rates) >= TARGET_PER_SECOND,
};

if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `\ngeoattest verdict benchmark — ${records} records × ${landmarks} landmarks, ${runs} runs, one core\n`,
  );
  console.log(
    table(
      ['measure', 'value'],
      [
        ['verdicts/s (median)', result.verdictsPerSecondMedian],
        ['verdicts/s (min .. max)', `${result.verdictsPerSecondMin} .. ${result.verdictsPerSecondMax}`],
        ['ms per verdict p50', result.msPerVerdictP50],
        ['ms per verdict p99', result.msPerVerdictP99],
        ['ms per verdict max', result.msPerVerdictMax],
        ['map load (ms, once)', result.atlasLoadMs],
        ['baseline: JSON parse+stringify/s', result.baselineRecordsPerSecondMedian],
        ['verdict cost / baseline (x)', result.costVersusBaseline],
        ...Object.entries(mix).map(([k, n]) => [`verdicts ${k}`, n] as [string, number]),
        ['target verdicts/s', `>= ${TARGET_PER_SECOND}: ${result.meetsTarget ? 'met' : 'NOT met'}`],
      ],
    ),
  );
}
