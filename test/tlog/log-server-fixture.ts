// A tiny static tiled log for tests: built entirely from the pure code (tree builder, signed
// checkpoint), served by node:http on 127.0.0.1 as c2sp.org/tlog-tiles paths. Tests tamper with
// `files` to play a dishonest log.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { ed25519Signer, type SignerKey } from '../../src/tlog/note-keys.js';
import { formatTilePath } from '../../src/tlog/tiles.js';
import { TreeBuilder } from '../../src/tlog/tree-builder.js';
import { encodeVerdictLeaf, LEAF_CODES } from '../../src/tlog/verdict-leaf.js';

export function verdictEntry(i: number, tag = 'ok'): Uint8Array {
  const h = (n: number) => new Uint8Array(32).fill(n & 0xff);
  return encodeVerdictLeaf({
    version: 1,
    chipPseudonym: h(i),
    licence: `LIC-${tag}-${i % 7}`,
    verdict: LEAF_CODES.verdict[i % 4],
    region: i % 3 === 0 ? 'MY' : `geofence:${'ab'.repeat(32)}`,
    bound: LEAF_CODES.bound[i % 2],
    trustMode: LEAF_CODES.trustMode[i % 3],
    where: LEAF_CODES.where[i % 3],
    windowStartMs: 1_764_000_000_000 + i * 1000,
    windowEndMs: 1_764_000_000_000 + i * 1000 + 3_600_000,
    evidenceHash: h(i * 7),
    verifierVersion: 'geoattest 0.1.0',
  });
}

export class StaticLog {
  readonly files = new Map<string, Uint8Array>();
  #builder = TreeBuilder.empty();
  #server: Server | undefined;
  url = '';

  constructor(
    readonly origin: string,
    readonly key: SignerKey,
  ) {}

  /** Appends entries, writes their tiles and a new signed checkpoint. */
  append(entries: readonly Uint8Array[]): void {
    const r = this.#builder.append(entries);
    this.#builder = r.builder;
    for (const t of r.tiles) this.files.set(formatTilePath(t.coord), t.bytes);
    this.setCheckpoint(
      signCheckpoint({ origin: this.origin, size: r.size, root: r.root, extensions: [] }, [
        ed25519Signer(this.key),
      ]),
    );
  }

  setCheckpoint(note: string): void {
    this.files.set('checkpoint', new TextEncoder().encode(note));
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const body = this.files.get((req.url ?? '').replace(/^\/log\//, ''));
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
        .end(body);
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/log`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
