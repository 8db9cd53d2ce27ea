/*
 * raslog vs ausearch over the same events: BOOTS boots of PER process deaths
 * each (default 100 x 10,000 = 1 M), once in a raslog store and once as an
 * audit log of ANOM_ABEND records (the kernel's audit_core_dumps() format,
 * auditd's log_format = RAW) with a DAEMON_START record at each boot, as
 * auditd writes when it starts in a new boot. Then the previous boot's deaths:
 *
 *   ausearch -if audit.log -m ANOM_ABEND -ts <its first second> -te <its last second> -r
 *   raslog show --since boot-1 --until boot        (direct: the CLI opens the store)
 *   raslog show --since boot-1 --until boot        (through raslogd's socket)
 *
 * Each is run RUNS times after a warm-up (page cache warm for both); medians of
 * the time to the first line and of the total, and the ratios. Both must print
 * exactly PER lines (checked). Boots are 60 s apart, so whole seconds (ausearch's
 * resolution) delimit a boot exactly.
 *   node --import=tsx bench/ausearch-compare.ts [events=1000000] [boots=100] [runs=5] [dir to reuse]
 */

import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import type { NewEvent } from '../src/store/types.ts';
import { CLIENT, RASLOG, clientIsBuilt, distIsUsed, medianOf, startQueryServer, stopQueryServer, timeCmd } from './cli-timing.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const BOOTS = Number(process.argv[3] ?? 100);
const RUNS = Number(process.argv[4] ?? 5);
const base = process.argv[5] ?? mkdtempSync(join(tmpdir(), 'raslog-ausearch-'));
const PER = Math.floor(N / BOOTS);
const STEP_MS = 50; // 20 deaths per second
const BOOT_SPAN_MS = PER * STEP_MS + 60_000; // each boot: its deaths, then 60 s without any
const T0_MS = 1795861200000; // 2026-11-28T10:20:00Z, a whole minute

if (spawnSync('sh', ['-c', 'command -v ausearch']).status !== 0) {
  console.log('ausearch: not installed (Debian package auditd), no comparison');
  process.exit(0);
}

interface Death {
  boot: number;
  ms: number;
  pid: number;
  uid: number;
  comm: string;
}

function death(i: number): Death {
  const boot = 1 + Math.floor(i / PER);
  const k = i % PER;
  return { boot, ms: T0_MS + (boot - 1) * BOOT_SPAN_MS + 1000 + k * STEP_MS, pid: 1000 + (i % 30000), uid: i % 3 ? 0 : 1000, comm: `proc${i % 97}` };
}

function event(d: Death, i: number): NewEvent {
  return {
    type: 'process_death',
    boot: d.boot,
    time_ns: (BigInt(d.ms) * 1_000_000n).toString(),
    source: 'kmod',
    seq: i + 1,
    region_id: 'ausearch-bench',
    pid: d.pid,
    tgid: d.pid,
    uid: d.uid,
    comm: d.comm,
    exit_code: null,
    signal: 'SIGKILL',
    signo: 9,
    cause: 'process',
    sender: { pid: 1, tgid: 1, uid: 0, comm: 'systemd' },
    unit: `svc${i % 13}.service`,
    dedup: `ausearch-bench:${i + 1}`,
  };
}

