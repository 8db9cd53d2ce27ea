import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import { ROOT } from './region-helpers.ts';
import { fourBootStore } from './store-scenario.ts';
import { fourBootNetstats, tempDir } from './store-fixtures.ts';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import=tsx', join(ROOT, 'test/showcli-entry.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'Asia/Tokyo', RASLOG_DATA_DIR: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir = '';
test.before(async () => {
  dir = (await fourBootStore()).dir;
});

const L = {
  ml1: '2026-11-28T19:21:35.000000+09:00 boot 1 module_load raslog module 0.1.0-test loaded, formatted the region',
  sshd: '2026-11-28T19:21:36.000000+09:00 boot 1 process_death sshd[100] SIGTERM from systemd[1] uid=0 unit=ssh.service',
  sd: '2026-11-28T19:21:37.000000+09:00 boot 1 shutdown reboot requested by systemd-shutdow[1] uid=0',
  ml2: '2026-11-28T19:22:38.000000+09:00 boot 2 module_load raslog module 0.1.0-test loaded, adopted 0 record(s)',
  nginx: '2026-11-28T19:22:39.000000+09:00 boot 2 process_death nginx[8877] SIGKILL from kill[9001] uid=0 unit=nginx.service; core: not dumped (core limit 0)',
  segv: '2026-11-28T19:22:41.000000+09:00 boot 2 process_death segv[5] SIGSEGV fault at 0x10; core: dumped to /var/crash/core.segv.5 (4096 bytes)',
  unexp: '2026-11-28T19:22:42.000000+09:00 boot 2 unexpected_shutdown boot 2 ended unexpectedly: no shutdown, panic or dump-button record (reset, power loss or hang)',
  ml3: '2026-11-28T19:23:43.000000+09:00 boot 3 module_load raslog module 0.1.0-test loaded, adopted 0 record(s)',
  nmi: '2026-11-28T19:23:44.000000+09:00 boot 3 dump_button dump button (NMI) on CPU 0, interrupted spin[4000] at 0xffffffff81000000',
  panic: '2026-11-28T19:23:45.000000+09:00 boot 3 panic panic in kworker/0:1[77]: Kernel panic - not syncing: test',
  ml4: '2026-11-28T19:24:46.000000+09:00 boot 4 module_load raslog module 0.1.0-test loaded, adopted 0 record(s)',
};
const BOOT4 = /^2026-11-28T19:25:34\.000000\+09:00 boot 4 boot boot 4 started \(kernel .*, boot_id boot-id-4\); boot 3 ended by the dump button$/;

function lines(s: string): string[] {
  return s.split('\n').filter(Boolean);
}

test('show: every event, one line each, coredumps folded into their deaths', (t) => {
  const r = cli(['show', '--data-dir', dir]);
  t.is(r.code, 0, r.err);
  const ls = lines(r.out);
  t.deepEqual(ls.slice(0, 11), [L.ml1, L.sshd, L.sd, L.ml2, L.nginx, L.segv, L.unexp, L.ml3, L.nmi, L.panic, L.ml4]);
  t.regex(ls[11]!, BOOT4);
  t.is(ls.length, 12);
});

test('show -b -1 / -b 1 / -b', (t) => {
  t.deepEqual(lines(cli(['show', '-b', '-1', '--data-dir', dir]).out), [L.ml3, L.nmi, L.panic]);
  t.deepEqual(lines(cli(['show', '-b', '1', '--data-dir', dir]).out), [L.ml1, L.sshd, L.sd]);
  const cur = lines(cli(['show', '-b', '--data-dir', dir]).out);
  t.is(cur[0], L.ml4);
  t.regex(cur[1]!, BOOT4);
});

