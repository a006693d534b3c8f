// Aligned plain-text output for people: tables of rows and "key  value" records. Cells come from a
// server, so control characters (terminal escapes, newlines) are shown as "?" and never sent raw.

export type Cell = string | number | boolean | null | undefined | readonly unknown[] | object;

/** A column: its header and how to read its cell from a row. */
export type Column<T> = readonly [header: string, cell: (row: T) => unknown];

/** A cell as one line of safe text: null as "-", arrays joined with ",", objects as JSON. */
export function cellText(v: unknown): string {
  let s: string;
  if (v === null || v === undefined || v === '') s = '-';
  else if (Array.isArray(v)) s = v.length === 0 ? '-' : v.map((x) => cellText(x)).join(',');
  else if (typeof v === 'object') s = JSON.stringify(v);
  else s = String(v);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must not reach a terminal
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Rows under their headers, each column as wide as its widest cell, two spaces apart. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const grid = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => cellText(f(r))))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i].length)));
  return grid
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** An object's fields, one per line: "key  value", keys aligned. */
export function formatRecord(record: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${cellText(k).padEnd(width)}  ${cellText(record[k])}`).join('\n');
}
