// The live alert feed: one server-sent-events stream (GET /v1/alerts/stream) shared by everything
// on the page that listens. Read with fetch() rather than EventSource because EventSource cannot
// send an Authorization header, and the token must never go into a URL (URLs end up in logs).
// After a dropped connection it reconnects with backoff and fetches what it missed.

import { ApiError, authHeaders, getJson } from './api.js';
import type { Alert } from './types.js';

export type FeedState = 'connecting' | 'live' | 'retrying' | 'stopped';

type Listener = (a: Alert) => void;
type StateListener = (s: FeedState, detail?: string) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<StateListener>();
let state: FeedState = 'stopped';
let controller: AbortController | undefined;
let lastId = 0;

function setState(s: FeedState, detail?: string): void {
  state = s;
  for (const f of stateListeners) f(s, detail);
}

function deliver(a: Alert): void {
  if (a.id <= lastId) return; // the catch-up and the stream may both carry it
  lastId = a.id;
  for (const f of listeners) f(a);
}

/** Parses one "event stream" block (HTML Living Standard §9.2.6): field lines, data joined by \n. */
export function parseEventBlock(block: string): { event: string; data: string; id?: string } | undefined {
  let event = 'message';
  const data: string[] = [];
  let id: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length === 0 ? undefined : { event, data: data.join('\n'), ...(id ? { id } : {}) };
}

async function run(signal: AbortSignal): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    setState('connecting');
    try {
      const res = await fetch('/v1/alerts/stream', {
        headers: { ...authHeaders(), accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (res.status === 401 || res.status === 403) {
        setState('stopped', res.status === 403 ? 'not available to your role' : 'signed out');
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      setState('live');
      delay = 1000;
      // Catch up on what was raised while we were away (the stream itself starts from now).
      if (lastId > 0) {
        const missed = await getJson<{ alerts: Alert[] }>(`/v1/alerts?after=${lastId}&limit=500`);
        for (const a of missed.alerts.reverse()) deliver(a);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut = buf.search(/\r?\n\r?\n/);
        while (cut >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
          const ev = parseEventBlock(block);
          if (ev?.event === 'alert') deliver(JSON.parse(ev.data) as Alert);
          cut = buf.search(/\r?\n\r?\n/);
        }
      }
      throw new Error('the stream ended');
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        setState('stopped', e.message);
        return;
      }
      setState('retrying', (e as Error).message);
      await new Promise((ok) => setTimeout(ok, delay));
      delay = Math.min(30_000, delay * 2);
    }
  }
}

/** Subscribes to new alerts; the stream runs while anyone listens. Returns the unsubscribe. */
export function onAlert(f: Listener, since = 0): () => void {
  listeners.add(f);
  lastId = Math.max(lastId, since);
  if (controller === undefined) {
    controller = new AbortController();
    void run(controller.signal);
  }
  return () => {
    listeners.delete(f);
    if (listeners.size === 0) {
      controller?.abort();
      controller = undefined;
      setState('stopped');
    }
  };
}

export function onFeedState(f: StateListener): () => void {
  stateListeners.add(f);
  f(state);
  return () => stateListeners.delete(f);
}
