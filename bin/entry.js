// Shared by the bin shims: run dist/ (compiled by `npm run build`) when it is at least as new
// as every file in src/, else the TypeScript sources through tsx. A stale build is never used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function buildIsFresh() {
  try {
    return fs.statSync(path.join(root, 'dist', '.build-stamp')).mtimeMs >= newestSource(path.join(root, 'src'));
  } catch {
    return false;
  }
}

/** Start dist/<bundle>.js (tools/build.mjs) when fresh, else src/<rel>.ts through tsx. */
export async function run(bundle, rel) {
  if (buildIsFresh()) return import(path.join(root, 'dist', `${bundle}.js`));
  const { register } = await import('tsx/esm/api');
  register();
  return import(path.join(root, 'src', `${rel}.ts`));
}
