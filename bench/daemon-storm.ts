/*
 * A storm of process deaths through the REAL daemon (bin/raslogd.js, its own
 * process), every sink on: syslog(3) → a real rsyslogd, SNMP informs → a real
 * snmptrapd, HTTP and HTTPS consoles (receivers in this process), an exec
 * command. All routed everywhere. Unlike bench/sinks-storm.ts (outbox
 * in-process with the peers), the RSS measured here is raslogd's alone.
 *
 * How the deaths reach raslogd: a 1 MiB region image (the kmod device is a
 * regular file) that this bench appends to in batches while raslogd follows
 * it, as the kernel would commit them. The producer never laps the process
 * lane (≈3,300 slots): before each batch it asks the daemon (query socket,
 * `status`) how far the kmod collector has stored, so no record is lost and
 * every death is stored and notified (a fresh outbox does not send history
 * stored before it existed, so the deaths must arrive while raslogd runs).
 *
 * raslogd runs inside a private mount namespace whose /dev/log is the bench's
 * rsyslogd (test/helpers/peers.ts devLogPrefix); the host's /dev/log is
 * never touched. Needs root, rsyslogd, snmptrapd, openssl.
 *
 * Measured: RSS of the raslogd process (VmRSS every 50 ms from
 * /proc/PID/status, VmHWM at the end), time to store every death, per-sink
 * drain time (backlog 0 in `status` through the daemon socket, polled every
 * 200 ms) and deliveries/s, and at the peers: distinct idempotency keys per
 * sink (suppression off: must be every death, exactly once or duplicated
 * with the same key).
 *
 *   node --import=tsx bench/daemon-storm.ts [--events 10000] [--batch 500]
 *        [--runs 3] [--only off|on] [--no-exec] [--no-sinks] [--sinks syslog,nms,console,console-tls,cmd] [--mem-probe]
 *        [--node-flags "--max-semi-space-size=1 …"]   (flags for raslogd's node)
 *        [--no-shebang-flags]   (ignore the env and node flags of bin/raslogd.js's shebang)
 *        [--daemon-env "MALLOC_ARENA_MAX=2 …"]         (environment for raslogd)
 *        [--snapshot-at MS,MS…]   (heap snapshots of raslogd, SIGUSR2, in the run directory)
 *
 * --mem-probe preloads a module into raslogd (node --import) that samples
 * process.memoryUsage() every 100 ms, to split the peak into V8 heap,
 * external/array buffers and the rest (native: LevelDB, OpenSSL, code).
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { layoutForSize } from '../src/region/format.ts';
import { socketPath } from '../src/store/paths.ts';
import { devLogPrefix, makeTls, parseRsyslogLine, sleep, startHttpPeer, startRsyslog, startSnmptrapd, tempDir, waitFor } from '../test/helpers/peers.ts';
import { ROOT } from '../test/region-helpers.ts';
import { raslogdShebang } from './raslogd-flags.ts';
// @ts-expect-error: plain JS module without types
import { buildIsFresh } from '../bin/entry.js';
import { fakeProc, RegionWriter, T0 } from '../test/store-fixtures.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const sopt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const EVENTS = opt('events', 10_000);
const BATCH = opt('batch', 500);
const RUNS = opt('runs', 1);
const ONLY = sopt('only', '');
const EXEC = !argv.includes('--no-exec');
/** Baseline: the same storm with no sink configured (what the store and collector cost alone). */
const NO_SINKS = argv.includes('--no-sinks');
const ALL_SINKS = ['syslog', 'nms', 'console', 'console-tls', 'cmd'];
/** --sinks a,b: a subset (diagnostics); default every sink (cmd = exec, left out by --no-exec). */
const SINK_NAMES = NO_SINKS ? [] : sopt('sinks', '') ? sopt('sinks', '').split(',') : ALL_SINKS.filter((n) => EXEC || n !== 'cmd');
for (const n of SINK_NAMES) if (!ALL_SINKS.includes(n)) throw new Error(`--sinks: no sink ${n} (${ALL_SINKS.join(', ')})`);
const MEM_PROBE = argv.includes('--mem-probe');
const NODE_FLAGS = sopt('node-flags', '').split(/\s+/).filter(Boolean);
/** Diagnostics: heap snapshots of raslogd (SIGUSR2) this many ms after the storm starts, written to its run directory. */
/** Extra environment for raslogd, e.g. "MALLOC_ARENA_MAX=2". */
const DAEMON_ENV = Object.fromEntries(
  sopt('daemon-env', '')
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const SNAPSHOTS = sopt('snapshot-at', '').split(',').filter(Boolean).map(Number);
const REGION_SIZE = 1024 * 1024;
const LIMIT_MB = 80; // the issue's goal: RSS < 80 MB (decimal)

const MiB = (kib: number) => kib / 1024;
const f1 = (x: number) => x.toFixed(1);

/* ---------------------------------------------------------------- build */

// the bin shim runs dist/ only when it is fresh (bin/entry.js), else the sources through tsx (which costs RSS)
if (!buildIsFresh()) {
  console.log('dist/ is stale: building (node tools/build.mjs)…');
  execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { stdio: 'inherit' });
}

