import test from 'ava';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../src/daemon/config.ts';
import { decodeRegion } from '../src/region/decode.ts';
import { ROOT } from './region-helpers.ts';
import { RegionWriter, fakeProc, tempDir } from './store-fixtures.ts';

test('the shipped etc/raslog.conf parses to the defaults', (t) => {
  const c = parseConfig(readFileSync(join(ROOT, 'etc/raslog.conf'), 'utf8'), 'raslog.conf');
  t.deepEqual({ ...c, path: null }, defaultConfig());
});

test('config errors name the file, the line and the key', (t) => {
  const bad = (text: string) => t.throws(() => parseConfig(text, '/etc/raslog.conf'))?.message;
  t.is(bad('[netstats]\n\ninterval = 7\n'), '/etc/raslog.conf:3: netstats.interval = "7": must divide 60 s, 1 h or 24 h (e.g. 10, 30, 60, 300)');
  t.is(bad('# c\n[kmod]\npoll_interval_ms = fast\n'), '/etc/raslog.conf:3: kmod.poll_interval_ms = "fast": expected a whole number');
  t.is(bad('[kmod]\nenabled = maybe\n'), '/etc/raslog.conf:2: kmod.enabled = "maybe": expected yes or no');
  t.is(bad('[kmod]\ndevise = /dev/raslog\n'), '/etc/raslog.conf:2: unknown key kmod.devise in [kmod] (known: enabled, device, poll_interval_ms, hole_settle_ms)');
  t.is(bad('[kmods]\n'), '/etc/raslog.conf:1: unknown section [kmods] (known: [kmod], [boot], [pstore], [netstats], [store], [retention], [notify], [suppress], [important], [sink NAME], [route])');
  t.is(bad('log_level = loud\n'), '/etc/raslog.conf:1: log_level = "loud": expected error, warn, info or debug');
  t.is(bad('[retention]\nnetstats = 0\n'), '/etc/raslog.conf:2: retention.netstats = "0": must be at least 1');
  t.is(bad('[store]\nprune_schedule = every day\n'), '/etc/raslog.conf:2: store.prune_schedule = "every day": expected a cron expression such as "17 3 * * *"');
  t.is(bad('[kmod]\ndevice = /dev/a\ndevice = /dev/b\n'), '/etc/raslog.conf:3: kmod.device already set on line 2');
  t.is(bad('data_dir\n'), '/etc/raslog.conf:1: expected "key = value", "[section]" or a comment');
  const ok = parseConfig('[netstats]\ninterval = 300  # five minutes\ninterfaces = eth0, eth1\n[retention]\nnetstats = 7\n', 'x');
  t.is(ok.netstats.interval, 300);
  t.deepEqual(ok.netstats.interfaces, ['eth0', 'eth1']);
  t.is(ok.retention.netstats, 7);
});

function raslogd(args: string[]): ChildProcess & { lines: string[]; waitFor(re: RegExp, ms?: number): Promise<string> } {
  const c = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RASLOG_DATA_DIR: '' } }) as ChildProcess & {
    lines: string[];
    waitFor(re: RegExp, ms?: number): Promise<string>;
  };
  c.lines = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  c.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    c.lines.push(...parts);
    for (const w of waiters) w();
  });
  c.waitFor = (re, ms = 15000) =>
    new Promise((res, rej) => {
      const check = () => {
        const l = c.lines.find((x) => re.test(x));
        if (l) res(l);
      };
      waiters.push(check);
      check();
      setTimeout(() => rej(new Error(`timeout waiting for ${re}; log:\n${c.lines.join('\n')}`)), ms);
    });
  return c;
}

