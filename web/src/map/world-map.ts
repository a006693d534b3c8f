// A world map in SVG, drawn with d3-geo from the Natural Earth countries: zoom (wheel, buttons,
// + and -), pan (drag, arrow keys), and layers that each page draws on top. While the user zooms
// or drags, the drawn map is only transformed; when the gesture settles, the projection takes the
// new scale and every layer is drawn again, so lines stay sharp and markers keep their size.

import type { GeoPermissibleObjects, GeoProjection } from 'd3-geo';
import { geoEqualEarth, geoGraticule10, geoPath } from 'd3-geo';
import { h, s } from '../lib/dom.js';
import type { CountryFeature } from './topology.js';

export interface DrawContext {
  readonly path: ReturnType<typeof geoPath>;
  /** Screen position of a place, or null when it is off the map's side of the globe. */
  readonly project: (lon: number, lat: number) => [number, number] | null;
  /** Zoom relative to the whole world fitted in the frame. */
  readonly zoom: number;
  readonly width: number;
  readonly height: number;
  readonly map: WorldMap;
}

export interface MapLayer {
  draw(g: SVGGElement, ctx: DrawContext): void;
}

export interface WorldMapOptions {
  /** What the map shows, for screen readers (the data is also in a table or list beside it). */
  readonly label: string;
  /** Height / width. */
  readonly aspect?: number;
  readonly className?: string;
  /** CSS class for a country, e.g. to shade licence destinations. */
  readonly countryClass?: (f: CountryFeature) => string | null;
}

const MAX_ZOOM = 20_000;
const SETTLE_MS = 160;

export class WorldMap {
  readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly root: SVGGElement;
  private readonly projection: GeoProjection;
  private countries: readonly CountryFeature[] = [];
  private layers: readonly MapLayer[] = [];
  private width = 960;
  private height = 480;
  private baseScale = 1;
  private baseTranslate: [number, number] = [0, 0];
  /** The state the map is drawn at, and the state the gesture in progress has reached. */
  private drawn = { k: 1, x: 0, y: 0 };
  private target = { k: 1, x: 0, y: 0 };
  private settleTimer: number | undefined;
  private readonly aspect: number;
  /** A fit asked for before the map had a size; done at the first layout. */
  private pendingFit: { object: GeoPermissibleObjects; maxZoom: number } | undefined;

  constructor(private readonly opts: WorldMapOptions) {
    this.aspect = opts.aspect ?? 0.52;
    this.projection = geoEqualEarth();
    this.root = s('g', { class: 'map-root' });
    this.svg = s(
      'svg',
      {
        class: 'map-svg',
        role: 'img',
        tabindex: 0,
        'aria-label': `${opts.label}. Use plus and minus to zoom, arrow keys to pan, 0 to reset.`,
      },
      this.root,
    );
    const button = (label: string, text: string, f: () => void) =>
      h('button', { type: 'button', 'aria-label': label, title: label, onclick: f }, text);
    this.el = h(
      'figure',
      { class: `map ${opts.className ?? ''}` },
      this.svg,
      h(
        'div',
        { class: 'map-controls' },
        button('Zoom in', '+', () => this.zoomBy(2)),
        button('Zoom out', '−', () => this.zoomBy(0.5)),
        button('Show the whole world', '⟲', () => this.reset()),
      ),
    );
    this.listen();
    new ResizeObserver(() => this.resize()).observe(this.el);
  }

  setCountries(features: readonly CountryFeature[]): void {
    this.countries = features;
    this.redraw();
  }

  setLayers(layers: readonly MapLayer[]): void {
    this.layers = layers;
    this.redraw();
  }

  /** Zooms to show `object` (GeoJSON) with some room around it. */
  fit(object: GeoPermissibleObjects, maxZoom = MAX_ZOOM): void {
    if (this.svg.getAttribute('viewBox') === null) {
      this.pendingFit = { object, maxZoom };
      return;
    }
    this.applyBase(1, 0, 0);
    const [[x0, y0], [x1, y1]] = geoPath(this.projection).bounds(object);
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    const k = Math.min(
      maxZoom,
      Math.max(1, 0.8 / Math.max((x1 - x0) / this.width, (y1 - y0) / this.height, 1e-9)),
    );
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    // Screen point (cx, cy) at zoom 1 goes to the centre of the frame at zoom k.
    const [tx, ty] = this.baseTranslate;
    this.target = { k, x: this.width / 2 - tx - (cx - tx) * k, y: this.height / 2 - ty - (cy - ty) * k };
    this.settle(true);
  }

  reset(): void {
    this.target = { k: 1, x: 0, y: 0 };
    this.settle(true);
  }

  zoomBy(f: number, at?: [number, number]): void {
    const [px, py] = at ?? [this.width / 2, this.height / 2];
    const t = this.target;
    const k = Math.min(MAX_ZOOM, Math.max(1, t.k * f));
    const [bx, by] = this.baseTranslate;
    // Keep the point under the cursor where it is.
    const r = k / t.k;
    this.target = { k, x: px - bx - (px - bx - t.x) * r, y: py - by - (py - by - t.y) * r };
    this.preview();
  }

  panBy(dx: number, dy: number): void {
    this.target = { ...this.target, x: this.target.x + dx, y: this.target.y + dy };
    this.preview();
  }