/*
 * raslogd is started as systemd starts it (ExecStart=/usr/bin/raslogd: bin/raslogd.js run through its
 * shebang, `#!/usr/bin/env -S [NAME=value …] node [flags …]`): the shebang's environment and node flags
 * are applied here to process.execPath, so that diagnostics (--mem-probe, --snapshot-at) and
 * --node-flags (appended: later flags win) can be added. --no-shebang-flags: plain `node bin/raslogd.js`.
 */
const shebang = argv.includes('--no-shebang-flags') ? { env: {}, flags: [] } : raslogdShebang(ROOT);
const SHEBANG_ENV: Record<string, string> = shebang.env;
const SHEBANG_FLAGS: string[] = shebang.flags;

/* ---------------------------------------------------------------- peers */

const tls = makeTls();
const rs = await startRsyslog();
const trapd = await startSnmptrapd();
const http = await startHttpPeer();
const https = await startHttpPeer(tls);
const ns = devLogPrefix(rs.dir, rs.sock); // raslogd (and its helpers) see /dev/log → rs.sock
const work = tempDir('raslog-bench-dstorm-');
console.log(`work dir: ${work}`);
const script = join(work, 'notify.sh');
writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "$RASLOG_KEY" >> "$1"\n', { mode: 0o755 });
const probe = join(work, 'memprobe.mjs');
writeFileSync(
  probe,
  `import { appendFileSync, readFileSync } from 'node:fs';
const out = process.env.RASLOG_BENCH_MEMPROBE;
const kib = (s, k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(s)?.[1] ?? NaN) * 1024;
if (out) {
  const t = setInterval(() => {
    const m = process.memoryUsage();
    const st = readFileSync('/proc/self/status', 'utf8');
    appendFileSync(out, JSON.stringify({ t: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rssAnon: kib(st, 'RssAnon'), rssFile: kib(st, 'RssFile') }) + '\\n');
  }, 100);
  t.unref();
}
`,
);

/* --------------------------------------------------------- /proc helpers */

function procStatus(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const v = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
  return { rss: v('VmRSS'), hwm: v('VmHWM') };
}

/** VmRSS (KiB) of pid's direct children (the syslog(3) and exec helpers). */
function childrenRss(pid: number): number {
  let sum = 0;
  try {
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        sum += procStatus(Number(c)).rss;
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no children file */
  }
  return sum;
}

/* --------------------------------------------------------- daemon socket */

