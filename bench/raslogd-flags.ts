/*
 * raslogd's node flags and environment as the shebang of bin/raslogd.js gives
 * them (`#!/usr/bin/env -S VAR=… node --flag …`): the benches start raslogd,
 * or a stand-in for it, with them, so that their figures are those of the
 * daemon as systemd runs it.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function raslogdShebang(root: string): { env: Record<string, string>; flags: string[] } {
  const line = readFileSync(join(root, 'bin/raslogd.js'), 'utf8').split('\n')[0]!;
  const words = (/^#!\S*env\s+-S\s+(.*)$/.exec(line)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const nodeAt = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  const env = Object.fromEntries(words.slice(0, nodeAt < 0 ? 0 : nodeAt).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return { env, flags: nodeAt < 0 ? [] : words.slice(nodeAt + 1) };
}
