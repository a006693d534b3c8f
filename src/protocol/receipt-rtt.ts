// The measurement a receipt stands for: its smallest round-trip time (issue 3: k rounds, the
// smallest RTT counts; delays only ever add, so the smallest is the tightest honest bound).

import type { Receipt } from './packet.js';

export function minRttNs(receipt: Receipt): bigint {
  let min = receipt.rounds[0].rttNs;
  for (const r of receipt.rounds) if (r.rttNs < min) min = r.rttNs;
  return min;
}
