// A chip's verdicts over time: one lane per verdict, a dot per decision, and the proof's reach as a
// line where it is disclosed. The same data follows as a table for screen readers. With `href`, each
// dot and row links to that verdict (the chip page then draws its discs), `selected` marked.

import { h, s, table } from '../lib/dom.js';
import { dateTime, km } from '../lib/format.js';
import { VERDICTS, type VerdictView } from '../lib/types.js';

const W = 1000;
const H = 190;
const PAD = { left: 100, right: 16, top: 12, bottom: 28 };

export interface HistoryOptions {
  readonly selected?: number;
  readonly href?: (v: VerdictView) => string;
}

export function verdictHistory(verdicts: readonly VerdictView[], opts: HistoryOptions = {}): HTMLElement {
  const sorted = [...verdicts].sort((a, b) => Date.parse(a.computedAt) - Date.parse(b.computedAt));
  const t0 = Date.parse(sorted[0].computedAt);
  const t1 = Math.max(t0 + 60_000, Date.parse(sorted[sorted.length - 1].computedAt));
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const laneH = (H - PAD.top - PAD.bottom) / VERDICTS.length;
  const y = (v: string) => PAD.top + laneH * (VERDICTS.indexOf(v as never) + 0.5);
  const svg = s('svg', {
    class: 'history-chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `Verdict history: ${sorted.length} verdicts from ${dateTime(sorted[0].computedAt)} to ${dateTime(sorted[sorted.length - 1].computedAt)}`,
  });
  for (const v of VERDICTS) {
    svg.append(
      s('line', { class: 'lane', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'lane-label', x: PAD.left - 8, y: y(v), dy: '0.35em' }, v),
    );
  }
  // Ticks: start, middle, end.
  for (const [t, anchor] of [
    [t0, 'start'],
    [(t0 + t1) / 2, 'middle'],
    [t1, 'end'],
  ] as const) {
    svg.append(
      s(
        'text',
        { class: 'tick', x: x(t), y: H - 8, 'text-anchor': anchor },
        new Date(t).toISOString().slice(0, 16).replace('T', ' '),
      ),
    );
  }
  // The path the chip took through the lanes.
  if (sorted.length > 1)
    svg.append(
      s('path', {
        class: 'history-line',
        d: sorted
          .map((v, i) => `${i === 0 ? 'M' : 'L'}${x(Date.parse(v.computedAt))},${y(v.verdict)}`)
          .join(''),
      }),
    );
  for (const v of sorted) {
    const picked = v.id === opts.selected;
    const cx = x(Date.parse(v.computedAt));
    const c = s('circle', {
      class: `dot v-${v.verdict}${picked ? ' selected' : ''}`,
      cx,
      cy: y(v.verdict),
      r: picked ? 7 : 5,
      'data-verdict-id': v.id,
    });
    c.append(s('title', {}, `${dateTime(v.computedAt)}: ${v.verdict}${picked ? ' (drawn above)' : ''}`));
    if (opts.href === undefined) svg.append(c);
    else {
      const a = s('a', {
        href: opts.href(v),
        class: 'dot-link',
        'aria-label': `Draw the verdict of ${dateTime(v.computedAt)}: ${v.verdict}`,
      });
      a.append(c);
      svg.append(a);
    }
  }
  const rows = [...sorted]
    .reverse()
    .map((v) => [
      opts.href === undefined
        ? dateTime(v.computedAt)
        : h(
            'a',
            { href: opts.href(v), ...(v.id === opts.selected ? { 'aria-current': 'true' } : {}) },
            dateTime(v.computedAt),
          ),
      h('span', { class: `verdict v-${v.verdict}` }, v.verdict),
      v.region,
      v.bound,
      km(v.proofRadiusKm),
      String(v.landmarksUsed),
    ]);
  return h(
    'div',
    { class: 'history' },
    svg,
    h(
      'details',
      {},
      h('summary', {}, 'Verdict history as a table'),
      table(
        'Verdicts, newest first',
        ['Decided', 'Verdict', 'Region', 'Bound', 'Proof reaches', 'Landmarks'],
        rows,
      ),
    ),
  );
}
