/*
 * `raslog show --since boot-1` over a big store: N events (default 10 M) over
 * 1,000 boots; time to the first line and total, in-process (open + query)
 * and through the CLI (bin/raslog.js, a fresh process, as a user runs it),
 * both without a daemon (the CLI opens the store) and through raslogd's
 * socket (bench/serve-store.ts: the daemon's query server). Also -t panic (a
 * rare type over the whole store) and -b -500 (one old boot). Medians of RUNS
 * (env, default 5). Goal: < 50 ms to the first line.
 *   node --import=tsx bench/show-10m.ts [events=10000000] [boots=1000] [data-dir to reuse]
 * ausearch comparison: bench/ausearch-compare.ts.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import { resolveQuery, showEvents, type QuerySpec } from '../src/store/query.ts';
import type { EventType, NewEvent } from '../src/store/types.ts';
import { RASLOG, distIsUsed, medianOf, startQueryServer, stopQueryServer, timeCmd } from './cli-timing.ts';

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

const RUNS = Number(process.env.RUNS ?? 5);
const show = (args: string[]) => () => timeCmd(RASLOG, ['show', ...args, '--data-dir', dir]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// in-process: open the store, run the query (no process start-up); medians of RUNS opens
for (const [label, spec] of [
  ['--since boot-1', { since: 'boot-1' }],
  ['--since boot-1 --until boot', { since: 'boot-1', until: 'boot' }],
  [`-b -${Math.floor(BOOTS / 2)}`, { boot: -Math.floor(BOOTS / 2) }],
  ['-t panic', { types: ['panic'] }],
  ['--process proc5 -b -3', { comm: 'proc5', boot: -3 }],
] as [string, QuerySpec][]) {
  const opens: number[] = [];
  const firsts: number[] = [];
  const totals: number[] = [];
  let n = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const store = await Store.open(dir, { sync: false });
    opens.push(Number(process.hrtime.bigint() - t0) / 1e6);
    let first = -1;
    n = 0;
    for await (const _e of showEvents(store, resolveQuery(store, spec))) {
      if (first < 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
      n++;
    }
    totals.push(Number(process.hrtime.bigint() - t0) / 1e6);
    firsts.push(first);
    await store.close();
  }
  console.log(`in-process ${label}: ${n} events, open ${median(opens).toFixed(1)} ms, first event ${median(firsts).toFixed(1)} ms, all ${median(totals).toFixed(1)} ms (medians of ${RUNS})`);
}

console.log(`raslog CLI: ${distIsUsed() ? 'dist/ (compiled)' : 'sources through tsx'}; medians of ${RUNS} runs after a warm-up`);
const node0 = await medianOf(RUNS, () => timeCmd(process.execPath, ['-e', 'process.stdout.write("x\\n")']));
console.log(`node -e (process start alone): ${node0.total.toFixed(0)} ms`);
const cases = [['--since', 'boot-1'], ['--since', 'boot-1', '--until', 'boot'], ['-b', `-${Math.floor(BOOTS / 2)}`], ['-t', 'panic'], ['--process', 'proc5', '-b', '-3']];
for (const mode of ['no daemon: the CLI opens the store', 'through raslogd']) {
  const srv = mode === 'through raslogd' ? await startQueryServer(dir) : null;
  try {
    for (const args of cases) {
      const r = await medianOf(RUNS, show(args));
      console.log(`raslog show ${args.join(' ')} (${mode}): ${r.lines} lines, first line ${r.first.toFixed(0)} ms, total ${r.total.toFixed(0)} ms`);
    }
  } finally {
    if (srv) await stopQueryServer(srv);
  }
}
console.log('side by side with ausearch: bench/ausearch-compare.ts');
