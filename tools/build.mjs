// npm run build: compile src/ to dist/ (plain JS: the bin shims then start without tsx,
// faster and with less memory), copy the non-TS helpers, and stamp the build; then the native
// client (src/client/raslog-client.c -> dist/raslog-client, started by bin/raslog) when cc exists.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const dir of fs.readdirSync(path.join(root, 'src'), { recursive: true })) {
  const rel = String(dir);
  if (/\.(cjs|mjs|json)$/.test(rel)) fs.copyFileSync(path.join(root, 'src', rel), path.join(root, 'dist', rel));
}
fs.writeFileSync(path.join(root, 'dist', '.build-stamp'), new Date().toISOString() + '\n');

// the native client: without a C compiler, bin/raslog runs the Node CLI (same output, slower start)
const client = path.join(root, 'dist', 'raslog-client');
const cc = spawnSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-O2', '-o', client, path.join(root, 'src/client/raslog-client.c')], { stdio: 'inherit' });
if (cc.error?.code === 'ENOENT') console.log('build: no C compiler (cc): dist/raslog-client not built, bin/raslog runs the Node CLI');
else if (cc.status !== 0) throw new Error(`cc failed to build dist/raslog-client (status ${cc.status})`);
