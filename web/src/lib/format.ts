// How numbers, times and hashes read on screen.

export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function date(iso: string): string {
  return iso.slice(0, 10);
}

export function km(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (x < 10) return `${x.toFixed(2)} km`;
  return `${Math.round(x).toLocaleString('en')} km`;
}

export function ms(x: number): string {
  return x < 1 ? `${x.toFixed(3)} ms` : `${x.toFixed(2)} ms`;
}

/** A hash shortened for tables; the full value stays in the title and in copy/paste. */
export function shortHash(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex;
}

export function money(x: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(x);
  } catch {
    return `${x.toFixed(2)} ${currency}`;
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