test('show --since boot-1 --until boot and -t, --process, --unit, -n, -r', (t) => {
  t.deepEqual(lines(cli(['show', '--since', 'boot-1', '--until', '2026-11-28T10:24:00Z', '--data-dir', dir]).out), [L.ml3, L.nmi, L.panic]);
  t.deepEqual(lines(cli(['show', '--since', 'boot-2', '--until', 'boot-1', '--data-dir', dir]).out), [L.ml2, L.nginx, L.segv, L.unexp]); // boot-1's first instant belongs to boot-1
  t.deepEqual(lines(cli(['show', '-t', 'panic', '-t', 'shutdown', '--data-dir', dir]).out), [L.sd, L.panic]);
  t.deepEqual(lines(cli(['show', '--process', 'nginx', '--data-dir', dir]).out), [L.nginx]);
  t.deepEqual(lines(cli(['show', '--unit', 'nginx.service', '--data-dir', dir]).out), [L.nginx]);
  t.deepEqual(lines(cli(['show', '-t', 'module_load', '-n', '2', '--data-dir', dir]).out), [L.ml3, L.ml4]);
  t.deepEqual(lines(cli(['show', '-t', 'module_load', '-n', '2', '-r', '--data-dir', dir]).out), [L.ml4, L.ml3]);
  // without the coredumps in the result there is nothing to fold
  t.deepEqual(lines(cli(['show', '-b', '-2', '-t', 'process_death', '-r', '--data-dir', dir]).out), [
    L.segv.replace(/; core: .*/, ''),
    L.nginx.replace(/; core: .*/, ''),
  ]);
  t.deepEqual(lines(cli(['show', '-b', '-2', '-t', 'process_death', '-t', 'coredump', '-r', '--data-dir', dir]).out), [L.segv, L.nginx]);
  t.deepEqual(lines(cli(['show', '--since', '2026-11-28 19:22:40.5+09:00', '--until', '2026-11-28T19:22:42+09:00', '--data-dir', dir]).out), [L.segv, L.unexp]);
});

test('show -o json / jsonl / csv / short-iso', (t) => {
  const j = JSON.parse(cli(['show', '-b', '1', '-o', 'json', '--data-dir', dir]).out) as { type: string; sseq: number; comm?: string }[];
  t.deepEqual(j.map((e) => e.type), ['module_load', 'process_death', 'shutdown']);
  t.is(j[1]!.comm, 'sshd');
  const jl = lines(cli(['show', '-b', '1', '-o', 'jsonl', '--data-dir', dir]).out).map((l) => JSON.parse(l) as { type: string });
  t.deepEqual(jl.map((e) => e.type), ['module_load', 'process_death', 'shutdown']);
  t.deepEqual(lines(cli(['show', '--process', 'nginx', '-o', 'csv', '--data-dir', dir]).out), [
    'time,boot,type,sseq,seq,comm,pid,unit,message',
    '2026-11-28T10:22:39.000000Z,2,process_death,5,5,nginx,8877,nginx.service,nginx[8877] SIGKILL from kill[9001] uid=0 unit=nginx.service; core: not dumped (core limit 0)',
  ]);
  t.deepEqual(lines(cli(['show', '-t', 'panic', '-o', 'short-iso', '--data-dir', dir]).out), [
    '2026-11-28T10:23:45.000000Z boot 3 panic panic in kworker/0:1[77]: Kernel panic - not syncing: test',
  ]);
});

test('boots: number, span, ending, counts', (t) => {
  const r = cli(['boots', '--data-dir', dir]);
  t.is(r.code, 0);
  const ls = lines(r.out);
  t.is(ls[0], 'IDX  BOOT  FIRST                             LAST                              ENDED           EVENTS  BY TYPE');
  t.is(ls[1], ' -3     1  2026-11-28T19:21:35.000000+09:00  2026-11-28T19:21:37.000000+09:00  clean (reboot)       3  module_load=1 process_death=1 shutdown=1');
  t.is(ls[2], ' -2     2  2026-11-28T19:22:38.000000+09:00  2026-11-28T19:22:42.000000+09:00  unexpected           6  coredump=2 module_load=1 process_death=2 unexpected_shutdown=1');
  t.is(ls[3], ' -1     3  2026-11-28T19:23:43.000000+09:00  2026-11-28T19:23:45.000000+09:00  dump_button          3  dump_button=1 module_load=1 panic=1');
  t.is(ls[4], '  0     4  2026-11-28T19:24:46.000000+09:00  2026-11-28T19:25:34.000000+09:00  running              2  boot=1 module_load=1');
  const j = JSON.parse(cli(['boots', '-o', 'json', '--data-dir', dir]).out) as { boot: number; ended: string; events: number }[];
  t.deepEqual(j.map((b) => [b.boot, b.ended, b.events]), [[1, 'clean', 3], [2, 'unexpected', 6], [3, 'dump_button', 3], [4, 'running', 2]]);
});