function cli(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, ['--import=tsx', join(ROOT, 'test/showcli-entry.ts'), ...args, '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function setup() {
  const base = tempDir('d');
  const w = new RegionWriter();
  w.newBoot().death({ pid: 42, comm: 'nginx', signo: 9, sender: { pid: 7, uid: 0, comm: 'kill' }, cgroup: '/system.slice/nginx.service' });
  const dev = w.save(join(base, 'raslog'));
  const proc = fakeProc('daemon-boot');
  mkdirSync(join(base, 'pstore'));
  writeFileSync(join(base, 'netdev'), 'a\nb\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n');
  const conf = join(base, 'raslog.conf');
  writeFileSync(
    conf,
    `data_dir = ${join(base, 'data')}\n[kmod]\ndevice = ${dev}\npoll_interval_ms = 30\n[boot]\nboot_id = ${proc.bootIdPath}\nuptime = ${proc.uptimePath}\n[pstore]\ndir = ${join(base, 'pstore')}\n[netstats]\npath = ${join(base, 'netdev')}\ninterval = 3600\n`,
  );
  return { base, w, dev, conf, data: join(base, 'data') };
}

test('raslogd: serves the CLI while running, follows the device, single instance, SIGHUP, SIGTERM', async (t) => {
  const s = setup();
  const d = raslogd(['--config', s.conf]);
  await d.waitFor(/raslogd ready \(pid \d+, data dir .*, boot 1\)/);
  // the CLI goes through the socket (the daemon holds the LevelDB lock)
  const st = JSON.parse(cli(['status', '-o', 'json'], s.data).out) as {
    daemon: { running: boolean; pid: number; collectors: { name: string; state: string }[]; memory: { rss_bytes: number; heap_used_bytes: number } };
  };
  t.true(st.daemon.running);
  t.is(st.daemon.pid, d.pid!);
  // the daemon's own memory, as /proc reports it for its pid
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'))![1]) * 1024;
  t.true(Math.abs(st.daemon.memory.rss_bytes - rss) < 32 << 20, `${st.daemon.memory.rss_bytes} vs ${rss}`);
  t.true(st.daemon.memory.heap_used_bytes > 1 << 20 && st.daemon.memory.heap_used_bytes < st.daemon.memory.rss_bytes);
  t.regex(cli(['status'], s.data).out, /^memory: {5}RSS \d+\.\d MiB, V8 heap in use \d+\.\d MiB$/m);
  t.deepEqual(st.daemon.collectors.map((c) => [c.name, c.state]), [['boot', 'ok'], ['kmod', 'ok'], ['pstore', 'ok'], ['netstats', 'ok']]);
  t.deepEqual(cli(['show', '-t', 'process_death'], s.data).out, '2026-11-28T10:21:36.000000+00:00 boot 1 process_death nginx[42] SIGKILL from kill[7] uid=0 unit=nginx.service\n');

  // show -f through the daemon receives new records
  const f = spawn(process.execPath, ['--import=tsx', join(ROOT, 'test/showcli-entry.ts'), 'show', '-f', '-t', 'shutdown', '-o', 'short-iso', '--data-dir', s.data], { stdio: ['ignore', 'pipe', 'pipe'] });
  let fout = '';
  f.stdout.on('data', (x: Buffer) => (fout += x.toString()));
  await new Promise((r) => setTimeout(r, 1500));
  s.w.shutdown(3);
  s.w.save(s.dev);
  const end = Date.now() + 10000;
  while (!fout.includes('shutdown') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  f.kill('SIGINT');
  t.is(fout, '2026-11-28T10:21:37.000000Z boot 1 shutdown poweroff requested by systemd-shutdow[1] uid=0\n');

  // a second instance refuses
  const second = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', s.conf], { encoding: 'utf8' });
  t.is(second.status, 1);
  t.is(second.stderr, `raslogd is already running (pid ${d.pid})\n`);

  // SIGHUP with a broken file keeps running with the old config; a good file reloads
  const good = readFileSync(s.conf, 'utf8');
  writeFileSync(s.conf, good + 'bogus line\n');
  d.kill('SIGHUP');
  await d.waitFor(/reload: .*raslog\.conf:\d+: .*keeping the running configuration/);
  writeFileSync(s.conf, good.replace('interval = 3600', 'interval = 1800'));
  d.kill('SIGHUP');
  await d.waitFor(/configuration reloaded from/);
  t.is(cli(['status', '-o', 'json'], s.data).code, 0);

  // SIGTERM: clean stop, socket and pid file removed; the CLI then opens the store itself
  const exited = closeOf(d); // after its output was read to the end
  d.kill('SIGTERM');
  t.is(await exited, 0);
  t.false(existsSync(join(s.data, 'raslogd.sock')));
  t.false(existsSync(join(s.data, 'raslogd.pid')));
  t.true(d.lines.some((l) => / info: raslogd stopped$/.test(l)));
  const after = cli(['show', '-t', 'shutdown', '-o', 'short-iso'], s.data);
  t.is(after.out, '2026-11-28T10:21:37.000000Z boot 1 shutdown poweroff requested by systemd-shutdow[1] uid=0\n');
  t.is(cli(['verify'], s.data).code, 0);
});

test('raslogd refuses to start on a bad config, naming key and line', (t) => {
  const s = setup();
  writeFileSync(s.conf, readFileSync(s.conf, 'utf8') + '[pstore]\n');
  writeFileSync(s.conf, readFileSync(s.conf, 'utf8').replace('interval = 3600', 'interval = 7'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', s.conf], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.is(r.stderr, `raslogd: ${s.conf}:12: netstats.interval = "7": must divide 60 s, 1 h or 24 h (e.g. 10, 30, 60, 300)\n`);
  t.is(r.stdout, '');
  const missing = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', join(s.base, 'none.conf')], { encoding: 'utf8' });
  t.is(missing.status, 1);
  t.is(missing.stderr, `raslogd: cannot read ${join(s.base, 'none.conf')}: no such file\n`);
  const chk = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', join(ROOT, 'etc/raslog.conf'), '--check-config'], { encoding: 'utf8' });
  t.is(chk.status, 0);
  t.is(chk.stdout, `${join(ROOT, 'etc/raslog.conf')}: ok\n`);
});

test('etc/systemd/raslogd.service passes systemd-analyze verify', (t) => {
  const dir = tempDir('unit');
  // the real ExecStart path does not exist on a build machine: point it at an executable
  const unit = readFileSync(join(ROOT, 'etc/systemd/raslogd.service'), 'utf8').replace('/usr/bin/raslogd', process.execPath);
  writeFileSync(join(dir, 'raslogd.service'), unit);
  const r = spawnSync('systemd-analyze', ['verify', join(dir, 'raslogd.service')], { encoding: 'utf8' });
  t.is(r.stderr.trim(), '');
  t.is(r.status, 0);
});

const root = process.getuid?.() === 0;

/** Stored events of a data dir (raslogd stopped), as kmod region seqs. */
async function storedRegionSeqs(data: string): Promise<{ seqs: number[]; verified: boolean }> {
  const { Store } = await import('../src/store/store.ts');
  const { verifyChain } = await import('../src/store/verify.ts');
  const store = await Store.open(data);
  try {
    const seqs: number[] = [];
    for await (const [, v] of store.rows()) {
      const e = (JSON.parse(v) as { e: { source: string; type: string; seq?: number } }).e;
      if (e.source === 'kmod' && e.type !== 'records_lost') seqs.push(e.seq!);
    }
    return { seqs: seqs.sort((a, b) => a - b), verified: (await verifyChain(store)).ok };
  } finally {
    await store.close();
  }
}

function closeOf(c: ChildProcess, ms = 30000): Promise<number | null> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('raslogd did not exit')), ms);
    c.on('close', (code) => {
      // 'close': after the exit and its stdout and stderr have been read to the end
      clearTimeout(t);
      res(code);
    });
  });
}