  get zoom(): number {
    return this.drawn.k;
  }

  private listen(): void {
    this.svg.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const rect = this.svg.getBoundingClientRect();
        const sx = this.width / rect.width;
        this.zoomBy(Math.exp(-e.deltaY * 0.002), [(e.clientX - rect.left) * sx, (e.clientY - rect.top) * sx]);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; id: number } | undefined;
    let moved = 0;
    this.svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
      moved = 0;
    });
    this.svg.addEventListener('pointermove', (e) => {
      if (drag === undefined || e.pointerId !== drag.id) return;
      const rect = this.svg.getBoundingClientRect();
      const sx = this.width / rect.width;
      const dx = (e.clientX - drag.x) * sx;
      const dy = (e.clientY - drag.y) * sx;
      moved += Math.abs(dx) + Math.abs(dy);
      // Capture only once it is a drag, so clicks on markers still reach them.
      if (moved > 4 && !this.svg.hasPointerCapture(e.pointerId)) this.svg.setPointerCapture(e.pointerId);
      drag = { ...drag, x: e.clientX, y: e.clientY };
      if (moved > 4) this.panBy(dx, dy);
    });
    const end = (e: PointerEvent) => {
      if (drag !== undefined && e.pointerId === drag.id) drag = undefined;
    };
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointercancel', end);
    this.svg.addEventListener('keydown', (e) => {
      const step = 60;
      const keys: Record<string, () => void> = {
        '+': () => this.zoomBy(2),
        '=': () => this.zoomBy(2),
        '-': () => this.zoomBy(0.5),
        '0': () => this.reset(),
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
      };
      const f = keys[e.key];
      if (f !== undefined && e.target === this.svg) {
        e.preventDefault();
        f();
      }
    });
  }

  /** Shows the gesture's state by transforming what is drawn; redraws once it settles. */
  private preview(): void {
    const d = this.drawn;
    const t = this.target;
    const r = t.k / d.k;
    const [bx, by] = this.baseTranslate;
    // Screen x at drawn state: bx + d.x + (X) * d.k; at target: bx + t.x + X * t.k.
    const ox = bx + t.x - (bx + d.x) * r;
    const oy = by + t.y - (by + d.y) * r;
    this.root.setAttribute('transform', `translate(${ox} ${oy}) scale(${r})`);
    window.clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => this.settle(false), SETTLE_MS);
  }

  private settle(now: boolean): void {
    window.clearTimeout(this.settleTimer);
    if (!now && this.target === this.drawn) return;
    this.applyBase(this.target.k, this.target.x, this.target.y);
    this.drawn = this.target;
    this.redraw();
  }

  private applyBase(k: number, x: number, y: number): void {
    const [bx, by] = this.baseTranslate;
    this.projection.scale(this.baseScale * k).translate([bx + x, by + y]);
  }

  private resize(): void {
    const w = Math.max(280, Math.round(this.el.clientWidth || 960));
    if (w === this.width && this.svg.getAttribute('viewBox') !== null) return;
    this.width = w;
    this.height = Math.round(w * this.aspect);
    this.svg.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    const fitted = geoEqualEarth().fitExtent(
      [
        [4, 4],
        [this.width - 4, this.height - 4],
      ],
      { type: 'Sphere' },
    );
    this.baseScale = fitted.scale();
    this.baseTranslate = fitted.translate();
    this.projection.clipExtent([
      [-8, -8],
      [this.width + 8, this.height + 8],
    ]);
    this.applyBase(this.drawn.k, this.drawn.x, this.drawn.y);
    const fit = this.pendingFit;
    this.pendingFit = undefined;
    if (fit !== undefined) this.fit(fit.object, fit.maxZoom);
    else this.redraw();
  }

  redraw(): void {
    this.root.removeAttribute('transform');
    this.root.replaceChildren();
    if (this.svg.getAttribute('viewBox') === null) return; // not laid out yet; resize() draws
    const path = geoPath(this.projection);
    const sphere = path({ type: 'Sphere' });
    if (sphere !== null) this.root.append(s('path', { class: 'sphere', d: sphere }));
    const grat = path(geoGraticule10());
    if (grat !== null) this.root.append(s('path', { class: 'graticule', d: grat }));
    const land = s('g', { class: 'countries' });
    for (const f of this.countries) {
      const d = path(f);
      if (d === null || d === '') continue;
      const cls = this.opts.countryClass?.(f);
      const el = s('path', { d, class: cls ?? 'country', 'data-code': f.properties.code ?? undefined });
      el.append(s('title', {}, f.properties.name));
      land.append(el);
    }
    this.root.append(land);
    const ctx: DrawContext = {
      path,
      project: (lon, lat) => {
        const p = this.projection([lon, lat]);
        if (p === null) return null;
        // Clip to the frame: points outside are not drawn (and not counted as visible).
        if (p[0] < -20 || p[1] < -20 || p[0] > this.width + 20 || p[1] > this.height + 20) return null;
        return [p[0], p[1]];
      },
      zoom: this.drawn.k,
      width: this.width,
      height: this.height,
      map: this,
    };
    for (const layer of this.layers) {
      const g = s('g', { class: 'layer' });
      layer.draw(g, ctx);
      this.root.append(g);
    }
  }
}
