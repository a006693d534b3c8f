// `geoattest verdict`: JSON Lines of questions in, JSON Lines of verdicts out, one per line, in
// order. A bad line becomes an error record and the run goes on; only usage errors stop it early.

import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { GeoattestError, isGeoattestError } from '../errors.js';
import { DEFAULT_BOUND, isBoundName } from '../geo/bounds.js';
import { buildCalibration, type Calibration, type CalibrationPair } from '../geo/calibration.js';
import { evaluateRecord } from '../geo/evaluate.js';
import { errorRecord, parseRecordLine, recordId } from '../geo/verdict-record.js';
import { DEFAULT_WHERE, isWherePolicy } from '../geo/where.js';
import { type AtlasResolution, DEFAULT_RESOLUTION, loadAtlas } from '../io/atlas-file.js';
import { readLines } from '../io/lines.js';
import { progressBar } from './progress.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, usageError } from './usage.js';

export const VERDICT_USAGE = `Usage: geoattest verdict [options]

Decides, for each JSON Lines record, whether the chip is proven inside its claimed region,
proven outside, unverified, or whether the evidence is inconsistent with physics.

Options:
  --input FILE|-        records to read (default: standard input)
  --output FILE|-       where to write verdicts (default: standard output)
  --bound vacuum|fiber  propagation bound (default: vacuum, sound against anyone)
  --where territorial|land|anywhere
                        where a chip can be (default: territorial)
  --margin-km N         border margin in km (default: the map's, 10m: see docs/verdicts.md)
  --calibration FILE    JSON Lines of landmark-to-landmark RTTs {"from","to","rttMs"},
                        used by the estimate only
  --map 10m|50m         Natural Earth scale of country borders (default: 10m)
  --max-line-bytes N    longest accepted input line (default: 1048576)
  -h, --help            show this help

Input record:
  {"id": "c1", "claim": {"country": "SG"} | {"geofence": <GeoJSON Polygon|MultiPolygon>}
                        | {"circle": {"lat": 1.3, "lon": 103.8, "radiusKm": 50}},
   "landmarks": [{"id": "L1", "lat": 1.29, "lon": 103.85}],
   "measurements": [{"landmark": "L1", "rttMs": 0.2, "trustMode": "software"}]}
  (trustMode: software | gpu-evidence | gpu-session; default software)
Output record:
  {"id": "c1", "verdict": "inside", "bound": "vacuum", "where": "territorial", "marginKm": 5,
   "trustModes": ["software"],
   "estimate": {"lat": .., "lon": .., "radiusKm": ..} | null, "landmarksUsed": 1,
   "proofRadiusKm": 29.98, "reasons": ["..."]}
  A bad line gives {"id": .., "error": {"code": "..", "message": ".."}} and the run goes on.

Exit status: 0 when the input was read to its end (error records included), 1 when the input
or output failed, 2 on usage errors. The number of error records goes to standard error.`;

interface VerdictOptions {
  input: string;
  output: string;
  bound: 'vacuum' | 'fiber';
  where: 'territorial' | 'land' | 'anywhere';
  marginKm?: number;
  calibration?: string;
  map: AtlasResolution;
  maxLineBytes: number;
}

function parseOptions(argv: string[]): VerdictOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: 'string' },
        output: { type: 'string' },
        bound: { type: 'string' },
        where: { type: 'string' },
        'margin-km': { type: 'string' },
        calibration: { type: 'string' },
        map: { type: 'string' },
        'max-line-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (values.help) return 'help';
  const bound = (values.bound as string | undefined) ?? DEFAULT_BOUND;
  if (!isBoundName(bound)) throw usageError(`--bound must be vacuum or fiber, not ${JSON.stringify(bound)}`);
  const where = (values.where as string | undefined) ?? DEFAULT_WHERE;
  if (!isWherePolicy(where))
    throw usageError(`--where must be territorial, land or anywhere, not ${JSON.stringify(where)}`);
  const map = (values.map as string | undefined) ?? DEFAULT_RESOLUTION;
  if (map !== '10m' && map !== '50m') throw usageError(`--map must be 10m or 50m`);
  let marginKm: number | undefined;
  if (values['margin-km'] !== undefined) {
    marginKm = Number(values['margin-km']);
    if (!Number.isFinite(marginKm) || marginKm < 0 || marginKm > 1000) {
      throw usageError('--margin-km must be a number of km between 0 and 1000');
    }
  }
  const maxLineBytes = Number(values['max-line-bytes'] ?? 1 << 20);
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 64)
    throw usageError('--max-line-bytes must be an integer >= 64');
  return {
    input: (values.input as string | undefined) ?? '-',
    output: (values.output as string | undefined) ?? '-',
    bound,
    where,
    marginKm,
    calibration: values.calibration as string | undefined,
    map,
    maxLineBytes,
  };
}