// A full disk must not lose records nor leave raslogd dead: a failed LevelDB write may leave a torn
// record in LevelDB's log, after which writes acknowledged by the same handle can vanish at the next
// open (measured here: 3 of 3), so raslogd stops writing and exits 75 for systemd to restart it; the
// records wait in the region. Real tmpfs mounts, filled for real (root only).
(root ? test : test.skip)('a full disk: raslogd exits 75 with one clear line, a restart with room stores every record once', async (t) => {
  const s = setup();
  s.w = new RegionWriter(4 << 20); // room for every record of the test: none overwritten
  s.w.newBoot();
  const mount = (...args: string[]) => spawnSync('mount', args, { encoding: 'utf8' });
  mkdirSync(s.data);
  t.is(mount('-t', 'tmpfs', '-o', 'size=1200k', 'tmpfs', s.data).status, 0);
  const daemons: ChildProcess[] = [];
  const start = () => {
    const d = raslogd(['--config', s.conf]);
    daemons.push(d);
    return d;
  };
  try {
    for (let i = 0; i < 3000; i++) s.w.death({ pid: 1000 + i, comm: `w${i % 7}`, signo: 9, sender: { pid: 1, uid: 0, comm: 'systemd' }, cgroup: '/system.slice/w.service' });
    s.w.save(s.dev);
    const regionSeqs = () => Array.from({ length: s.w.seq - 1 }, (_, i) => i + 1);

    // 1. the replay at start fills the disk
    const d1 = start();
    let stderr = '';
    d1.stderr!.on('data', (x: Buffer) => (stderr += x.toString()));
    t.is(await closeOf(d1), 75);
    t.true(d1.lines.some((l) => / error: store: a write failed \(IO error: .*No space left on device\): raslogd stops and exits 75/.test(l)), d1.lines.join('\n'));
    t.notRegex(stderr + d1.lines.join('\n'), /^\s+at /m); // no stack trace
    t.is(existsSync(join(s.data, 'raslogd.pid')), false);

    // 2. with room, the next start stores every record once
    t.is(mount('-o', 'remount,size=64m', s.data).status, 0);
    const d2 = start();
    await d2.waitFor(/raslogd ready/);
    const want = regionSeqs().length;
    for (let end = Date.now() + 20000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      const st = JSON.parse(cli(['status', '-o', 'json'], s.data).out || '{}') as { daemon?: { collectors: { name: string; last_seq?: number }[] } };
      if (st.daemon?.collectors.find((c) => c.name === 'kmod')?.last_seq === want) break;
    }

    // 3. the disk fills while raslogd follows the region: it exits 75 again
    const filler = join(s.data, 'filler');
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { encoding: 'utf8' }); // until ENOSPC
    for (let i = 0; i < 2000; i++) s.w.death({ pid: 5000 + i, comm: 'late', signo: 15, sender: { pid: 1, uid: 0, comm: 'systemd' } });
    s.w.save(s.dev);
    t.is(await closeOf(d2), 75);
    t.true(d2.lines.some((l) => /store: a write failed \(IO error: .*No space left on device\)/.test(l)), d2.lines.join('\n'));

    // 4. room again: everything the region holds is stored, once, and the chain verifies
    spawnSync('rm', ['-f', filler]);
    const d3 = start();
    await d3.waitFor(/raslogd ready/);
    for (let end = Date.now() + 20000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      const st = JSON.parse(cli(['status', '-o', 'json'], s.data).out || '{}') as { daemon?: { collectors: { name: string; last_seq?: number }[] } };
      if (st.daemon?.collectors.find((c) => c.name === 'kmod')?.last_seq === s.w.seq - 1) break;
    }
    const stopped = closeOf(d3);
    d3.kill('SIGTERM');
    t.is(await stopped, 0);
    const got = await storedRegionSeqs(s.data);
    t.is(decodeRegion(s.w.buf).records.length, s.w.seq - 1); // the region itself lost nothing
    t.deepEqual(got.seqs, regionSeqs());
    t.true(got.verified);
  } finally {
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    spawnSync('umount', ['-l', s.data]);
  }
});

