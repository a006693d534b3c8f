// Builds the dashboard: type-checks web/ (its own tsconfig: DOM types, bundler resolution), then
// bundles web/src/main.ts with esbuild into dist/web/ beside index.html and the styles. Run by
// `npm run build` and `prepare` (so `npm ci` leaves a servable dashboard) and by the browser tests.
//
//   node scripts/build-web.mjs [--no-check] [--dev]

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const out = join(root, 'dist', 'web');

if (!args.has('--no-check')) {
  // tsc from this package, not whatever is on PATH.
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'web'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    console.error('build-web: web/ does not type-check (errors above)');
    process.exit(1);
  }
}

mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['web/src/main.ts'],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: !args.has('--dev'),
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // The pure core is shared with the server; anything reaching for node: would be a bug here.
  external: [],
});
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'web', 'styles.css'), join(out, 'app.css'));
copyFileSync(join(root, 'web', 'favicon.svg'), join(out, 'favicon.svg'));
