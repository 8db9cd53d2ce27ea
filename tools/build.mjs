// npm run build: bundle src/ into dist/ (plain JS: the bin shims then start without tsx, faster and
// with less memory), copy the non-TS helpers, and stamp the build; then the native client
// (src/client/raslog-client.c -> dist/raslog-client, started by bin/raslog) when cc exists.
//
// Two entry points, dist/raslog.js (src/cli/main.ts) and dist/raslogd.js (src/daemon/main.ts),
// with the code they share and each lazily imported part in dist/chunk-*.js: the CLI through
// raslogd loads neither LevelDB nor the sinks. Bundled and without comments or whitespace, the
// JS sources that V8 keeps in the heap shrink (zod, winston, commander, our own): raslogd idles
// at ~4 MiB less RSS and the Node CLI starts ~20 ms sooner than with one file per module
// (bench/daemon-rss.ts, bench/cli-timing.ts). Identifiers are kept: stack traces stay readable.
// Native modules (classic-level, posix) load their binaries relative to their own package
// directory: they stay in node_modules.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { raslog: path.join(root, 'src/cli/main.ts'), raslogd: path.join(root, 'src/daemon/main.ts') },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: 'linked',
  external: ['classic-level', 'level', 'posix'],
  // CommonJS dependencies bundled into ES modules still call require() for node's builtins
  banner: { js: "import{createRequire as __raslogRequire}from'node:module';const require=__raslogRequire(import.meta.url);" },
  logLevel: 'warning',
});
// helpers started as separate processes, found next to the module that names them (import.meta.url)
for (const rel of fs.readdirSync(path.join(root, 'src'), { recursive: true })) {
  const f = String(rel);
  if (/\.(cjs|mjs|json)$/.test(f)) fs.copyFileSync(path.join(root, 'src', f), path.join(dist, path.basename(f)));
}
fs.writeFileSync(path.join(dist, '.build-stamp'), new Date().toISOString() + '\n');

// the native client: without a C compiler, bin/raslog runs the Node CLI (same output, slower start)
const client = path.join(root, 'dist', 'raslog-client');
const cc = spawnSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-O2', '-o', client, path.join(root, 'src/client/raslog-client.c')], { stdio: 'inherit' });
if (cc.error?.code === 'ENOENT') console.log('build: no C compiler (cc): dist/raslog-client not built, bin/raslog runs the Node CLI');
else if (cc.status !== 0) throw new Error(`cc failed to build dist/raslog-client (status ${cc.status})`);
