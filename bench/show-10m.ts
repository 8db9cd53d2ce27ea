/*
 * `raslog show --since boot-1` over a big store: N events (default 10 M) over
 * 1,000 boots; time to the first line and total, through the CLI (a fresh
 * process opening the store, as a user would run it). Also -t panic (a rare
 * type over the whole store) and -b -500 (one old boot).
 *   node --import=tsx bench/show-10m.ts [events=10000000] [boots=1000] [data-dir to reuse]
 * ausearch comparison: only when auditd's ausearch is installed (it is not on the build machine).
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../src/store/store.ts';
import { resolveQuery, showEvents, type QuerySpec } from '../src/store/query.ts';
import type { EventType, NewEvent } from '../src/store/types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 10_000_000);
const BOOTS = Number(process.argv[3] ?? 1000);
const dir = process.argv[4] ?? mkdtempSync(join(tmpdir(), 'raslog-show10m-'));
const T0 = 1795861234000000000n;
const PER = Math.floor(N / BOOTS);
const TYPES = ['process_death', 'process_death', 'process_death', 'coredump', 'netstats'] as const;

function ev(i: number): NewEvent {
  const boot = 1 + Math.floor(i / PER);
  const t = (T0 + BigInt(i) * 50_000_000n).toString(); // 20 events/s
  const k = i % PER;
  const type: EventType = k === 0 ? 'module_load' : k === PER - 1 ? (boot % 10 ? 'shutdown' : 'panic') : TYPES[i % TYPES.length]!;
  const base = { type, boot, time_ns: t, source: 'kmod' as const, seq: i + 1, region_id: 'bench', dedup: `bench:${i + 1}` };
  if (type === 'process_death' || type === 'coredump') {
    return { ...base, pid: 1000 + (i % 30000), comm: `proc${i % 97}`, signal: 'SIGKILL', cause: 'process', sender: { pid: 1, uid: 0, comm: 'systemd' }, unit: `svc${i % 13}.service` };
  }
  if (type === 'netstats') return { ...base, source: 'netstats', interfaces: { eth0: { rx_bytes: i, tx_bytes: i } }, deltas: null };
  if (type === 'panic') return { ...base, task: { pid: 1, uid: 0, comm: 'kworker/0:1' }, message: 'bench panic' };
  if (type === 'shutdown') return { ...base, action: 'reboot', initiator: { pid: 1, tgid: 1, uid: 0, comm: 'systemd' }, ancestors: [], command: '' };
  return { ...base, version: 'bench' };
}

if (!existsSync(join(dir, 'db', 'CURRENT'))) {
  const store = await Store.open(dir, { create: true, sync: false });
  const t0 = Date.now();
  for (let i = 0; i < N; i += 10_000) {
    const evs: NewEvent[] = [];
    for (let j = i; j < Math.min(N, i + 10_000); j++) evs.push(ev(j));
    await store.append(evs);
    if ((i / 10_000) % 50 === 0) process.stderr.write(`\rfilling: ${i.toLocaleString('en-US')} events, ${Math.round(i / ((Date.now() - t0) / 1000 || 1))} /s   `);
  }
  process.stderr.write('\n');
  console.log(`filled ${N.toLocaleString('en-US')} events over ${BOOTS} boots in ${((Date.now() - t0) / 1000).toFixed(0)} s (${Math.round(N / ((Date.now() - t0) / 1000))} events/s, sync off)`);
  await store.close();
}
const du = spawnSync('du', ['-sh', join(dir, 'db')], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`store: ${dir} (${du})`);

function timeShow(args: string[]): Promise<{ first: number; total: number; lines: number }> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    let first = -1;
    let lines = 0;
    const c = spawn(process.execPath, ['--import=tsx', join(ROOT, 'test/showcli-entry.ts'), 'show', ...args, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout.on('data', (d: Buffer) => {
      if (first < 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
      for (const b of d) if (b === 10) lines++;
    });
    c.on('error', rej);
    c.on('exit', () => res({ first, total: Number(process.hrtime.bigint() - t0) / 1e6, lines }));
  });
}

// in-process: open the store, run the query (no process start-up)
for (const [label, spec] of [
  ['--since boot-1', { since: 'boot-1' }],
  [`-b -${Math.floor(BOOTS / 2)}`, { boot: -Math.floor(BOOTS / 2) }],
  ['-t panic', { types: ['panic'] }],
  ['--process proc5 -b -3', { comm: 'proc5', boot: -3 }],
] as [string, QuerySpec][]) {
  const t0 = process.hrtime.bigint();
  const store = await Store.open(dir, { sync: false });
  const tOpen = Number(process.hrtime.bigint() - t0) / 1e6;
  let first = -1;
  let n = 0;
  for await (const _e of showEvents(store, resolveQuery(store, spec))) {
    if (first < 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
    n++;
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  await store.close();
  console.log(`in-process ${label}: ${n} events, open ${tOpen.toFixed(0)} ms, first event ${first.toFixed(1)} ms, all ${total.toFixed(1)} ms`);
}

const base = await timeShow(['-n', '1']);
console.log(`raslog show -n 1 (process start + open, baseline): ${base.total.toFixed(0)} ms`);
for (const args of [['--since', 'boot-1'], ['-b', `-${Math.floor(BOOTS / 2)}`], ['-t', 'panic'], ['--process', 'proc5', '-b', '-3']]) {
  const r = await timeShow(args);
  console.log(`raslog show ${args.join(' ')}: ${r.lines} lines, first line after ${r.first.toFixed(0)} ms, total ${r.total.toFixed(0)} ms`);
}
if (spawnSync('sh', ['-c', 'command -v ausearch']).status === 0) console.log('ausearch is installed: compare with `ausearch --start boot` on a log of the same size');
else console.log('ausearch: not installed here, no comparison');
