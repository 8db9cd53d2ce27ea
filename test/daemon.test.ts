import test from 'ava';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../src/daemon/config.ts';
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
  const exited = new Promise<number | null>((r) => d.on('exit', (code) => r(code)));
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