test('verify and status', (t) => {
  const v = cli(['verify', '--data-dir', dir]);
  t.is(v.code, 0);
  t.regex(v.out, /^ok: 14 event\(s\) verified; chain head #14 [0-9a-f]{64}\n$/);
  const s = JSON.parse(cli(['status', '-o', 'json', '--data-dir', dir]).out) as { daemon: { running: boolean }; store: { events: number; boots: number; current_boot: number } };
  t.false(s.daemon.running);
  t.like(s.store, { events: 14, boots: 4, current_boot: 4 });
  const st = cli(['status', '--data-dir', dir]);
  t.is(st.code, 0);
  t.true(st.out.includes('raslogd:    not running\n'));
  t.true(st.out.includes('warning:    raslogd is not running: nothing is being collected\n'));
});

test('RASLOG_DATA_DIR is the default data dir', (t) => {
  const r = cli(['show', '-t', 'panic'], { RASLOG_DATA_DIR: dir });
  t.is(r.code, 0);
  t.deepEqual(lines(r.out), [L.panic]);
});

function oneLineError(t: import('ava').ExecutionContext, r: ReturnType<typeof cli>, code: number, msg: string) {
  t.is(r.code, code, r.err);
  t.is(r.err, msg + '\n');
  t.is(r.out, '');
  t.false(r.err.includes('    at '));
}

test('errors: one line, non-zero exit, no stack trace', async (t) => {
  oneLineError(t, cli(['show', '--bogus', '--data-dir', dir]), 2, "raslog: unknown option '--bogus'");
  oneLineError(
    t,
    cli(['show', '--since', 'last tuesday-ish', '--data-dir', dir]),
    2,
    'raslog: --since: bad time expression "last tuesday-ish" (use ISO 8601, now, today, yesterday, -2h, "3 days ago", boot or boot-N)',
  );
  oneLineError(t, cli(['show', '--since', 'boot-9', '--data-dir', dir]), 2, 'raslog: --since boot-9: there is no boot 9 before the current (the store knows 4 boots)');
  oneLineError(t, cli(['show', '-b', '-7', '--data-dir', dir]), 2, 'raslog: -b -7: there is no boot 7 before the current (the store knows 4 boots)');
  oneLineError(t, cli(['show', '-b', '17', '--data-dir', dir]), 2, 'raslog: -b 17: no boot 17 in the store');
  oneLineError(t, cli(['show', '-t', 'crash', '--data-dir', dir]), 2, 'raslog: -t: unknown event type "crash" (known: module_load, module_unload, process_death, coredump, shutdown, panic, dump_button, boot, unexpected_shutdown, records_lost, pstore, netstats, checkpoint)');
  oneLineError(t, cli(['show', '-n', 'x', '--data-dir', dir]), 2, 'raslog: -n: bad number of events "x"');
  oneLineError(t, cli(['show', '-o', 'xml', '--data-dir', dir]), 2, "raslog: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are short, short-iso, json, jsonl, csv.");
  const missing = join(tempDir('x'), 'nope');
  oneLineError(t, cli(['show', '--data-dir', missing]), 1, `raslog: data dir ${missing} does not exist (use --data-dir or RASLOG_DATA_DIR)`);
  const notStore = tempDir('x');
  oneLineError(t, cli(['boots', '--data-dir', notStore]), 1, `raslog: no raslog store in ${notStore}`);
  const empty = tempDir('x');
  mkdirSync(empty, { recursive: true });
  const s = await Store.open(empty, { create: true });
  await s.close();
  oneLineError(t, cli(['show', '--data-dir', empty]), 1, `raslog: the store in ${empty} holds no events yet`);
  oneLineError(t, cli(['verify', '--data-dir', empty]), 1, `raslog: the store in ${empty} holds no events yet`);
  oneLineError(t, cli(['export', '--since', 'soon', '--data-dir', dir]), 2, 'raslog: --since: bad time expression "soon" (use ISO 8601, now, today, yesterday, -2h, "3 days ago", boot or boot-N)');
});

test('show -f without a daemon: prints the last 10, then new events as they are stored', async (t) => {
  const { dir: d2 } = await fourBootStore();
  const { spawn } = await import('node:child_process');
  const f = spawn(process.execPath, ['--import=tsx', join(ROOT, 'test/showcli-entry.ts'), 'show', '-f', '--data-dir', d2], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'Asia/Tokyo' },
  });
  let out = '';
  f.stdout.on('data', (x: Buffer) => (out += x.toString()));
  const wait = async (pred: () => boolean) => {
    const end = Date.now() + 15000;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timeout; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // the last 10 events; the two coredumps fold into their deaths: 8 lines
  await wait(() => lines(out).length >= 8);
  t.deepEqual(lines(out).slice(0, 7), [L.nginx, L.segv, L.unexp, L.ml3, L.nmi, L.panic, L.ml4]);
  t.regex(lines(out)[7]!, BOOT4);
  // a writer takes the store between the CLI's polls
  let s: Store | null = null;
  while (!s) {
    try {
      s = await Store.open(d2);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await s.append([{ type: 'records_lost', boot: 4, time_ns: '1795861600000000000', source: 'kmod', count: 3, first_seq: 20, last_seq: 22, lane: 'process', lanes: ['process'] }]);
  await s.close();
  await wait(() => out.includes('records_lost'));
  f.kill('SIGINT');
  t.is(lines(out)[8], '2026-11-28T19:26:40.000000+09:00 boot 4 records_lost 3 record(s) lost (seq 20..22) in lane process');
});

test('netstats --since boot-1: rates between samples, per interface, -i, -o json/csv, empty range', async (t) => {
  const { dir: d } = await fourBootStore();
  const store = await Store.open(d, { create: false });
  await store.append(fourBootNetstats());
  await store.close();
  const r = cli(['netstats', '--since', 'boot-1', '-o', 'json', '--data-dir', d]);
  t.is(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as any[];
  t.deepEqual(rows.map((x) => [x.boot, x.interface, x.seconds, x.rx_bytes_per_s, x.tx_packets_per_s]), [
    [3, 'eth0', 4, 2560, 1],
    [3, 'eth1', 4, 0, 0],
    [4, 'eth0', 10, 1024, 0.4],
    [4, 'eth1', 10, 0, 0],
  ]);
  t.like(rows[0].deltas, { rx_errs: 1, tx_drop: 2 });
  const short = lines(cli(['netstats', '-b', '-1', '-i', 'eth0', '--data-dir', d]).out);
  t.is(short.length, 2);
  t.regex(short[0]!, /^TIME\s+BOOT\s+IFACE\s+RX\s+TX/);
  t.regex(short[1]!, /^2026-11-28T19:23:48\.500000\+09:00\s+3\s+eth0\s+2\.5 KiB\/s\s+128 B\/s\s+5\s+1\s+1\/0\s+0\/2$/);
  const csv = lines(cli(['netstats', '-b', '-i', 'eth0', '-o', 'csv', '--data-dir', d]).out);
  t.deepEqual(csv, ['time,boot,interface,seconds,rx_bytes,tx_bytes,rx_packets,tx_packets,rx_errs,tx_errs,rx_drop,tx_drop,rx_bytes_per_s,tx_bytes_per_s', '2026-11-28T10:25:10.000000Z,4,eth0,10,10240,512,20,4,1,0,0,2,1024,51.2']);
  t.regex(cli(['netstats', '-b', '1', '--data-dir', d]).out, /no network samples/);
  t.deepEqual(lines(cli(['show', '-t', 'netstats', '-b', '-1', '--data-dir', d]).out), [
    '2026-11-28T19:23:44.500000+09:00 boot 3 netstats first sample of eth0 eth1',
    '2026-11-28T19:23:48.500000+09:00 boot 3 netstats eth0 rx 10240B/20p tx 512B/4p errs 1/0 drop 0/2; eth1 rx 0B/0p tx 0B/0p',
  ]);
  t.is(cli(['netstats', '--since', 'bogus', '--data-dir', d]).code, 2);
});
