import { loadAtlas } from '../src/io/atlas-file.js';
import { toVec3 } from '../src/geo/sphere.js';
import { decideVerdict } from '../src/geo/verdict.js';
let t=performance.now();
const a = loadAtlas('10m');
console.log('load ms', performance.now()-t, 'segments', a.segmentCount, 'regions', a.regions.length);
const pts = {sg:[1.35,103.82], jb:[1.49,103.74], sea:[0,-30], shanghai:[31.23,121.47], berlin:[52.52,13.4], hk:[22.32,114.17], taipei:[25.03,121.56], null:[0,0], mid:[45,90]};
for (const [k,[lat,lon]] of Object.entries(pts)) {
  const at = a.regionsAt(lat,lon).map(i=>a.regions[i].code ?? a.regions[i].name);
  const sg = a.regionIndex('SG')!;
  const d = a.signedDistances(toVec3({lat,lon}), lat, lon, sg, 50000);
  console.log(k, at, d);
}
const q = (claim:any, lms:any[], ms:any[]) => decideVerdict({claim, landmarks: lms, measurements: ms, bound:'vacuum', where:'territorial', marginKm:2}, {atlas:a});
t=performance.now();
console.log(q({kind:'country',code:'SG'}, [{id:'L1',lat:1.35,lon:103.82}], [{landmark:'L1', rttMs:0.05}]));
console.log(q({kind:'country',code:'CN'}, [{id:'L1',lat:31.23,lon:121.47}], [{landmark:'L1', rttMs:1}]));
console.log(q({kind:'country',code:'CN'}, [{id:'L1',lat:52.5,lon:13.4}], [{landmark:'L1', rttMs:5}]));
console.log(q({kind:'country',code:'SG'}, [{id:'L1',lat:1.35,lon:103.82}], [{landmark:'L1', rttMs:0.3}]));
console.log(q({kind:'country',code:'SG'}, [{id:'L1',lat:1.35,lon:103.82},{id:'L2',lat:31.23,lon:121.47}], [{landmark:'L1', rttMs:0.3},{landmark:'L2', rttMs:1}]));
console.log('ms', performance.now()-t);
