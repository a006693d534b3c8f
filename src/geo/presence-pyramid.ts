// What is present, coarsely, near a point: which regions have land, and whether there is sea,
// within a radius. Levels of 0.5°, 1°, 2°, 4° and 8° cells summarise the segment grid, so a question
// about a 1,000 km disc costs a few dozen look-ups instead of a scan of every boundary segment.
// The answers are supersets (a region "present" in a cell may be just outside the disc), which is
// the safe direction for the verdict search: coarse cells only decide whether to look closer.

import { EARTH_RADIUS_KM } from './sphere.js';

export interface BaseCellSource {
  readonly cols: number;
  readonly rows: number;
  readonly cellDeg: number;
  /** Regions with land in the cell, and whether any of it is sea. */
  presence(cell: number): { readonly regions: readonly number[]; readonly sea: boolean };
}

interface Level {
  readonly cellDeg: number;
  readonly cols: number;
  readonly rows: number;
  readonly start: Int32Array;
  readonly regions: Int32Array;
  readonly sea: Uint8Array;
}

export interface Presence {
  region: boolean;
  other: boolean;
  sea: boolean;
}

// 2× … 32× the base cell: 0.5° … 8° for a 0.25° grid. Coarser levels would not tile 360° evenly
// (1440 / 64 is not whole), which the longitude wrap-around relies on.
const LEVELS = 5;

export class PresencePyramid {
  private readonly levels: Level[] = [];

  constructor(base: BaseCellSource) {
    // Level 1 from the base grid, each further level from the one below.
    let below: {
      cols: number;
      rows: number;
      get: (c: number) => { regions: readonly number[]; sea: boolean };
    } = {
      cols: base.cols,
      rows: base.rows,
      get: (c) => base.presence(c),
    };
    for (let k = 1; k <= LEVELS; k++) {
      const cols = Math.ceil(below.cols / 2);
      const rows = Math.ceil(below.rows / 2);
      const start = new Int32Array(cols * rows + 1);
      const list: number[] = [];
      const sea = new Uint8Array(cols * rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const set = new Set<number>();
          for (let dr = 0; dr < 2; dr++) {
            for (let dc = 0; dc < 2; dc++) {
              const rr = 2 * r + dr;
              const cc = 2 * c + dc;
              if (rr >= below.rows || cc >= below.cols) continue;
              const p = below.get(rr * below.cols + cc);
              for (const x of p.regions) set.add(x);
              if (p.sea) sea[r * cols + c] = 1;
            }
          }
          start[r * cols + c] = list.length;
          list.push(...set);
        }
      }
      start[cols * rows] = list.length;
      const level: Level = {
        cellDeg: base.cellDeg * 2 ** k,
        cols,
        rows,
        start,
        regions: Int32Array.from(list),
        sea,
      };
      this.levels.push(level);
      below = {
        cols,
        rows,
        get: (cell) => ({
          regions: Array.from(level.regions.subarray(level.start[cell], level.start[cell + 1])),
          sea: level.sea[cell] === 1,
        }),
      };
    }
  }

  /**
   * What lies within radiusKm of (lat, lon): land of `region`, land of any other region, sea.
   * Supersets; a flag stays false only when that thing is certainly absent.
   */
  near(lat: number, lon: number, radiusKm: number, region: number): Presence {
    const out: Presence = { region: false, other: false, sea: false };
    const rDeg = (radiusKm / EARTH_RADIUS_KM) * (180 / Math.PI);
    // The coarsest level is used only when the disc is that large; otherwise one where the disc
    // spans a handful of cells.
    let level = this.levels[this.levels.length - 1];
    for (const l of this.levels) {
      if (l.cellDeg * 2 >= rDeg) {
        level = l;
        break;
      }
    }
    const south = lat - rDeg;
    const north = lat + rDeg;
    let west = -180;
    let east = 180;
    const cosLat = Math.cos((lat * Math.PI) / 180);
    if (north < 90 && south > -90 && rDeg < 90) {
      const s = Math.sin(radiusKm / EARTH_RADIUS_KM) / Math.max(cosLat, 1e-12);
      if (s < 1) {
        const dLon = (Math.asin(s) * 180) / Math.PI;
        west = lon - dLon;
        east = lon + dLon;
      }
    }
    const r0 = Math.max(0, Math.floor((Math.max(-90, south) + 90) / level.cellDeg));
    const r1 = Math.min(level.rows - 1, Math.floor((Math.min(90, north) + 90) / level.cellDeg));
    const span =
      east - west >= 360
        ? level.cols
        : Math.floor((east + 180) / level.cellDeg) - Math.floor((west + 180) / level.cellDeg) + 1;
    const c0 = east - west >= 360 ? 0 : Math.floor((west + 180) / level.cellDeg);
    for (let r = r0; r <= r1; r++) {
      for (let k = 0; k < Math.min(span, level.cols); k++) {
        const c = (((c0 + k) % level.cols) + level.cols) % level.cols;
        const cell = r * level.cols + c;
        if (level.sea[cell] === 1) out.sea = true;
        for (let i = level.start[cell]; i < level.start[cell + 1]; i++) {
          if (level.regions[i] === region) out.region = true;
          else out.other = true;
        }
        if (out.region && out.other && out.sea) return out;
      }
    }
    return out;
  }
}
