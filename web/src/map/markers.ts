// Markers drawn on the map: chips clustered by screen distance and shown as small pies of their
// verdicts, landmarks as triangles. Sizes are in screen pixels, whatever the zoom.

import { h, s } from '../lib/dom.js';
import type { Landmark } from '../lib/types.js';
import type { DrawContext, MapLayer } from './world-map.js';

/** 'none': no verdict yet. */
export type Status = 'inside' | 'outside' | 'unverified' | 'inconsistent' | 'none';
export const STATUSES: readonly Status[] = ['inside', 'outside', 'unverified', 'inconsistent', 'none'];

export interface PlacedChip {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
  readonly status: Status;
}

/** Chips closer than this on screen share a marker. */
const CLUSTER_PX = 34;

function pieSlice(cx: number, cy: number, r: number, a0: number, a1: number): string {
  if (a1 - a0 >= 2 * Math.PI - 1e-9)
    return `M${cx - r},${cy}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
  const x0 = cx + r * Math.sin(a0);
  const y0 = cy - r * Math.cos(a0);
  const x1 = cx + r * Math.sin(a1);
  const y1 = cy - r * Math.cos(a1);
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return `M${cx},${cy}L${x0},${y0}A${r},${r} 0 ${large},1 ${x1},${y1}Z`;
}

function describe(counts: Map<Status, number>, n: number): string {
  const parts = STATUSES.filter((k) => counts.has(k)).map(
    (k) => `${counts.get(k)} ${k === 'none' ? 'without a verdict' : k}`,
  );
  return `${n} chip${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function chipClusters(chips: readonly PlacedChip[]): MapLayer {
  return {
    draw(g, ctx: DrawContext) {
      const clusters: { x: number; y: number; chips: PlacedChip[] }[] = [];
      // Greedy clustering in screen space: cheap, stable enough for a few thousand chips per view.
      for (const c of chips) {
        const p = ctx.project(c.lon, c.lat);
        if (p === null) continue;
        const near = clusters.find((k) => Math.hypot(k.x - p[0], k.y - p[1]) < CLUSTER_PX);
        if (near !== undefined) near.chips.push(c);
        else clusters.push({ x: p[0], y: p[1], chips: [c] });
      }
      for (const k of clusters) {
        const counts = new Map<Status, number>();
        for (const c of k.chips) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
        const n = k.chips.length;
        const r = 7 + 3 * Math.sqrt(n - 1);
        const single = n === 1;
        const label = single ? `Chip ${k.chips[0].id}: ${k.chips[0].status}` : describe(counts, n);
        const a = s('a', {
          class: 'cluster',
          href: single ? `#/chips/${encodeURIComponent(k.chips[0].id)}` : '#',
          'aria-label': single ? label : `${label}. Activate to zoom in.`,
          ...Object.fromEntries(STATUSES.map((st) => [`data-${st}`, counts.get(st) ?? 0])),
        });
        if (!single)
          a.addEventListener('click', (e) => {
            e.preventDefault();
            ctx.map.zoomBy(3, [k.x, k.y]);
          });
        a.append(s('title', {}, label));
        let angle = 0;
        for (const st of STATUSES) {
          const m = counts.get(st);
          if (m === undefined) continue;
          const next = angle + (2 * Math.PI * m) / n;
          a.append(s('path', { class: `slice v-${st}`, d: pieSlice(k.x, k.y, r, angle, next) }));
          angle = next;
        }
        a.append(s('circle', { class: 'cluster-ring', cx: k.x, cy: k.y, r }));
        if (!single) a.append(s('text', { class: 'cluster-count', x: k.x, y: k.y, dy: '0.35em' }, String(n)));
        g.append(a);
      }
    },
  };
}

export function landmarkMarkers(landmarks: readonly Landmark[]): MapLayer {
  return {
    draw(g, ctx) {
      for (const l of landmarks) {
        const p = ctx.project(l.lon, l.lat);
        if (p === null) continue;
        const [x, y] = p;
        const m = s('path', {
          class: `landmark status-${l.status}`,
          d: `M${x},${y - 6}L${x + 5.5},${y + 4}L${x - 5.5},${y + 4}Z`,
          'data-landmark': l.id,
        });
        m.append(s('title', {}, `Landmark ${l.id} (${l.operatorId}), ${l.status}`));
        g.append(m);
      }
    },
  };
}

/** The key to the colours, in HTML beside the map. */
export function legend(counts?: Map<Status, number>): HTMLElement {
  const names: Record<Status, string> = {
    inside: 'Proven inside',
    outside: 'Proven outside',
    unverified: 'Unverified',
    inconsistent: 'Inconsistent evidence',
    none: 'No verdict yet',
  };
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Chips per verdict' },
    ...STATUSES.map((st) =>
      h(
        'li',
        { 'data-verdict': st },
        h('span', { class: `swatch v-${st}`, 'aria-hidden': 'true' }),
        names[st],
        counts ? h('strong', { class: 'count' }, String(counts.get(st) ?? 0)) : null,
      ),
    ),
    h('li', {}, h('span', { class: 'swatch landmark-swatch', 'aria-hidden': 'true' }), 'Landmark'),
  );
}
