/*
 * The native client (src/client/raslog-client.c) through a real raslogd on a temp data dir:
 * for a set of invocations it must print exactly what the Node CLI prints in-process without a
 * daemon (stdout, stderr, exit code), in the client's time zone, not raslogd's; show -f follows
 * and ends in raslogd when the client goes; without a daemon, or when raslogd cannot run a
 * request, the client runs the Node CLI. bin/raslog picks the client only when it is fresh.
 */

import test from 'ava';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import { Zone } from '../src/store/tz.ts';
import { ROOT } from './region-helpers.ts';
import { fakeProc, fourBootNetstats, fourBoots, tempDir, type RegionWriter } from './store-fixtures.ts';
import { startupOnce } from './store-scenario.ts';

const base = tempDir('thin');
const CLIENT = join(base, 'raslog-client');
/** Stands in for the Node CLI where the client must not fall back: a fallback then shows. */
const NO_FALLBACK = join(base, 'no-fallback.sh');
const data = join(base, 'data');
let w: RegionWriter;
let image = '';
let daemon: ChildProcess & { lines: string[] };

interface Run {
  code: number | null;
  signal?: string | null;
  out: string;
  err: string;
}

function client(args: string[], env: Record<string, string | undefined> = {}, nodeCli = NO_FALLBACK): Run {
  const e: NodeJS.ProcessEnv = { ...process.env, RASLOG_DATA_DIR: '', RASLOG_SOCKET: '', RASLOG_NODE_CLI: nodeCli, NODE_OPTIONS: '' };
  delete e.TZ;
  delete e.RASLOG_CLIENT_DEBUG;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete e[k];
    else e[k] = v;
  }
  const r = spawnSync(CLIENT, args, { encoding: 'utf8', env: e });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

function clientAsync(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    const c = spawn(CLIENT, args, { env: { ...process.env, RASLOG_DATA_DIR: '', RASLOG_NODE_CLI: NO_FALLBACK, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => res({ code, out, err }));
  });
}

/** The Node CLI in-process (test/cli-run-entry.ts), no daemon: one process for all argvs. */
function nodeRuns(argvs: string[][], tz: string | undefined): Run[] {
  const env: NodeJS.ProcessEnv = { ...process.env, RASLOG_DATA_DIR: '', RASLOG_SOCKET: '' };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const out = execFileSync(process.execPath, ['--import=tsx', join(ROOT, 'test/cli-run-entry.ts'), JSON.stringify(argvs)], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return JSON.parse(out) as Run[];
}

async function until(what: string, pred: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

function queries(): { connections: number; active: number; cli_runs: number } {
  const r = client(['status', '-o', 'json', '--data-dir', data]);
  if (r.code !== 0) throw new Error(`status: ${r.err}`);
  return (JSON.parse(r.out) as { daemon: { queries: { connections: number; active: number; cli_runs: number } } }).daemon.queries;
}

test.before(async () => {
  // -Werror: the client builds without a warning
  execFileSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-o', CLIENT, join(ROOT, 'src/client/raslog-client.c')]);
  writeFileSync(NO_FALLBACK, '#!/bin/sh\necho "fell back to the Node CLI: $*" >&2\nexit 99\n');
  chmodSync(NO_FALLBACK, 0o755);
  // the four-boot store, then netstats samples (two per boot for rates), then raslogd on it
  w = fourBoots();
  image = w.save(join(base, 'raslog'));
  const proc = fakeProc('boot-id-4');
  mkdirSync(data);
  const store = await Store.open(data, { create: true });
  await startupOnce(store, image, 'boot-id-4');
  await store.append(fourBootNetstats());
  await store.close();
  const conf = join(base, 'raslog.conf');
  writeFileSync(
    conf,
    `data_dir = ${data}\n[kmod]\ndevice = ${image}\npoll_interval_ms = 30\n[boot]\nboot_id = ${proc.bootIdPath}\nuptime = ${proc.uptimePath}\n[pstore]\nenabled = no\n[netstats]\nenabled = no\n`,
  );
  // raslogd in New York: every local time below must be the client's (Tokyo, or the system's)
  daemon = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'America/New_York', RASLOG_DATA_DIR: '', RASLOG_SOCKET: '' },
  }) as ChildProcess & { lines: string[] };
  daemon.lines = [];
  daemon.stdout!.on('data', (d: Buffer) => daemon.lines.push(...d.toString().split('\n')));
  daemon.stderr!.on('data', (d: Buffer) => daemon.lines.push(...d.toString().split('\n')));
  await until('raslogd ready', () => daemon.lines.some((l) => /raslogd ready/.test(l)), 30000);
});

