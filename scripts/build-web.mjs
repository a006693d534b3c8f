// Builds the dashboard: type-checks web/ (its own tsconfig: DOM types, bundler resolution), then
// bundles web/src/main.ts with esbuild into dist/web/ beside index.html and the styles. Run by
// `npm run build` and `prepare` (so `npm ci` leaves a servable dashboard) and by the browser tests.
//
//   node scripts/build-web.mjs [--no-check] [--dev]

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
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

// Built beside the live directory and renamed in file by file (rename is atomic), so a server or
// a test reading dist/web never sees half a bundle, even with two builds at once.
const tmp = join(root, 'dist', `web.tmp-${process.pid}`);
mkdirSync(tmp, { recursive: true });
mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['web/src/main.ts'],
  outfile: join(tmp, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: !args.has('--dev'),
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'web', 'index.html'), join(tmp, 'index.html'));
copyFileSync(join(root, 'web', 'styles.css'), join(tmp, 'app.css'));
copyFileSync(join(root, 'web', 'favicon.svg'), join(tmp, 'favicon.svg'));
for (const f of readdirSync(tmp)) renameSync(join(tmp, f), join(out, f));
rmSync(tmp, { recursive: true, force: true });
