// A minimal, strict reader of TopoJSON topologies (the format world-atlas ships), enough to get
// each polygon's rings as lists of arcs. Shared arcs are what make TopoJSON valuable here: a border
// between two countries is stored once and referenced by both, so each segment knows the one or
// two regions it bounds. Format: https://github.com/topojson/topojson-specification (§2.1–2.2).

import { GeoattestError } from '../errors.js';

export interface TopologyFeature {
  readonly id: string | undefined;
  readonly name: string;
  /** Polygons, each a list of rings, each ring a list of arc references (~i means arc i reversed). */
  readonly polygons: readonly (readonly (readonly number[])[])[];
}

export interface DecodedTopology {
  /** Arc i as interleaved [lon0, lat0, lon1, lat1, …] in degrees. */
  readonly arcs: readonly Float64Array[];
  readonly features: readonly TopologyFeature[];
}

function fail(message: string): never {
  throw new GeoattestError('ATLAS_INVALID', `TopoJSON: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes the arcs and the named geometry collection of a parsed TopoJSON document. */
export function decodeTopology(doc: unknown, objectName: string): DecodedTopology {
  if (!isRecord(doc) || doc.type !== 'Topology') fail('not a Topology');
  if (!Array.isArray(doc.arcs)) fail('arcs missing');
  const transform = doc.transform;
  let sx = 1;
  let sy = 1;
  let tx = 0;
  let ty = 0;
  const quantized = transform !== undefined;
  if (quantized) {
    if (!isRecord(transform) || !Array.isArray(transform.scale) || !Array.isArray(transform.translate)) {
      fail('bad transform');
    }
    [sx, sy] = transform.scale as number[];
    [tx, ty] = transform.translate as number[];
    if (![sx, sy, tx, ty].every(Number.isFinite)) fail('bad transform numbers');
  }
  const arcs = (doc.arcs as unknown[]).map((arc, i) => {
    if (!Array.isArray(arc) || arc.length < 2) fail(`arc ${i} has fewer than two positions`);
    const out = new Float64Array(arc.length * 2);
    // Quantized arcs are delta-encoded integers (spec §2.1.3); absolute otherwise.
    let x = 0;
    let y = 0;
    for (let k = 0; k < arc.length; k++) {
      const pos = arc[k] as unknown;
      if (!Array.isArray(pos) || typeof pos[0] !== 'number' || typeof pos[1] !== 'number') {
        fail(`arc ${i} position ${k} malformed`);
      }
      if (quantized) {
        x += pos[0];
        y += pos[1];
        out[2 * k] = x * sx + tx;
        out[2 * k + 1] = y * sy + ty;
      } else {
        out[2 * k] = pos[0];
        out[2 * k + 1] = pos[1];
      }
    }
    return out;
  });
  const objects = doc.objects;
  if (!isRecord(objects) || !isRecord(objects[objectName])) fail(`object "${objectName}" missing`);
  const collection = objects[objectName] as Record<string, unknown>;
  if (collection.type !== 'GeometryCollection' || !Array.isArray(collection.geometries)) {
    fail(`object "${objectName}" is not a GeometryCollection`);
  }
  const checkRing = (ring: unknown): number[] => {
    if (!Array.isArray(ring) || ring.length === 0) fail('empty ring');
    for (const ref of ring) {
      const idx = ref < 0 ? ~ref : ref;
      if (!Number.isInteger(ref) || idx >= arcs.length) fail(`arc reference ${String(ref)} out of range`);
    }
    return ring as number[];
  };
  const features: TopologyFeature[] = [];
  for (const g of collection.geometries as unknown[]) {
    if (!isRecord(g)) fail('geometry is not an object');
    const props = isRecord(g.properties) ? g.properties : {};
    const name = typeof props.name === 'string' ? props.name : '';
    const id = typeof g.id === 'string' ? g.id : typeof g.id === 'number' ? String(g.id) : undefined;
    let polygons: number[][][];
    if (g.type === 'Polygon') polygons = [(g.arcs as unknown[]).map(checkRing)];
    else if (g.type === 'MultiPolygon') {
      polygons = (g.arcs as unknown[]).map((p) => {
        if (!Array.isArray(p)) fail('polygon is not an array');
        return p.map(checkRing);
      });
    } else if (g.type === null || g.type === undefined) continue;
    else fail(`unsupported geometry type ${String(g.type)}`);
    features.push({ id, name, polygons });
  }
  return { arcs, features };
}