const stamp = (ms: number, serial: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:${serial}`;

const dataDir = join(base, 'store');
const auditLog = join(base, 'audit.log');
if (!existsSync(join(dataDir, 'db', 'CURRENT')) || !existsSync(auditLog)) {
  mkdirSync(dataDir, { recursive: true });
  const t0 = Date.now();
  const store = await Store.open(dataDir, { create: true, sync: false });
  const log = createWriteStream(auditLog);
  let serial = 1;
  let chunk: string[] = [];
  for (let i = 0; i < N; i += 10_000) {
    const evs: NewEvent[] = [];
    for (let j = i; j < Math.min(N, i + 10_000); j++) {
      const d = death(j);
      if (j % PER === 0) {
        // auditd starting in the new boot (raslog: the boot's row, made from its events)
        chunk.push(`type=DAEMON_START msg=audit(${stamp(d.ms - 1000, serial++)}): op=start ver=3.0.9 format=raw kernel=6.1.0-28-amd64 auid=4294967295 pid=${400 + d.boot} uid=0 ses=4294967295 subj=unconfined res=success`);
      }
      chunk.push(
        `type=ANOM_ABEND msg=audit(${stamp(d.ms, serial++)}): auid=4294967295 uid=${d.uid} gid=${d.uid} ses=4294967295 subj=unconfined pid=${d.pid} comm="${d.comm}" exe="/usr/sbin/${d.comm}" sig=9 res=1`,
      );
      evs.push(event(d, j));
    }
    await store.append(evs);
    if (!log.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => log.once('drain', () => r()));
    chunk = [];
    if ((i / 10_000) % 20 === 0) process.stderr.write(`\rfilling: ${i.toLocaleString('en-US')} events`);
  }
  await new Promise<void>((r) => log.end(() => r()));
  await store.close();
  process.stderr.write('\n');
  console.log(`filled ${N.toLocaleString('en-US')} events over ${BOOTS} boots in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
const du = spawnSync('du', ['-sh', join(dataDir, 'db')], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`store ${dataDir} (${du}), audit log ${auditLog} (${(statSync(auditLog).size / 1048576).toFixed(0)} MiB): ${N.toLocaleString('en-US')} process deaths, ${BOOTS} boots of ${PER.toLocaleString('en-US')}`);

// the previous boot (boot-1 .. boot): BOOTS - 1
const first = death((BOOTS - 2) * PER);
const last = death((BOOTS - 1) * PER - 1);
const ausDate = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return [`${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)}`, `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`];
};
const ausArgs = ['-if', auditLog, '-m', 'ANOM_ABEND', '-ts', ...ausDate(first.ms), '-te', ...ausDate(last.ms), '-r'];
const ausEnv = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };
const showArgs = ['show', '--since', 'boot-1', '--until', 'boot', '--data-dir', dataDir];

console.log(`raslog CLI runs ${distIsUsed() ? 'dist/ (compiled)' : 'the sources through tsx (run `node tools/build.mjs` first)'}; ${RUNS} runs each after a warm-up, medians`);
const aus = await medianOf(RUNS, () => timeCmd('ausearch', ausArgs, ausEnv));
const direct = await medianOf(RUNS, () => timeCmd(RASLOG, showArgs));
const srv = await startQueryServer(dataDir);
let viaD;
let viaC = null;
try {
  viaD = await medianOf(RUNS, () => timeCmd(RASLOG, showArgs));
  // the native client, served by raslogd (a fallback to the Node CLI would fail: /bin/false)
  if (clientIsBuilt()) viaC = await medianOf(RUNS, () => timeCmd(CLIENT, showArgs, { ...process.env, RASLOG_NODE_CLI: '/bin/false' }));
} finally {
  await stopQueryServer(srv);
}
const base0 = await medianOf(RUNS, () => timeCmd(process.execPath, ['-e', 'process.stdout.write("x\\n")']));

for (const [label, r] of [
  [`ausearch ${ausArgs.slice(2).join(' ')}`, aus],
  ['raslog show --since boot-1 --until boot (no daemon: the CLI opens the store)', direct],
  ['raslog show --since boot-1 --until boot (Node CLI through raslogd)', viaD],
  ...(viaC ? [['raslog show --since boot-1 --until boot (native client through raslogd)', viaC] as const] : []),
  ['node -e (process start, for reference)', base0],
] as const) {
  console.log(`${label}: ${r.lines} lines, first line ${r.first.toFixed(0)} ms, total ${r.total.toFixed(0)} ms  (runs: first ${r.firsts.map((x) => x.toFixed(0)).join('/')}, total ${r.totals.map((x) => x.toFixed(0)).join('/')})`);
}
for (const r of [aus, direct, viaD, ...(viaC ? [viaC] : [])]) if (r.lines !== PER) throw new Error(`expected ${PER} lines, got ${r.lines}`);
const ratio = (a: number, b: number) => (a / b).toFixed(1);
console.log(
  `ratio ausearch / raslog: time to first line ${ratio(aus.first, direct.first)}x (direct), ${ratio(aus.first, viaD.first)}x (through raslogd); ` +
    `total ${ratio(aus.total, direct.total)}x (direct), ${ratio(aus.total, viaD.total)}x (through raslogd)` +
    (viaC ? `; native client: first line ${ratio(aus.first, viaC.first)}x, total ${ratio(aus.total, viaC.total)}x` : ''),
);
