// Reading a tiled log over HTTP (c2sp.org/tlog-tiles): the checkpoint, hash tiles and entry
// bundles. Every request has a timeout and a size cap; anything but 200 is TLOG_FETCH_FAILED, with
// the one fallback the spec allows: a partial tile that is gone is read from its full tile.

import { GeoattestError } from '../errors.js';
import type { LogReader } from '../tlog/audit.js';
import { MAX_NOTE_BYTES } from '../tlog/note.js';
import { formatTilePath, MAX_ENTRY_BYTES, TILE_WIDTH, type TileCoord } from '../tlog/tiles.js';

export interface HttpLogReaderOptions {
  readonly timeoutMs?: number;
  /** Injected for tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

const HASH_TILE_BYTES = TILE_WIDTH * 32;
const BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_BYTES);

/** A LogReader for the log at `base` (its tlog-tiles prefix, e.g. https://log.example/v1). */
export function httpLogReader(base: string, opts: HttpLogReaderOptions = {}): LogReader {
  const prefix = base.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function get(path: string, maxBytes: number): Promise<Uint8Array | 404> {
    const url = `${prefix}/${path}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { 'accept-encoding': 'gzip, identity' },
      });
    } catch (cause) {
      throw new GeoattestError('TLOG_FETCH_FAILED', `cannot fetch ${url}`, { cause });
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return 404;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new GeoattestError('TLOG_FETCH_FAILED', `${url}: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes)
      throw new GeoattestError('TLOG_FETCH_FAILED', `${url}: larger than ${maxBytes} bytes`);
    // Read with a cap as it streams: a compressed body's length says nothing of its real size.
    const chunks: Uint8Array[] = [];
    let n = 0;
    try {
      for await (const chunk of res.body ?? []) {
        n += chunk.length;
        if (n > maxBytes) {
          await res.body?.cancel();
          throw new GeoattestError('TLOG_FETCH_FAILED', `${url}: larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (cause) {
      if (cause instanceof GeoattestError) throw cause;
      throw new GeoattestError('TLOG_FETCH_FAILED', `cannot read ${url}`, { cause });
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  const must = (path: string, r: Uint8Array | 404): Uint8Array => {
    if (r === 404) throw new GeoattestError('TLOG_FETCH_FAILED', `${prefix}/${path}: HTTP 404`);
    return r;
  };

  return {
    async checkpoint() {
      return must('checkpoint', await get('checkpoint', MAX_NOTE_BYTES));
    },
    async tile(coord: TileCoord) {
      const path = formatTilePath(coord);
      const max = coord.kind === 'entries' ? BUNDLE_BYTES : HASH_TILE_BYTES;
      const r = await get(path, max);
      if (r !== 404 || coord.width === TILE_WIDTH) return must(path, r);
      // tlog-tiles "Partial Tiles": a log may delete a partial tile once the full one exists.
      const full = must(path, await get(formatTilePath({ ...coord, width: TILE_WIDTH }), max));
      if (coord.kind === 'hashes') return full.subarray(0, coord.width * 32);
      let at = 0;
      for (let i = 0; i < coord.width && at + 2 <= full.length; i++)
        at += 2 + ((full[at] << 8) | full[at + 1]);
      return full.subarray(0, at);
    },
  };
}
