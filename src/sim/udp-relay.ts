// A user-space delaying UDP relay: the kernel here has no netem, so tests and demos put this
// between an agent and a landmark to make a near chip look far. Each client gets its own upstream
// socket (as a NAT would), so replies find their way back; each direction has its own delay and
// jitter. Timers alone fire up to ~1 ms late, so the last stretch before a packet is due is spent
// polling the monotonic clock: precision over CPU, which a test tool can afford.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface RelayOptions {
  readonly listen: Endpoint;
  readonly target: Endpoint;
  /** One-way delays in ms: client → target (up) and target → client (down). */
  readonly upMs: number;
  readonly downMs: number;
  /** Uniform jitter added to each packet's delay, in ms (default 0). */
  readonly jitterMs?: number;
  /** Random source for jitter (injected for determinism). */
  readonly random?: () => number;
  /** Clients remembered at most; the oldest is forgotten first. */
  readonly maxClients?: number;
}

interface Pending {
  readonly due: bigint;
  readonly send: () => void;
}

/** Timers are trusted up to this much before a packet is due; the rest is polled. */
const SPIN_NS = 2_000_000n;

export class DelayRelay {
  private readonly front: Socket;
  private readonly clients = new Map<string, Socket>();
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private spinning = false;
  private closed = false;

  constructor(private readonly opts: RelayOptions) {
    this.front = createSocket('udp4');
    this.front.on('message', (msg, from) => this.fromClient(msg, from));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.front.once('error', reject);
      this.front.bind(this.opts.listen.port, this.opts.listen.host, () => {
        this.front.off('error', reject);
        resolve(this.front.address().port);
      });
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.front.close();
    for (const s of this.clients.values()) s.close();
    this.clients.clear();
  }

  private delayNs(baseMs: number): bigint {
    const jitter = (this.opts.jitterMs ?? 0) * (this.opts.random ?? Math.random)();
    return BigInt(Math.round((baseMs + jitter) * 1e6));
  }

  private fromClient(msg: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let upstream = this.clients.get(key);
    if (upstream === undefined) {
      if (this.clients.size >= (this.opts.maxClients ?? 1024)) {
        const [oldKey, oldSocket] = this.clients.entries().next().value!;
        oldSocket.close();
        this.clients.delete(oldKey);
      }
      const socket = createSocket('udp4');
      socket.on('message', (reply) => {
        this.schedule(this.delayNs(this.opts.downMs), () => {
          if (!this.closed) this.front.send(reply, from.port, from.address);
        });
      });
      socket.bind(0, this.opts.listen.host);
      this.clients.set(key, socket);
      upstream = socket;
    }
    const out = upstream;
    this.schedule(this.delayNs(this.opts.upMs), () => {
      if (!this.closed) out.send(msg, this.opts.target.port, this.opts.target.host);
    });
  }

  private schedule(delay: bigint, send: () => void): void {
    const due = process.hrtime.bigint() + delay;
    // Keep the queue sorted by due time (jitter can reorder packets, as real paths do).
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].due > due) i--;
    this.queue.splice(i, 0, { due, send });
    this.arm();
  }

  private arm(): void {
    if (this.closed || this.spinning || this.queue.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const wait = this.queue[0].due - process.hrtime.bigint() - SPIN_NS;
    if (wait > 0n) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.spin();
        },
        Number(wait / 1_000_000n),
      );
    } else this.spin();
  }

  private spin(): void {
    this.spinning = true;
    const step = () => {
      if (this.closed) return;
      const now = process.hrtime.bigint();
      while (this.queue.length > 0 && this.queue[0].due <= now) this.queue.shift()!.send();
      if (this.queue.length === 0 || this.queue[0].due - now > SPIN_NS) {
        this.spinning = false;
        this.arm();
        return;
      }
      setImmediate(step);
    };
    step();
  }
}