interface SinkSt {
  sink: string;
  backlog: number;
  delivered: number;
  failed_attempts: number;
  consecutive_failures: number;
  last_error: string | null;
}
interface StatusJ {
  daemon: { collectors?: { name: string; last_seq?: number; stored?: number }[] };
  store: { events: number };
  notify?: { sinks: SinkSt[] };
}

function request(sock: string, req: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl)) as { result?: unknown; error?: string };
        buf = buf.slice(nl + 1);
        if (m.error !== undefined) {
          s.destroy();
          return reject(new Error(m.error));
        }
        if ('result' in m) {
          s.destroy();
          return resolve(m.result);
        }
      }
    });
    s.on('error', reject);
    s.write(JSON.stringify(req) + '\n');
  });
}
const status = async (sock: string) => ((await request(sock, { op: 'status' })) as { status: StatusJ }).status;
const kmodSeq = (st: StatusJ) => st.daemon.collectors?.find((c) => c.name === 'kmod')?.last_seq ?? 0;

/* ------------------------------------------------------------------ run */

interface SinkResult {
  sink: string;
  delivered: number; // daemon's count
  drainedMs: number | null; // from the first batch written
  distinct: number; // distinct keys at the peer
  receipts: number; // all receipts at the peer (duplicates included)
  foreign: number; // keys that are not one of this run's deaths
}
interface RunResult {
  label: string;
  suppress: boolean;
  storedMs: number;
  enqueuedMs: number | null;
  drainedMs: number | null;
  queued: number;
  sinks: SinkResult[];
  idleKiB: number;
  maxKiB: number;
  hwmKiB: number;
  afterKiB: number;
  helpersMaxKiB: number;
  mem?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; atPeakRss: Record<string, number> };
  errors: string[];
}

let runNo = 0;

