/*
 * `raslog show --since boot-1` over a big store: N events (default 10 M) over
 * 1,000 boots; time to the first line and total, in-process (open + query)
 * and as a fresh process, as a user runs it, by each path:
 *   - the native client (dist/raslog-client) through raslogd: raslogd runs the CLI;
 *   - bin/raslog (the sh shim package.json names) starting that client;
 *   - the Node CLI (bin/raslog.js) through raslogd's socket;
 *   - the Node CLI without a daemon (it opens the store);
 * "through raslogd" is bench/serve-store.ts: the daemon's query server on the
 * store, without collectors. Also -t panic (a rare type over the whole store)
 * and -b -500 (one old boot). Medians of RUNS (env, default 5) after a warm-up.
 * Goal: < 50 ms to the first line.
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
import { CLIENT, RASLOG, SHIM, clientIsBuilt, distIsUsed, medianOf, startQueryServer, stopQueryServer, timeCmd, type Timing } from './cli-timing.ts';

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

let fillNote = '';
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
  fillNote = `filled ${N.toLocaleString('en-US')} events over ${BOOTS} boots in ${((Date.now() - t0) / 1000).toFixed(0)} s (${Math.round(N / ((Date.now() - t0) / 1000))} events/s, sync off)`;
  console.log(fillNote);
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

console.log(`Node CLI: ${distIsUsed() ? 'dist/ (compiled)' : 'sources through tsx'}; native client: ${clientIsBuilt() ? CLIENT : 'not built (node tools/build.mjs)'}; medians of ${RUNS} runs after a warm-up`);
const node0 = await medianOf(RUNS, () => timeCmd(process.execPath, ['-e', 'process.stdout.write("x\\n")']));
console.log(`node -e (process start alone): ${node0.total.toFixed(0)} ms`);
const cases = [['--since', 'boot-1'], ['--since', 'boot-1', '--until', 'boot'], ['-b', `-${Math.floor(BOOTS / 2)}`], ['-t', 'panic'], ['--process', 'proc5', '-b', '-3']];
// the client must be served by raslogd, not fall back to the Node CLI: a fallback fails loudly
const served = { ...process.env, RASLOG_NODE_CLI: '/bin/false' };
const paths: { label: string; cmd: string; daemon: boolean; env?: NodeJS.ProcessEnv }[] = [
  ...(clientIsBuilt()
    ? [
        { label: 'native client through raslogd', cmd: CLIENT, daemon: true, env: served },
        { label: 'bin/raslog shim -> native client, through raslogd', cmd: SHIM, daemon: true, env: served },
      ]
    : []),
  { label: 'Node CLI through raslogd', cmd: RASLOG, daemon: true },
  { label: 'Node CLI, no daemon (opens the store)', cmd: RASLOG, daemon: false },
];
const summary: [string, Timing][] = [];
for (const daemon of [true, false]) {
  const srv = daemon ? await startQueryServer(dir) : null;
  try {
    for (const p of paths.filter((x) => x.daemon === daemon)) {
      for (const args of cases) {
        const r = await medianOf(RUNS, () => timeCmd(p.cmd, ['show', ...args, '--data-dir', dir], p.env));
        if (r.first < 0) throw new Error(`${p.label}: no output for show ${args.join(' ')}`);
        console.log(`raslog show ${args.join(' ')} (${p.label}): ${r.lines} lines, first line ${r.first.toFixed(1)} ms, total ${r.total.toFixed(1)} ms`);
        if (args.join(' ') === '--since boot-1') summary.push([p.label, r]);
      }
    }
  } finally {
    if (srv) await stopQueryServer(srv);
  }
}
console.log(`\nraslog show --since boot-1, ${N.toLocaleString('en-US')} events (${summary[0]?.[1].lines} lines), medians of ${RUNS}:`);
for (const [label, r] of summary) console.log(`  ${label.padEnd(52)} first line ${r.first.toFixed(1).padStart(6)} ms   total ${r.total.toFixed(1).padStart(7)} ms`);
console.log(`  ${'node -e (start alone)'.padEnd(52)} ${' '.repeat(24)}total ${node0.total.toFixed(1).padStart(7)} ms`);
if (fillNote) console.log(fillNote);
console.log('side by side with ausearch: bench/ausearch-compare.ts');