/** Reads the calibration file: all of it, strictly; a bad line is a usage error naming the line. */
function readCalibrationPairs(path: string): CalibrationPair[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read --calibration ${path}: ${(cause as Error).message}`);
  }
  const pairs: CalibrationPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new GeoattestError('INVALID_CALIBRATION', `--calibration line ${i + 1} is not JSON`);
    }
    const p = v as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof p.from !== 'string' || typeof p.to !== 'string') {
      throw new GeoattestError(
        'INVALID_CALIBRATION',
        `--calibration line ${i + 1} needs string "from" and "to"`,
      );
    }
    if (typeof p.rttMs !== 'number' || !Number.isFinite(p.rttMs) || p.rttMs < 0) {
      throw new GeoattestError(
        'INVALID_CALIBRATION',
        `--calibration line ${i + 1} needs a finite rttMs >= 0`,
      );
    }
    pairs.push({ from: p.from, to: p.to, rttMs: p.rttMs });
  });
  return pairs;
}

export async function runVerdict(argv: string[], io: CliIo): Promise<number> {
  let opts: VerdictOptions | 'help';
  let pairs: CalibrationPair[] | undefined;
  try {
    opts = parseOptions(argv);
    if (opts === 'help') {
      io.stdout.write(`${VERDICT_USAGE}\n`);
      return EXIT_OK;
    }
    if (opts.calibration !== undefined) pairs = readCalibrationPairs(opts.calibration);
    if (opts.input === '-' && (io.stdin as Partial<{ isTTY: boolean }>).isTTY) {
      throw usageError('no input: give --input FILE, or pipe records into standard input');
    }
  } catch (e) {
    io.stderr.write(`geoattest verdict: ${(e as Error).message}\nTry 'geoattest verdict --help'.\n`);
    return EXIT_USAGE;
  }
  const o = opts;
  let input: Readable;
  let total: number | undefined;
  try {
    if (o.input === '-') input = io.stdin as Readable;
    else {
      total = statSync(o.input).size;
      input = createReadStream(o.input);
    }
  } catch (e) {
    io.stderr.write(`geoattest verdict: cannot read ${o.input}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  const output: NodeJS.WritableStream = o.output === '-' ? io.stdout : createWriteStream(o.output);
  let outputFailed: Error | undefined;
  output.on('error', (e: Error) => {
    outputFailed = e;
  });
  const write = async (record: unknown) => {
    if (output.write(`${JSON.stringify(record)}\n`)) return;
    // Back-pressure: wait for the stream to drain (or fail), then drop both listeners.
    await new Promise<void>((resolve) => {
      const done = () => {
        output.off('drain', done);
        output.off('error', done);
        resolve();
      };
      output.on('drain', done);
      output.on('error', done);
    });
  };

  // Landmark positions for the calibration come from the records; it is rebuilt when a record
  // brings a landmark not seen before (normally only the first one does).
  const positions = new Map<string, { lat: number; lon: number }>();
  let calibration: Calibration | undefined;
  const progress = progressBar(io.stderr, 'verdict', total);
  const ctx = { atlas: () => loadAtlas(o.map) };
  let done = 0;
  let records = 0;
  let errors = 0;
  try {
    for await (const item of readLines(input, o.maxLineBytes)) {
      done += item.bytes;
      if (item.kind === 'line' && item.text.trim() === '') continue;
      records++;
      let out: unknown;
      if (item.kind === 'too-long') {
        errors++;
        out = errorRecord(
          null,
          new GeoattestError(
            'INPUT_LINE_TOO_LONG',
            `line of ${item.bytes - 1} bytes exceeds ${o.maxLineBytes}`,
          ),
        );
      } else {
        try {
          const rec = parseRecordLine(item.text);
          if (pairs !== undefined) {
            let fresh = false;
            for (const l of rec.landmarks) {
              if (!positions.has(l.id)) {
                positions.set(l.id, { lat: l.lat, lon: l.lon });
                fresh = true;
              }
            }
            // Pairs naming landmarks no record has listed yet wait until one does.
            if (fresh || calibration === undefined) {
              const known = pairs.filter((p) => positions.has(p.from) && positions.has(p.to));
              calibration = buildCalibration(known, positions);
            }
          }
          out = evaluateRecord(
            rec,
            { bound: o.bound, where: o.where, marginKm: o.marginKm, calibration },
            ctx,
          );
        } catch (e) {
          if (!isGeoattestError(e)) throw e;
          if (e.code === 'IO_ERROR' || e.code === 'ATLAS_INVALID') throw e;
          errors++;
          let id = null;
          try {
            id = recordId(JSON.parse(item.text));
          } catch {
            // not JSON: no id to report
          }
          out = errorRecord(id, e);
        }
      }
      await write(out);
      if (outputFailed) throw outputFailed;
      progress.update(done, records);
    }
  } catch (e) {
    progress.finish();
    io.stderr.write(`geoattest verdict: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  progress.finish();
  if (output !== io.stdout) {
    await new Promise<void>((resolve) => output.end(resolve));
  }
  if (outputFailed) {
    io.stderr.write(`geoattest verdict: cannot write ${o.output}: ${outputFailed.message}\n`);
    return EXIT_FAILURE;
  }
  io.stderr.write(`geoattest verdict: ${records} records, ${errors} errors\n`);
  return EXIT_OK;
}