async function run(suppress: boolean): Promise<RunResult> {
  const label = suppress ? 'suppression on (defaults)' : 'suppression off';
  const id = `r${++runNo}-${suppress ? 'on' : 'off'}`;
  const base = join(work, id);
  mkdirSync(base);
  const dev = join(base, 'raslog');
  const data = join(base, 'data');
  const proc = fakeProc(`daemon-storm-${id}`);
  const execOut = join(base, 'exec-keys');
  writeFileSync(execOut, '');
  const memOut = join(base, 'mem.jsonl');
  const ident = `raslogd-${id}`;

  // the region: boot 1, module loaded; deaths are appended while raslogd runs
  const w = new RegionWriter(REGION_SIZE, 0x50 + runNo);
  w.newBoot();
  const save = () => {
    writeFileSync(`${dev}.tmp`, w.buf);
    renameSync(`${dev}.tmp`, dev); // atomic: the collector never reads a half-written image
  };
  save();
  const laneSlots = layoutForSize(REGION_SIZE)![2]!.slot_count;

  const conf = join(base, 'raslog.conf');
  const sections: Record<string, string> = {
    syslog: `kind = syslog\nident = ${ident}\nfacility = local7`,
    nms: `kind = snmp\nmanagers = 127.0.0.1:${trapd.port}\nconcurrency = 16`,
    console: `kind = http\nurl = ${http.url}\nconcurrency = 16`,
    'console-tls': `kind = http\nurl = ${https.url}\nca_file = ${tls.caFile}\nhmac_secret = k\nconcurrency = 16`,
    cmd: `kind = exec\ncommand = ${script} ${execOut}\nconcurrency = 8`,
  };
  const SINKS = `${SINK_NAMES.map((n) => `[sink ${n}]\n${sections[n]}\n`).join('')}[route]\nsinks = *\nmin_severity = debug\n`;
  writeFileSync(
    conf,
    `data_dir = ${data}
log_level = info
[kmod]
device = ${dev}
[boot]
boot_id = ${proc.bootIdPath}
uptime = ${proc.uptimePath}
[pstore]
enabled = no
[netstats]
enabled = no
[notify]
hostname = bench
[suppress]
enabled = ${suppress ? 'yes' : 'no'}
[important]
watch_list =
${SINK_NAMES.length ? SINKS : ''}`,
  );

  // peers: this run's receipts only
  http.accepted.length = 0;
  http.requests.length = 0;
  https.accepted.length = 0;
  https.requests.length = 0;
  const trapsBefore = trapd.received().length;

  const nodeArgs = [...SHEBANG_FLAGS, ...NODE_FLAGS, ...(SNAPSHOTS.length ? ['--heapsnapshot-signal=SIGUSR2'] : []), ...(MEM_PROBE ? [`--import=${probe}`] : []), join(ROOT, 'bin/raslogd.js'), '--config', conf];
  const cmd = [...ns, process.execPath, ...nodeArgs];
  const d: ChildProcess = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: base,
    env: { ...process.env, ...SHEBANG_ENV, ...DAEMON_ENV, RASLOG_DATA_DIR: '', ...(MEM_PROBE ? { RASLOG_BENCH_MEMPROBE: memOut } : {}) },
  });
  const log: string[] = [];
  const errors: string[] = [];
  let ready = false;
  const onLine = (l: string) => {
    log.push(l);
    if (log.length > 400) log.splice(0, 200);
    if (/raslogd ready/.test(l)) ready = true;
    if (/ (warn|error): /.test(l) && errors.length < 20) errors.push(l);
  };
  let buf = '';
  d.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    parts.forEach(onLine);
  });
  d.stderr!.setEncoding('utf8').on('data', (s: string) => onLine(`stderr: ${s.trimEnd()}`));
  const pid = d.pid!;
  try {
    await waitFor(() => {
      if (d.exitCode !== null) throw new Error(`raslogd exited ${d.exitCode}:\n${log.join('\n')}`);
      return ready;
    }, 30_000, 'raslogd ready');
    // the spawned pid is raslogd's node itself (unshare and sh exec)
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm !== 'node' && comm !== 'raslogd') throw new Error(`pid ${pid} is ${comm}, not raslogd's node`);
    const sock = socketPath(data);

    // RSS sampling
    let maxKiB = 0;
    let helpersMaxKiB = 0;
    let tick = 0;
    const rssTimer = setInterval(() => {
      try {
        maxKiB = Math.max(maxKiB, procStatus(pid).rss);
        if (tick++ % 10 === 0) helpersMaxKiB = Math.max(helpersMaxKiB, childrenRss(pid));
      } catch {
        /* exiting */
      }
    }, 50);

    // idle: 2 s after ready
    await sleep(2000);
    const idleKiB = procStatus(pid).rss;

    const firstSeq = w.seq; // deaths take seq firstSeq … firstSeq + EVENTS - 1
    const lastSeq = firstSeq + EVENTS - 1;
    const wantKeys = new Set<string>();
    for (let s = firstSeq; s <= lastSeq; s++) wantKeys.add(`${w.regionId}:${s}`);
    const sinkNames = SINK_NAMES;

    // status poller: stored seq, per-sink backlog (drain times)
    const t0 = performance.now();
    let stored = 0;
    let storedMs = NaN;
    let enqueuedMs: number | null = null;
    const drained = new Map<string, number>();
    let last: StatusJ | null = null;
    let polling = true;
    const expectPer = suppress ? null : EVENTS; // with suppression: unknown up front
    const poller = (async () => {
      while (polling) {
        try {
          const st = await status(sock);
          last = st;
          stored = kmodSeq(st);
          const now = performance.now() - t0;
          if (stored >= lastSeq && Number.isNaN(storedMs)) storedMs = now;
          const ss = st.notify?.sinks ?? [];
          if (!Number.isNaN(storedMs)) {
            const total = ss.reduce((a, s) => a + s.backlog + s.delivered, 0);
            if (enqueuedMs === null && expectPer !== null && total >= expectPer * sinkNames.length) enqueuedMs = now;
            for (const s of ss) {
              if (drained.has(s.sink)) continue;
              if (s.backlog === 0 && (expectPer === null || s.delivered >= expectPer)) drained.set(s.sink, now);
            }
          }
        } catch {
          /* daemon busy or stopping: next poll */
        }
        await sleep(Number.isNaN(storedMs) ? 100 : 200);
      }
    })();

    const snapTimers = SNAPSHOTS.map((ms) => setTimeout(() => d.kill('SIGUSR2'), ms));
    // the storm: batches appended as fast as the daemon stores them (never lapping the lane)
    let pidN = 20_000;
    let made = 0;
    const tStorm = T0 + 3_600_000_000_000n; // event time: the storm spans 1 s (100 µs apart)
    while (made < EVENTS) {
      const unstored = w.seq - 1 - stored;
      const n = Math.min(BATCH, EVENTS - made);
      if (unstored + n > laneSlots - 200) {
        await sleep(20);
        continue;
      }
      for (let i = 0; i < n; i++, made++) {
        const k = made;
        w.death({
          pid: pidN++,
          comm: `worker${k % 13}`,
          signo: 9,
          sender: { pid: 9001, uid: 0, comm: 'kill' },
          cgroup: `/system.slice/svc${k % 7}.service`,
          time_ns: tStorm + BigInt(k) * 100_000n,
        });
      }
      save();
      await sleep(10);
    }
    const writtenMs = performance.now() - t0;
    await waitFor(() => !Number.isNaN(storedMs), 120_000, `all ${EVENTS} deaths stored (stored up to #${stored} of #${lastSeq})`, 50);

    // drain: every configured sink's backlog at 0 (and, without suppression, every death delivered)
    const settleStart = performance.now();
    await waitFor(
      () => sinkNames.every((s) => drained.has(s)) || (suppress && performance.now() - settleStart > 3000 && (last?.notify?.sinks ?? []).every((x) => x.backlog === 0)),
      600_000,
      'every sink drained',
      50,
    );
    if (suppress) for (const s of last!.notify!.sinks) if (!drained.has(s.sink)) drained.set(s.sink, performance.now() - t0);
    polling = false;
    await poller;
    snapTimers.forEach(clearTimeout);
    const drainedMs = sinkNames.length ? Math.max(...sinkNames.map((s) => drained.get(s) ?? NaN)) : storedMs;
    await sleep(300); // let the RSS settle a little, then read the high-water mark
    const fin = procStatus(pid);
    clearInterval(rssTimer);
    const final = await status(sock);

    // what the peers received
    const count = (keys: string[]) => {
      const set = new Set(keys);
      let foreign = 0;
      for (const k of set) if (!wantKeys.has(k)) foreign++;
      return { distinct: set.size - foreign, receipts: keys.length, foreign };
    };
    const keyOf = (msg: string) => / key=(\S+)$/.exec(msg)?.[1] ?? '';
    const peers: Record<string, string[]> = {
      syslog: rs
        .lines()
        .map(parseRsyslogLine)
        .filter((l) => l.tag.startsWith(`${ident}[`))
        .map((l) => keyOf(l.msg)),
      nms: trapd
        .received()
        .slice(trapsBefore)
        .map((vbs) => vbs.find((v) => v.oid === '.1.3.6.1.4.1.32473.7.1.1.0' || v.oid.startsWith('.1.3.6.1.4.1.32473.7.1.1'))?.value ?? ''),
      console: http.accepted.map((a) => a.json.key as string),
      'console-tls': https.accepted.map((a) => a.json.key as string),
      cmd: readFileSync(execOut, 'utf8').split('\n').filter(Boolean),
    };
    const sinks: SinkResult[] = sinkNames.map((s) => {
      const st = final.notify?.sinks.find((x) => x.sink === s);
      return { sink: s, delivered: st?.delivered ?? 0, drainedMs: drained.get(s) ?? null, ...count(peers[s] ?? []) };
    });

    let mem: RunResult['mem'];
    if (MEM_PROBE && existsSync(memOut)) {
      const rows = readFileSync(memOut, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, number>);
      const mx = (k: string) => Math.max(...rows.map((r) => r[k]!));
      const peak = rows.reduce((a, r) => (r.rss! > a.rss! ? r : a), rows[0]!);
      mem = { rss: mx('rss'), heapTotal: mx('heapTotal'), heapUsed: mx('heapUsed'), external: mx('external'), arrayBuffers: mx('arrayBuffers'), atPeakRss: peak };
    }
    void writtenMs;
    return {
      label,
      suppress,
      storedMs,
      enqueuedMs,
      drainedMs,
      queued: sinks.reduce((a, s) => a + s.delivered, 0),
      sinks,
      idleKiB,
      maxKiB,
      hwmKiB: fin.hwm,
      afterKiB: fin.rss,
      helpersMaxKiB,
      mem,
      errors,
    };
  } finally {
    if (d.exitCode === null) {
      d.kill('SIGTERM');
      await Promise.race([new Promise((r) => d.once('exit', r)), sleep(8000).then(() => d.kill('SIGKILL'))]);
    }
  }
}

