/*
 * Shared by bench/show-10m.ts and bench/ausearch-compare.ts: time a command's
 * first line of output and its total, and run a query-only raslogd stand-in
 * (the daemon's own socket server over an open store, no collectors, so the
 * store is not written to) for the "through raslogd" figures.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
// @ts-expect-error: plain JS module without types
import { buildIsFresh } from '../bin/entry.js';
import { fileURLToPath } from 'node:url';
import { raslogdShebang } from './raslogd-flags.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Timing {
  first: number;
  total: number;
  lines: number;
}

/** Run a command; ms to the first stdout byte and to its exit, and the number of lines. */
export function timeCmd(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timing> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    let first = -1;
    let lines = 0;
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    c.stdout.on('data', (d: Buffer) => {
      if (first < 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
      for (const b of d) if (b === 10) lines++;
    });
    c.on('error', rej);
    c.on('close', () => res({ first, total: Number(process.hrtime.bigint() - t0) / 1e6, lines }));
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Run `fn` `runs` times (after one warm-up run); medians of first-line and total times. */
export async function medianOf(runs: number, fn: () => Promise<Timing>): Promise<Timing & { firsts: number[]; totals: number[] }> {
  await fn();
  const rs: Timing[] = [];
  for (let i = 0; i < runs; i++) rs.push(await fn());
  return {
    first: median(rs.map((r) => r.first)),
    total: median(rs.map((r) => r.total)),
    lines: rs[0]!.lines,
    firsts: rs.map((r) => r.first),
    totals: rs.map((r) => r.total),
  };
}

/** The Node CLI: bin/raslog.js (dist/ when built and fresh: `node tools/build.mjs`). */
export const RASLOG = join(ROOT, 'bin/raslog.js');
/** The native client (src/client/raslog-client.c, built by tools/build.mjs): raslogd runs the CLI for it. */
export const CLIENT = join(ROOT, 'dist/raslog-client');
/** `raslog` as a user runs it (package.json bin): the sh shim choosing CLIENT or RASLOG. */
export const SHIM = join(ROOT, 'bin/raslog');

export function clientIsBuilt(): boolean {
  return existsSync(CLIENT);
}

/** Whether the bin shims run dist/ (built and not older than src/: bin/entry.js's rule) or the sources through tsx. */
export function distIsUsed(): boolean {
  return buildIsFresh();
}

/** Start the query server (src/daemon/server.ts) over dataDir's store in a child; resolves once it listens. */
export function startQueryServer(dataDir: string): Promise<ChildProcess> {
  return new Promise((res, rej) => {
    // with raslogd's node flags (--lite-mode …): the in-daemon CLI runs as in the real daemon
    const { env, flags } = raslogdShebang(ROOT);
    const c = spawn(process.execPath, [...flags, '--import=tsx', join(ROOT, 'bench/serve-store.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    c.stdout!.once('data', () => res(c));
    c.on('error', rej);
    c.on('exit', (code) => rej(new Error(`query server exited (${code})`)));
  });
}

export async function stopQueryServer(c: ChildProcess): Promise<void> {
  c.removeAllListeners('exit');
  const done = new Promise((r) => c.on('exit', r));
  c.kill('SIGTERM');
  await done;
}
