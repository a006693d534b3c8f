// The verifier: the stores, ingestion and the verdict engine over one database, with the loop that
// drains the verdict queue and sweeps for time-driven alerts. The HTTP layer (app.ts) and the CLI
// both drive this object; nothing here knows about HTTP.

import { generateKeyPairSync, type X509Certificate } from 'node:crypto';
import type { Atlas } from '../geo/atlas.js';
import { loadAtlas } from '../io/atlas-file.js';
import { AlertStore } from '../store/alert-store.js';
import { openStore, type Store, type StoreConfig } from '../store/database.js';
import { EvidenceStore } from '../store/evidence-store.js';
import { LedgerStore } from '../store/ledger-store.js';
import { TokenStore } from '../store/token-store.js';
import { Ingestion, type IngestionOptions } from './ingestion.js';
import { type LogOptions, TransparencyLog, type Witness } from './transparency-log.js';
import { VerdictEngine } from './verdict-engine.js';
import { WorkerPool } from './worker-pool.js';

export interface VerifierOptions extends IngestionOptions {
  /** Roots for GPU evidence ("NVIDIA Device Identity CA"); without them gpu-session evidence is refused. */
  readonly nvidiaRoots?: readonly X509Certificate[];
  /** The transparency log's origin and key (default: origin "geoattest.local/log", a fresh key). */
  readonly log?: LogOptions & { readonly witnesses?: readonly Witness[] };
  /** The clock, injectable so tests can run a day in a second. */
  readonly now?: () => number;
  /** The map (default: Natural Earth 1:10m, loaded on first use). */
  readonly atlas?: () => Atlas;
  /** How often the background loop drains the verdict queue (ms, default 250). */
  readonly verdictIntervalMs?: number;
  /**
   * Worker threads for receipt signatures and verdicts (default 0: on the calling thread).
   * `geoattest serve` uses one per core: the Ed25519 checks and the verdict search are most of
   * the verifier's CPU.
   */
  readonly workers?: number;
  /**
   * How long a queued chip waits before its verdict (ms, default 2,000): a check-in's receipts come
   * from several landmarks within seconds, and should make one verdict.
   */
  readonly verdictSettleMs?: number;
  /** How often it sweeps for missed check-ins, long `unverified` and expired licences (default 60 s). */
  readonly sweepIntervalMs?: number;
}

export class Verifier {
  readonly ledger: LedgerStore;
  readonly evidence: EvidenceStore;
  readonly alerts: AlertStore;
  readonly tokens: TokenStore;
  readonly ingestion: Ingestion;
  readonly engine: VerdictEngine;
  readonly log: TransparencyLog;
  readonly now: () => number;
  readonly nvidiaRoots: readonly X509Certificate[];
  private readonly workers: WorkerPool;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastSweep = 0;
  private stopped = false;
  /** Errors of the background loop, for logs (it keeps running). */
  onLoopError: (e: unknown) => void = () => {};

  constructor(
    readonly store: Store,
    private readonly opts: VerifierOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.nvidiaRoots = opts.nvidiaRoots ?? [];
    let atlas: Atlas | undefined;
    const getAtlas = opts.atlas ?? (() => (atlas ??= loadAtlas('10m')));
    this.ledger = new LedgerStore(store);
    this.evidence = new EvidenceStore(store, { arrivalSlackMs: opts.maxSkewMs });
    this.alerts = new AlertStore(store);
    this.tokens = new TokenStore(store);
    this.workers = new WorkerPool(opts.workers ?? 0, getAtlas);
    this.ingestion = new Ingestion(store, this.evidence, opts, this.workers);
    this.engine = new VerdictEngine(store, this.evidence, this.alerts, {
      atlas: getAtlas,
      workers: this.workers,
    });
    this.log = new TransparencyLog(
      store,
      opts.log ?? { origin: 'geoattest.local/log', privateKey: generateKeyPairSync('ed25519').privateKey },
    );
  }

  static async open(config: StoreConfig, opts: VerifierOptions = {}): Promise<Verifier> {
    return new Verifier(await openStore(config), opts);
  }

  /** After any ledger change: cached keys, statuses and positions are read again. */
  ledgerChanged(): void {
    this.ingestion.invalidate();
    this.engine.invalidate();
  }

  /** One pass of the background work: the verdict queue, then a sweep when one is due. */
  async tick(): Promise<void> {
    const settleMs = this.opts.verdictSettleMs ?? 2000;
    while ((await this.engine.runPending(this.now(), { settleMs })) > 0) {
      // keep going while settled chips are waiting
    }
    let appended = 0;
    for (let n = await this.log.sequence(this.now()); n > 0; n = await this.log.sequence(this.now()))
      appended += n;
    if (appended > 0 && (this.opts.log?.witnesses?.length ?? 0) > 0)
      await this.log.cosign(this.opts.log!.witnesses!, this.now());
    const every = this.opts.sweepIntervalMs ?? 60_000;
    if (this.now() - this.lastSweep >= every) {
      this.lastSweep = this.now();
      await this.engine.sweep(this.now());
    }
  }

  /** Starts the background loop (verdicts are recomputed for anything left queued by a crash). */
  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .catch((e) => this.onLoopError(e))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.verdictIntervalMs ?? 250);
        });
    };
    loop();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.workers.close();
    await this.store.close();
  }
}
