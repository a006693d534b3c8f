// The measurement a receipt stands for: its smallest round-trip time (issue 3: k rounds, the
// smallest RTT counts; delays only ever add, so the smallest is the tightest honest bound). The
// round that gave it is the *decisive* round: the only one whose device signature the landmark
// checks and the receipt carries (docs/protocol.md, "The decisive round").

import type { Receipt, ReceiptRound } from './packet.js';

/**
 * Index of the round with the smallest RTT, the earliest on ties (so one list of rounds has one
 * decisive round, and the receipt's encoding stays canonical). `rounds` must not be empty.
 */
export function decisiveRoundOf(rounds: readonly Pick<ReceiptRound, 'rttNs'>[]): number {
  let best = 0;
  for (let i = 1; i < rounds.length; i++) if (rounds[i].rttNs < rounds[best].rttNs) best = i;
  return best;
}

export function minRttNs(receipt: Receipt): bigint {
  return receipt.rounds[decisiveRoundOf(receipt.rounds)].rttNs;
}
