// Serves the seeded dashboard world for a look by hand; prints the URL and the tokens.
//   npx esbuild test/web/serve-dashboard.ts --bundle --platform=node --format=esm \
//     --packages=external --outfile=dist/serve-dashboard.mjs && node dist/serve-dashboard.mjs

import { openDashboardWorld } from './dashboard-world.js';

const world = await openDashboardWorld({ startLoop: true });
console.log(JSON.stringify({ url: world.url, tokens: world.tokens }, null, 2));
process.on('SIGINT', () => void world.close().then(() => process.exit(0)));