test.after.always(() => {
  if (daemon.exitCode === null) daemon.kill('SIGKILL');
});

test.serial('zones: offsets and wall times by name equal those of a process with that TZ', (t) => {
  const walls = [[2026, 2, 8, 2, 30], [2026, 10, 1, 1, 30], [2026, 2, 29, 2, 30], [2026, 9, 25, 1, 30], [2026, 5, 1, 12, 0], [2027, 0, 1, 0, 0]];
  const instants = [Date.UTC(2026, 2, 8, 6, 59), Date.UTC(2026, 2, 8, 7, 0), Date.UTC(2026, 10, 1, 5, 59), Date.UTC(2026, 10, 1, 6, 0), Date.UTC(2026, 2, 29, 0, 59), Date.UTC(2026, 2, 29, 1, 0)];
  for (const tz of ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago']) {
    const code = `console.log(JSON.stringify([${JSON.stringify(walls)}.map((w) => new Date(...w).getTime()), ${JSON.stringify(instants)}.map((i) => -new Date(i).getTimezoneOffset())]))`;
    const [ws, offs] = JSON.parse(execFileSync(process.execPath, ['-e', code], { env: { ...process.env, TZ: tz }, encoding: 'utf8' })) as number[][];
    const z = new Zone(tz);
    t.deepEqual(walls.map((x) => z.wallToUtc(...(x as [number, number, number, number, number]))), ws, tz);
    t.deepEqual(instants.map((i) => z.offsetMinutes(i)), offs, tz);
  }
});