/* --------------------------------------------------------------- report */

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function report(rs_: RunResult[]): void {
  const r0 = rs_[0]!;
  const n = rs_.length;
  const med = (f: (r: RunResult) => number) => median(rs_.map(f));
  const all = (f: (r: RunResult) => number) => (n > 1 ? ` [${rs_.map((r) => fmtS(f(r))).join(', ')}]` : '');
  const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}` : '–');
  console.log(`\n== ${r0.label}: ${EVENTS} deaths, ${n} run(s)${n > 1 ? ', medians [each run]' : ''} ==`);
  console.log(`stored (kmod → LevelDB): ${fmtS(med((r) => r.storedMs))} s${all((r) => r.storedMs)}  (${f1((EVENTS / med((r) => r.storedMs)) * 1000)} deaths/s, batches of ${BATCH})`);
  if (!r0.suppress) console.log(`every delivery queued:   ${fmtS(med((r) => r.enqueuedMs ?? NaN))} s (status polled every 200 ms)`);
  console.log(`all sinks drained:       ${fmtS(med((r) => r.drainedMs ?? NaN))} s${all((r) => r.drainedMs ?? NaN)}`);
  console.log('');
  console.log(`${'sink'.padEnd(12)} ${'delivered'.padStart(9)} ${'distinct keys'.padStart(13)} ${'dup'.padStart(5)} ${'other'.padStart(5)} ${'drained at'.padStart(10)} ${'deliv/s'.padStart(8)}`);
  for (const s of r0.sinks) {
    const per = rs_.map((r) => r.sinks.find((x) => x.sink === s.sink)!);
    const drained = median(per.map((p) => p.drainedMs ?? NaN));
    const dl = median(per.map((p) => p.delivered));
    const distinct = per.map((p) => p.distinct);
    const dup = Math.max(...per.map((p) => p.receipts - p.distinct - p.foreign));
    const foreign = Math.max(...per.map((p) => p.foreign));
    const distinctS = distinct.every((x) => x === distinct[0]) ? String(distinct[0]) : distinct.join('/');
    console.log(
      `${s.sink.padEnd(12)} ${String(dl).padStart(9)} ${distinctS.padStart(13)} ${String(dup).padStart(5)} ${String(foreign).padStart(5)} ${`${fmtS(drained)} s`.padStart(10)} ${(Number.isFinite(drained) ? ((dl / drained) * 1000).toFixed(0) : '–').padStart(8)}`,
    );
  }
  const idle = med((r) => r.idleKiB);
  const hwm = med((r) => r.hwmKiB);
  const mx = med((r) => r.maxKiB);
  const hwmMB = (hwm * 1024) / 1e6;
  console.log('');
  console.log(
    `raslogd RSS: idle ${f1(MiB(idle))} MiB, peak VmHWM ${f1(MiB(hwm))} MiB${n > 1 ? ` [${rs_.map((r) => f1(MiB(r.hwmKiB))).join(', ')}]` : ''} (max sampled VmRSS ${f1(MiB(mx))} MiB), after drain ${f1(MiB(med((r) => r.afterKiB)))} MiB; helpers (syslog/exec) ≤ ${f1(MiB(med((r) => r.helpersMaxKiB)))} MiB`,
  );
  console.log(`RSS < ${LIMIT_MB} MB: ${hwmMB < LIMIT_MB ? 'yes' : 'NO'} (peak ${hwmMB.toFixed(1)} MB)`);
  if (r0.mem) {
    const m = (k: keyof NonNullable<RunResult['mem']>) => f1(median(rs_.map((r) => r.mem![k] as number)) / 1048576);
    const p = r0.mem.atPeakRss;
    console.log(
      `memoryUsage() maxima: rss ${m('rss')} MiB, heapTotal ${m('heapTotal')}, heapUsed ${m('heapUsed')}, external ${m('external')} (arrayBuffers ${m('arrayBuffers')}); ` +
        `at the peak rss (run 1): heapTotal ${f1(p.heapTotal! / 1048576)}, external ${f1(p.external! / 1048576)}, rest (native: LevelDB, OpenSSL, code…) ${f1((p.rss! - p.heapTotal! - p.external!) / 1048576)} MiB; ` +
          `RssAnon ${f1(p.rssAnon! / 1048576)}, RssFile ${f1(p.rssFile! / 1048576)} MiB (file: node's binary and libraries, LevelDB's mmapped tables)`,
    );
  }
  for (const r of rs_) if (r.errors.length) console.log(`daemon warnings (${r.label}):\n  ${r.errors.slice(0, 5).join('\n  ')}`);
}

const SINK_DESC: Record<string, string> = {
  syslog: 'syslog(3) → rsyslogd',
  nms: 'SNMP inform (concurrency 16)',
  console: 'HTTP (16)',
  'console-tls': 'HTTPS+HMAC (16)',
  cmd: 'exec (8)',
};
const modes = ONLY === 'on' ? [true] : ONLY === 'off' ? [false] : [false, true];
const results = new Map<boolean, RunResult[]>();
try {
  for (let i = 0; i < RUNS; i++) {
    for (const s of modes) {
      const r = await run(s);
      results.set(s, [...(results.get(s) ?? []), r]);
      console.log(
        `run ${i + 1} ${r.label}: stored ${(r.storedMs / 1000).toFixed(1)} s, drained ${((r.drainedMs ?? NaN) / 1000).toFixed(1)} s, VmHWM ${f1(MiB(r.hwmKiB))} MiB, idle ${f1(MiB(r.idleKiB))} MiB`,
      );
    }
  }
  const envS = Object.entries({ ...SHEBANG_ENV, ...DAEMON_ENV }).map(([k, v]) => `${k}=${v} `).join('');
  const flags = [...SHEBANG_FLAGS, ...NODE_FLAGS];
  console.log(`\nraslogd: ${envS}node ${flags.length ? `${flags.join(' ')} ` : ''}bin/raslogd.js; ${SINK_NAMES.length ? `sinks: ${SINK_NAMES.map((n) => SINK_DESC[n]).join(', ')}; all routed everywhere` : 'NO sinks (baseline)'}; 1 MiB region`);
  for (const s of modes) report(results.get(s)!);
  if (modes.includes(true)) {
    console.log(`\n(suppression on: ${EVENTS} unwatched deaths in one 300 s window → storm_threshold (20) per sink leave now; the summary follows when the window closes, after this bench)`);
  }
} finally {
  await rs.stop();
  await trapd.stop();
  await http.stop();
  await https.stop();
}
