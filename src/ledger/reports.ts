// The two reports a regulator and a licence holder ask for, as pure functions over rows: the
// diversion and tamper report of a period, and the revenue share each licence owes per quarter.

export interface Quarter {
  readonly year: number;
  /** 1..4 */
  readonly quarter: number;
}

export function quarterOf(ms: number): Quarter {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), quarter: Math.floor(d.getUTCMonth() / 3) + 1 };
}

export function quarterRange(q: Quarter): { from: number; to: number } {
  const from = Date.UTC(q.year, (q.quarter - 1) * 3, 1);
  const to = Date.UTC(q.year, q.quarter * 3, 1);
  return { from, to };
}

export interface ShipmentFacts {
  readonly licenceId: string;
  readonly invoiceMinor: number;
  readonly currency: string;
  readonly shippedAt: number;
}

export interface RevenueShareRow {
  readonly licenceId: string;
  readonly quarter: string;
  readonly currency: string;
  readonly shipments: number;
  readonly invoiceTotal: number;
  readonly sharePct: number;
  /** invoiceTotal × sharePct / 100, rounded to the cent (half away from zero). */
  readonly shareDue: number;
}

/** Invoice totals × the licence's percentage, per licence, quarter and currency, in cents exactly. */
export function revenueShare(
  shipments: readonly ShipmentFacts[],
  sharePct: ReadonlyMap<string, number>,
): RevenueShareRow[] {
  const groups = new Map<
    string,
    { licenceId: string; quarter: string; currency: string; n: number; minor: number }
  >();
  for (const s of shipments) {
    const q = quarterOf(s.shippedAt);
    const quarter = `${q.year}-Q${q.quarter}`;
    const key = `${s.licenceId}\u0000${quarter}\u0000${s.currency}`;
    const g = groups.get(key) ?? { licenceId: s.licenceId, quarter, currency: s.currency, n: 0, minor: 0 };
    g.n += 1;
    g.minor += s.invoiceMinor;
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        a.licenceId.localeCompare(b.licenceId) ||
        a.quarter.localeCompare(b.quarter) ||
        a.currency.localeCompare(b.currency),
    )
    .map((g) => {
      const pct = sharePct.get(g.licenceId) ?? 0;
      return {
        licenceId: g.licenceId,
        quarter: g.quarter,
        currency: g.currency,
        shipments: g.n,
        invoiceTotal: g.minor / 100,
        sharePct: pct,
        shareDue: Math.round((g.minor * pct) / 100) / 100,
      };
    });
}

export interface DiversionRow {
  readonly chipId: string;
  readonly model: string;
  readonly licenceId: string;
  readonly endUserId: string;
  readonly region: string;
  readonly alerts: string;
  /** The last verdict that proved the chip inside its licence, with its time, or empty. */
  readonly lastProvenInside: string;
  readonly lastProvenRegion: string;
  /** Verdict history in the period: "time verdict" items joined by "; ". */
  readonly verdictHistory: string;
  /** Evidence hashes of those verdicts, joined by " ". */
  readonly evidenceHashes: string;
}

/** RFC 4180 CSV: fields quoted when needed, CRLF line ends, a header row. */
export function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    // A leading = + - @ would make a spreadsheet run it as a formula: quote it with a ' prefix.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