test.serial('show -f through raslogd: new events reach the client; a killed client, SIGINT, a closed stdout end the request in raslogd', async (t) => {
  t.like(queries(), { connections: 1, active: 1 }); // the status request itself
  const follow = (args: string[], cmd = CLIENT) => {
    const c = spawn(cmd, ['show', '-f', ...args, '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'Asia/Tokyo', RASLOG_NODE_CLI: NO_FALLBACK } });
    const r = { out: '', err: '', exit: new Promise<[number | null, string | null]>((res) => c.on('exit', (code, sig) => res([code, sig]))) };
    c.stdout.on('data', (d: Buffer) => (r.out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (r.err += d.toString()));
    return { c, r };
  };

  // killed
  const a = follow(['-t', 'shutdown', '-o', 'short-iso']);
  await until('the last shutdown', () => a.r.out.includes('\n'));
  t.is(a.r.out, '2026-11-28T10:21:37.000000Z boot 1 shutdown reboot requested by systemd-shutdow[1] uid=0\n');
  t.like(queries(), { connections: 2, active: 2 });
  w.shutdown(2);
  w.save(image);
  await until('the new shutdown', () => a.r.out.split('\n').length > 2);
  t.regex(a.r.out.split('\n')[1]!, /^\S+Z boot 4 shutdown \w+ requested by systemd-shutdow\[1\] uid=0$/);
  a.c.kill('SIGKILL');
  await a.r.exit;
  await until('raslogd ends the request', () => queries().connections === 1);
  t.like(queries(), { connections: 1, active: 1 });

  // SIGINT: forwarded, a clean end with status 0, as the Node CLI's
  const b = follow(['-t', 'shutdown', '-n', '1']);
  await until('the last shutdown', () => b.r.out.includes('\n'));
  t.regex(b.r.out, /^\S+\+09:00 boot 4 shutdown \w+ requested/);
  b.c.kill('SIGINT');
  t.deepEqual(await b.r.exit, [0, null]);
  t.is(b.r.err, '');
  await until('raslogd ends the request', () => queries().connections === 1);
  // the Node CLI through raslogd, the same
  const bn = follow(['-t', 'shutdown', '-n', '1'], join(ROOT, 'bin/raslog.js'));
  await until('the Node CLI\'s last shutdown', () => bn.r.out.includes('\n'), 30000);
  t.is(bn.r.out, b.r.out);
  bn.c.kill('SIGINT');
  t.deepEqual(await bn.r.exit, [0, null]);
  await until('raslogd ends the request', () => queries().connections === 1);

  // stdout closed (| head -1): the next write fails, the client exits 0 quietly, raslogd stops
  const c = follow(['-t', 'panic']);
  await until('the last panic', () => c.r.out.includes('\n'));
  c.c.stdout.destroy();
  w.panic('Kernel panic - not syncing: after');
  w.save(image);
  t.deepEqual(await c.r.exit, [0, null]);
  t.is(c.r.err, '');
  await until('raslogd ends the request', () => queries().connections === 1);
});

// [argv, env of the client]; each runs with --data-dir unless RASLOG_DATA_DIR is given
const TOKYO: string[][] = [
  ['show'],
  ['show', '-b', '-1'],
  ['show', '-b'],
  ['show', '--since', 'boot-2', '--until', 'boot-1'],
  ['show', '-t', 'process_death', '-t', 'coredump', '-r'],
  ['show', '-n', '3', '-o', 'json'],
  ['show', '-o', 'jsonl', '--process', 'nginx'],
  ['show', '-o', 'csv'],
  ['show', '-o', 'short-iso', '-b', '2'],
  ['show', '--since', '2026-11-28 19:22:40', '--until', '2026-11-28T19:23:44'], // local times: Tokyo's
  ['show', '--unit', 'nginx.service', '-o', 'json'],
  ['boots'],
  ['boots', '-o', 'json'],
  ['verify'],
  ['export'],
  ['export', '--format', 'csv', '--since', 'boot-1'],
  ['netstats', '--since', 'boot-1'],
  ['netstats', '-o', 'json'],
  ['netstats', '-b', '1'],
  ['netstats', '-o', 'csv', '-i', 'eth0'],
  ['show', '--bogus'],
  ['show', '--since', 'last tuesday-ish'],
  ['show', '-b', '17'],
  ['show', '-o', 'xml'],
  ['show', 'extra'],
  ['export', '--since', 'soon'],
  ['show', '--help'],
  ['boots', '--help'],
  ['show', '--since'],
];
const SYSTEM_ZONE: string[][] = [['show', '-b', '-1'], ['boots'], ['netstats', '-b', '-1'], ['show', '--since', '2026-11-28 10:22:40', '-n', '2']];

test.serial('through raslogd the client prints what the Node CLI prints in-process: stdout, stderr, exit code; in the client zone', async (t) => {
  const runs0 = queries().cli_runs;
  const withDir = (a: string[]) => (a.includes('--data-dir') ? a : [...a, '--data-dir', data]);
  const viaDaemon = {
    tokyo: TOKYO.map((a) => client(withDir(a), { TZ: 'Asia/Tokyo' })),
    system: SYSTEM_ZONE.map((a) => client(withDir(a))),
    envDir: client(['show', '-t', 'panic'], { TZ: 'Asia/Tokyo', RASLOG_DATA_DIR: data }),
    status: client(['status', '-o', 'json', '--data-dir', data]),
    statusText: client(['status', '--data-dir', data]),
  };
  t.is(queries().cli_runs - runs0, TOKYO.length + SYSTEM_ZONE.length + 3 + 1, 'every run was served by raslogd');
  // clients at once, in two zones: each gets its own output, whole
  const zones = ['Asia/Tokyo', 'Asia/Kolkata', 'America/Los_Angeles'];
  const together = await Promise.all([...Array(9).keys()].map((i) => clientAsync(i % 3 === 2 ? ['export', '--data-dir', data] : ['show', '--data-dir', data], { TZ: zones[i % 3]! })));
  together.forEach((r, i) => {
    const alone = client(i % 3 === 2 ? ['export', '--data-dir', data] : ['show', '--data-dir', data], { TZ: zones[i % 3]! });
    t.is(r.out, alone.out, `concurrent client ${i}`);
    t.is(r.code, 0);
  });
  t.regex(together[1]!.out, /^2026-11-28T15:51:35\.000000\+05:30 boot 1 /);
  // raslogd stops; its socket stays (SIGKILL): the Node CLI opens the store itself
  const exited = new Promise((res) => daemon.once('exit', res));
  daemon.kill('SIGKILL');
  await exited;
  const [tokyo, system] = [nodeRuns([...TOKYO.map(withDir), ['show', '-t', 'panic', '--data-dir', data], ['status', '-o', 'json', '--data-dir', data], ['status', '--data-dir', data]], 'Asia/Tokyo'), nodeRuns(SYSTEM_ZONE.map(withDir), undefined)];
  const same = (c: Run, n: Run, what: string) => {
    t.is(c.err, n.err, what);
    t.is(c.out, n.out, what);
    t.is(c.code, n.code, what);
  };
  TOKYO.forEach((a, i) => same(viaDaemon.tokyo[i]!, tokyo[i]!, `TZ=Asia/Tokyo raslog ${a.join(' ')}`));
  SYSTEM_ZONE.forEach((a, i) => same(viaDaemon.system[i]!, system[i]!, `raslog ${a.join(' ')} (system zone)`));
  same(viaDaemon.envDir, tokyo[TOKYO.length]!, 'RASLOG_DATA_DIR');
  // the outputs are what they should be, not only alike
  t.regex(viaDaemon.tokyo[0]!.out, /^2026-11-28T19:21:35\.000000\+09:00 boot 1 module_load /);
  t.regex(viaDaemon.system[0]!.out, /^2026-11-28T\d\d:23:43\.000000[+-]\d\d:\d\d boot 3 module_load /);
  t.notRegex(viaDaemon.system[0]!.out, /-0[45]:00 boot/); // not raslogd's zone (New York)
  t.deepEqual(viaDaemon.tokyo[9]!.out.split('\n').filter(Boolean).map((l) => l.slice(11, 19)), ['19:22:40', '19:22:41', '19:22:42', '19:23:43', '19:23:44']);
  t.is(viaDaemon.tokyo[20]!.err, "raslog: unknown option '--bogus'\n");
  t.is(viaDaemon.tokyo[20]!.code, 2);
  t.regex(viaDaemon.tokyo[26]!.out, /^Usage: raslog show \[options\]/);
  t.regex(viaDaemon.tokyo[16]!.out, /^TIME +BOOT +IFACE/);
  // status: the daemon's part differs (running, pid, sinks); the store's must not
  type St = { data_dir: string; store: unknown; daemon: { running: boolean } };
  const sd = JSON.parse(viaDaemon.status.out) as St;
  const sn = JSON.parse(tokyo[TOKYO.length + 1]!.out) as St;
  t.true(sd.daemon.running);
  t.false(sn.daemon.running);
  t.deepEqual(sd.store, sn.store);
  t.is(sd.data_dir, sn.data_dir);
  const stable = (s: string) => s.split('\n').filter((l) => /^(data dir|events|span|chain head|by type):/.test(l));
  t.is(stable(viaDaemon.statusText.out).length, 5);
  t.deepEqual(stable(viaDaemon.statusText.out), stable(tokyo[TOKYO.length + 2]!.out));
});

test.serial('without a daemon the client runs the Node CLI: stale socket (ECONNREFUSED), no data dir (ENOENT), commands it does not forward', (t) => {
  const node = join(ROOT, 'bin/raslog.js');
  const argvs = [['show', '-n', '3', '--data-dir', data], ['boots', '--data-dir', data], ['show', '--data-dir', join(base, 'none')], ['--help'], ['region', '--bogus']];
  const ref = nodeRuns(argvs, 'Asia/Tokyo');
  argvs.forEach((a, i) => {
    const r = client(a, { TZ: 'Asia/Tokyo' }, node);
    t.is(r.out, ref[i]!.out, a.join(' '));
    t.is(r.err, ref[i]!.err, a.join(' '));
    t.is(r.code, ref[i]!.code, a.join(' '));
  });
  t.regex(ref[1]!.out, /^IDX  BOOT/);
  // a command not forwarded never reaches raslogd: with no Node CLI at hand, that shows
  t.is(client(['test-notify', '--data-dir', data]).code, 99);
});

test.serial('raslogd hands back what it cannot reproduce: a POSIX TZ, a data dir the program resolves elsewhere', async (t) => {
  // a raslogd again (the previous one was killed)
  const d = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', join(base, 'raslog.conf')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TZ: 'America/New_York', RASLOG_DATA_DIR: '', RASLOG_SOCKET: '' },
  });
  let log = '';
  d.stdout.on('data', (x: Buffer) => (log += x.toString()));
  try {
    await until('raslogd ready', () => log.includes('raslogd ready'), 30000);
    const node = join(ROOT, 'bin/raslog.js');
    const runs0 = queries().cli_runs;
    const posix = client(['show', '-b', '1', '--data-dir', data], { TZ: 'JST-9', RASLOG_CLIENT_DEBUG: '1' }, node);
    t.is(posix.code, 0, posix.err);
    t.is(posix.err, 'raslog-client: Node CLI: time zone TZ=JST-9\n');
    t.regex(posix.out, /^2026-11-28T19:21:35\.000000\+09:00 boot 1 module_load /); // what node makes of JST-9
    // the client finds --data-dir=DIR; commander takes it as --process's value: the data dir is $RASLOG_DATA_DIR's
    const missing = join(base, 'none');
    const odd = client(['show', '--process', `--data-dir=${data}`], { RASLOG_DATA_DIR: missing }, node);
    t.is(odd.err, `raslog: data dir ${missing} does not exist (use --data-dir or RASLOG_DATA_DIR)\n`);
    t.is(odd.code, 1);
    t.is(queries().cli_runs - runs0, 2 + 1); // both reached raslogd and were handed back (+ this status)
  } finally {
    d.kill('SIGKILL');
  }
});

test.serial('bin/raslog starts the client only when it is built and not older than its source', (t) => {
  const root = tempDir('shim');
  for (const dir of ['bin', 'dist', 'src/client']) mkdirSync(join(root, dir), { recursive: true });
  copyFileSync(join(ROOT, 'bin/raslog'), join(root, 'bin/raslog'));
  chmodSync(join(root, 'bin/raslog'), 0o755);
  writeFileSync(join(root, 'bin/raslog.js'), '#!/bin/sh\necho "node $*"\n');
  chmodSync(join(root, 'bin/raslog.js'), 0o755);
  writeFileSync(join(root, 'dist/raslog-client'), '#!/bin/sh\necho "client $*"\n');
  chmodSync(join(root, 'dist/raslog-client'), 0o755);
  const src = join(root, 'src/client/raslog-client.c');
  writeFileSync(src, '');
  const run = (cmd = join(root, 'bin/raslog')) => spawnSync(cmd, ['show', '-n', '1 2'], { encoding: 'utf8' }).stdout;
  utimesSync(src, 1000, 1000);
  t.is(run(), 'client show -n 1 2\n');
  spawnSync('ln', ['-s', join(root, 'bin/raslog'), join(root, 'link')]);
  t.is(run(join(root, 'link')), 'client show -n 1 2\n'); // node_modules/.bin/raslog is a symlink
  utimesSync(src, new Date(), new Date(Date.now() + 5000));
  t.is(run(), 'node show -n 1 2\n');
  spawnSync('rm', [join(root, 'dist/raslog-client')]);
  t.is(run(), 'node show -n 1 2\n');
});