// systemd cannot run here (no systemd as PID 1), so the sandbox is checked against what raslogd
// does: every path it writes is writable, every socket family its sinks open is allowed, and the
// exit code of a failed store (75) is restarted.
test('etc/systemd/raslogd.service lets raslogd write what it writes, open its sinks\' sockets, and restarts exit 75', async (t) => {
  const unit = readFileSync(join(ROOT, 'etc/systemd/raslogd.service'), 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1]!.trim().split(/\s+/));
  const { WATCH_PATH } = await import('../src/sinks/watchlist.ts');
  const { EXIT_STORE_FAILED } = await import('../src/daemon/daemon.ts');
  const cfg = defaultConfig();
  const writable = values('ReadWritePaths').map((p) => p.replace(/^-/, ''));
  const covered = (p: string) => writable.some((w) => p === w || p.startsWith(`${w}/`));
  for (const p of [cfg.data_dir, cfg.pstore.dir, WATCH_PATH]) t.true(covered(p), `${p} is not in ReadWritePaths`);
  t.true(values('RestrictAddressFamilies').includes('AF_UNIX'));
  t.true(values('RestrictAddressFamilies').includes('AF_INET'), 'HTTP/SNMP sinks need AF_INET');
  t.true(values('RestrictAddressFamilies').includes('AF_INET6'), 'HTTP/SNMP sinks need AF_INET6');
  t.false(values('RestartPreventExitStatus').includes(String(EXIT_STORE_FAILED)));
  t.deepEqual(values('Restart'), ['on-failure']);
  t.deepEqual(values('StartLimitIntervalSec'), ['0']);
  t.true(values('DeviceAllow').includes(cfg.kmod.device));
});

test('a corrupt store: raslogd exits 1 (not restarted: opening again would not help) with one line naming it', async (t) => {
  const s = setup();
  const { Store } = await import('../src/store/store.ts');
  const st = await Store.open(s.data, { create: true });
  await st.close();
  const db = join(s.data, 'db');
  const manifest = readdirSync(db).find((f) => f.startsWith('MANIFEST-'))!;
  writeFileSync(join(db, manifest), Buffer.alloc(300, 0x5a));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', s.conf], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, /^raslogd: cannot open store .*: Corruption: [^\n]*\n$/);
});
