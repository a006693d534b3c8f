// What every page gets, and what it returns: an optional cleanup (a live feed to close).

import type { Principal } from '../lib/types.js';

export interface PageContext {
  readonly me: Principal;
  /** Path segments after the page name: #/chips/GPU-1 gives ['GPU-1']. */
  readonly rest: readonly string[];
  readonly params: URLSearchParams;
}

export type Page = (main: HTMLElement, ctx: PageContext) => (() => void) | undefined;

/** Replaces the page's query parameters (keeps the page and path). */
export function setParams(params: Record<string, string | undefined>): void {
  const [path] = location.hash.split('?', 1);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  location.hash = s === '' ? path : `${path}?${s}`;
}
