/*
 * raslogd with its notification sinks: the real daemon (bin/raslogd.js), a
 * region image made by tools/raslog-mkimage as the kmod device, and a real
 * HTTP receiver (test/helpers/peers.ts). Every stored event must reach the
 * receiver with its idempotency key, across a receiver outage, new records,
 * a daemon crash (SIGKILL) and restart; duplicates only ever repeat a key.
 * Also: raslog test-notify (through the daemon and one-shot), raslog status,
 * the watch list at start and on SIGHUP.
 */

import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { eventKey } from '../src/sinks/event.ts';
import { startHttpPeer, waitFor, type HttpPeer } from './helpers/peers.ts';
import { mkimage, ROOT } from './region-helpers.ts';
import { fakeProc, tempDir } from './store-fixtures.ts';

const ENV = { ...process.env, RASLOG_DATA_DIR: '', TZ: 'UTC' };

type Daemon = ChildProcess & { lines: string[]; waitFor(re: RegExp, ms?: number, after?: number): Promise<string> };

function raslogd(conf: string): Daemon {
  const c = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV }) as Daemon;
  c.lines = [];
  let buf = '';
  c.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    c.lines.push(...parts);
  });
  c.stderr!.on('data', (d: Buffer) => c.lines.push(`stderr: ${d.toString()}`));
  c.waitFor = (re, ms = 20_000, after = 0) =>
    waitFor(() => c.lines.slice(after).find((l) => re.test(l)), ms, `${re} in the daemon log:\n${c.lines.join('\n')}`);
  return c;
}

function exited(d: ChildProcess): Promise<number | null> {
  if (d.exitCode !== null || d.signalCode !== null) return Promise.resolve(d.exitCode);
  return new Promise((r) => d.once('exit', (code) => r(code)));
}

/** The CLI, asynchronously: the HTTP receiver runs in this process and must keep answering meanwhile. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [join(ROOT, 'bin/raslog.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

async function status(data: string): Promise<StatusJson> {
  return JSON.parse((await cli(['status', '-o', 'json', '--data-dir', data])).out) as StatusJson;
}

interface StatusJson {
  notify: { running: boolean; sinks: { sink: string; backlog: number; last_success: string | null; last_error: string | null; consecutive_failures: number }[] };
  daemon: { watchlist: { state: string; entries: number; message: string } };
  warnings: string[];
}

interface Stored {
  sseq: number;
  type: string;
  key: string;
}

async function stored(data: string): Promise<Stored[]> {
  const r = await cli(['export', '--data-dir', data]);
  if (r.code !== 0) throw new Error(`export failed: ${r.err}`);
  return r.out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const e = (JSON.parse(l) as { event: Record<string, unknown> & { sseq: number; type: string } }).event;
      return { sseq: e.sseq, type: e.type, key: eventKey(e) };
    });
}

/** Keys the receiver confirmed (2xx): directly, or folded into a death (`core.key`). */
function receivedKeys(peer: HttpPeer): Set<string> {
  const keys = new Set<string>();
  for (const a of peer.accepted) {
    keys.add(a.json.key as string);
    const core = (a.json.event as { core?: { key?: string } }).core;
    if (core?.key) keys.add(core.key);
  }
  return keys;
}

/** Region image with the first `n` records of mkimage's fixed sequence (same seed: same region id, same records). */
function writeRegion(dev: string, n: number): void {
  const img = mkimage(['--size', '256K', '--seed', '7', '--records', String(n)]);
  copyFileSync(img.path, `${dev}.tmp`);
  renameSync(`${dev}.tmp`, dev); // atomic: the collector never reads a half-written image
}

function setup(peerUrl: string) {
  const base = tempDir('dsinks');
  const dev = join(base, 'raslog');
  writeRegion(dev, 12);
  const proc = fakeProc('daemon-sinks-boot');
  const watch = join(base, 'watch');
  writeFileSync(watch, '');
  const data = join(base, 'data');
  const conf = join(base, 'raslog.conf');
  const text = (important: string, url = peerUrl) => `data_dir = ${data}
log_level = debug
[kmod]
device = ${dev}
poll_interval_ms = 50
hole_settle_ms = 200
[boot]
boot_id = ${proc.bootIdPath}
uptime = ${proc.uptimePath}
[pstore]
enabled = no
[netstats]
enabled = no
[notify]
retry_min_ms = 50
retry_max_ms = 400
[suppress]
enabled = no
[important]
${important}
watch_list = ${watch}
[sink console]
kind = http
url = ${url}
timeout_ms = 3000
header = X-Site: test
[route]
sinks = *
min_severity = debug
`;
  writeFileSync(conf, text('comm = postgres\nunit = nginx.service'));
  return { base, dev, watch, data, conf, text };
}

/** Every stored event delivered; nothing else; a repeated delivery always repeats its key and event. */
function assertExactlyDelivered(t: import('ava').ExecutionContext, peer: HttpPeer, events: Stored[]): void {
  const got = receivedKeys(peer);
  const want = new Set(events.map((e) => e.key));
  t.deepEqual([...want].filter((k) => !got.has(k)), [], 'stored events not delivered');
  const bySseq = new Map<number, string>();
  const byKey = new Map<string, number>();
  for (const a of peer.accepted) {
    const key = a.json.key as string;
    if (key.startsWith('test:')) continue;
    t.is(a.req.headers['idempotency-key'], key);
    t.is(a.req.headers['x-raslog-key'], key);
    t.is(a.req.headers['x-site'], 'test');
    t.true(want.has(key), `delivered key ${key} is not a stored event's`);
    const sseq = (a.json.event as { sseq: number }).sseq;
    t.is(eventKey(a.json.event as { type: string }), key);
    // the same key always carries the same event; one event never goes out under two keys
    if (byKey.has(key)) t.is(byKey.get(key), sseq, `key ${key} delivered for two events`);
    byKey.set(key, sseq);
    if (bySseq.has(sseq)) t.is(bySseq.get(sseq), key, `event #${sseq} delivered under two keys`);
    bySseq.set(sseq, key);
  }
}

function watchBlocks(path: string): string[][] {
  // applyWatchList appends one block per write: "clear" then the entries
  const blocks: string[][] = [];
  for (const l of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    if (l === 'clear') blocks.push([]);
    else blocks[blocks.length - 1]!.push(l);
  }
  return blocks;
}

test('raslogd delivers every stored event to a real HTTP receiver across an outage, a crash and a restart; test-notify; status; watch list', async (t) => {
  const peer = await startHttpPeer();
  t.teardown(() => peer.stop());
  const s = setup(peer.url);
  const daemons: Daemon[] = [];
  t.teardown(() => {
    for (const d of daemons) if (d.exitCode === null) d.kill('SIGKILL');
  });

  // 1. start: the region's records are stored and delivered, with their keys
  let d = raslogd(s.conf);
  daemons.push(d);
  await d.waitFor(/raslogd ready/);
  let ev = await stored(s.data);
  t.true(ev.filter((e) => e.type === 'process_death').length >= 4, JSON.stringify(ev));
  await waitFor(() => ev.every((e) => receivedKeys(peer).has(e.key)), 20_000, 'first delivery');
  assertExactlyDelivered(t, peer, ev);
  t.true(ev.some((e) => /^[0-9a-f]{32}:\d+$/.test(e.key)), 'kernel records keyed <region_id>:<seq>');

  // the watch list got the important processes at start
  t.deepEqual(watchBlocks(s.watch), [['comm postgres', 'cgroup /system.slice/nginx.service']]);

  // status: the sink, its backlog, last success
  let st = await status(s.data);
  t.true(st.notify.running);
  t.is(st.notify.sinks.length, 1);
  t.like(st.notify.sinks[0], { sink: 'console', backlog: 0, last_error: null });
  t.truthy(st.notify.sinks[0]!.last_success);
  t.like(st.daemon.watchlist, { state: 'ok', entries: 2 });

  // test-notify through the daemon: success
  let tn = await cli(['test-notify', '--data-dir', s.data]);
  t.is(tn.code, 0, tn.out + tn.err);
  t.regex(tn.out, /^console\s+http\s+ok\s+\d+ ms\s+key=test:/m);
  t.regex(tn.out, /all 1 sink\(s\) ok \(sent by raslogd\)/);
  t.true(peer.accepted.some((a) => (a.json.key as string).startsWith('test:') && a.json.event && (a.json.event as { type: string }).type === 'test'));
  const unknown = await cli(['test-notify', '--sink', 'nope', '--data-dir', s.data]);
  t.is(unknown.code, 2);
  t.regex(unknown.err, /no sink named "nope"/);

  // 2. the receiver goes away; new records are stored and queued, not lost
  await peer.stop();
  writeRegion(s.dev, 24);
  await waitFor(async () => (await stored(s.data)).length > ev.length, 20_000, 'new records stored');
  await waitFor(async () => {
    const x = await status(s.data);
    return x.notify.sinks[0]!.backlog > 0 && x.notify.sinks[0]!.consecutive_failures > 0 && x.notify.sinks[0]!.last_error ? x : null;
  }, 20_000, 'status showing the backlog and the error');
  const text = await cli(['status', '--data-dir', s.data]);
  t.regex(text.out, /^ {2}console +http +backlog [1-9]\d*, delivered \d+, last success \S+, last error \S+ \S+: /m);
  t.regex(text.out, /^warning: +sink console: \d+ waiting, failing since /m);
  t.regex(text.out, /^watch list: 2 entries written to /m);

  // test-notify with the receiver down: the error, exit 1
  tn = await cli(['test-notify', '--sink', 'console', '--data-dir', s.data]);
  t.is(tn.code, 1, tn.out + tn.err);
  t.regex(tn.out, /^console\s+http\s+FAILED\s+\d+ ms\s+\S/m);
  t.regex(tn.err, /test notification failed for console/);

  // 3. crash (SIGKILL) with deliveries queued; more records while the daemon is down; restart; receiver back
  d.kill('SIGKILL');
  await exited(d);
  writeRegion(s.dev, 36);
  d = raslogd(s.conf);
  daemons.push(d);
  await d.waitFor(/raslogd ready/);
  await new Promise((r) => setTimeout(r, 500)); // deliveries fail while the receiver is down
  await peer.start();
  ev = await stored(s.data);
  t.true(ev.length > 30, `${ev.length} events stored`);
  await waitFor(() => ev.every((e) => receivedKeys(peer).has(e.key)), 30_000, 'delivery after the outage');
  await waitFor(async () => {
    const x = await status(s.data);
    return x.notify.sinks[0]!.backlog === 0 && x.notify.sinks[0]!.consecutive_failures === 0;
  }, 20_000, 'backlog drained');
  assertExactlyDelivered(t, peer, ev);

  // 4. SIGHUP: new important list → the watch list is rewritten; the rebuilt sink still delivers
  writeFileSync(s.conf, s.text('comm = postgres redis-server\nexe = /usr/sbin/sshd\nunit = nginx.service'));
  const mark = d.lines.length;
  d.kill('SIGHUP');
  await d.waitFor(/configuration reloaded from/, 20_000, mark);
  t.deepEqual(watchBlocks(s.watch).at(-1), ['comm postgres', 'comm redis-server', 'comm sshd', 'cgroup /system.slice/nginx.service']);
  writeRegion(s.dev, 45);
  await waitFor(async () => (await stored(s.data)).length > ev.length, 20_000, 'records after the reload stored');
  ev = await stored(s.data);
  await waitFor(() => ev.every((e) => receivedKeys(peer).has(e.key)), 20_000, 'delivery after the reload');
  assertExactlyDelivered(t, peer, ev);

  // 5. clean stop
  d.kill('SIGTERM');
  t.is(await exited(d), 0);
  t.true(d.lines.some((l) => / info: raslogd stopped$/.test(l)));

  // without the daemon: status reads the queues from the store; test-notify is one-shot from the config
  st = await status(s.data);
  t.false(st.notify.running);
  t.like(st.notify.sinks[0], { sink: 'console', backlog: 0 });
  tn = await cli(['test-notify', '--config', s.conf]);
  t.is(tn.code, 0, tn.out + tn.err);
  t.regex(tn.out, /^console\s+http\s+ok\s/m);
  t.regex(tn.out, /raslogd not running: sent with the sinks of /);
  await peer.stop();
  tn = await cli(['test-notify', '--config', s.conf]);
  t.is(tn.code, 1, tn.out + tn.err);
  t.regex(tn.out, /^console\s+http\s+FAILED\s/m);

  // 6. a crash between a store commit and its enqueue, reproduced: the outbox's watermark set back
  // by 5 events (nothing queued for them). The next start enqueues them from the store, same keys.
  const db = new Level<string, string>(join(s.data, 'db'));
  const ob = db.sublevel<string, string>('outbox', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const wm = Number(await ob.get('m!wm'));
  t.is(wm, ev.at(-1)!.sseq);
  await ob.put('m!wm', String(wm - 5));
  await db.close();
  await peer.start();
  peer.accepted.length = 0;
  d = raslogd(s.conf);
  daemons.push(d);
  await d.waitFor(/raslogd ready/);
  const last5 = ev.filter((e) => e.sseq > wm - 5);
  await waitFor(() => last5.every((e) => receivedKeys(peer).has(e.key)), 20_000, 're-enqueued events delivered');
  t.deepEqual([...receivedKeys(peer)].sort(), last5.map((e) => e.key).sort());
  await d.waitFor(/notifications: enqueued 5 stored event\(s\) after #/);
  d.kill('SIGTERM');
  t.is(await exited(d), 0);
});

test('raslogd: sink config errors name the line; a missing watch list file is a warning, not a failure', async (t) => {
  const s = setup('http://127.0.0.1:9/x');
  const good = readFileSync(s.conf, 'utf8');
  writeFileSync(s.conf, good.replace('kind = http', 'kind = htp'));
  let r = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', s.conf], { encoding: 'utf8', env: ENV });
  t.is(r.status, 1);
  const line = good.split('\n').indexOf('kind = http') + 1;
  t.is(r.stderr, `raslogd: ${s.conf}:${line}: sink console: kind = "htp": expected syslog, snmp, http or exec\n`);
  writeFileSync(s.conf, good.replace('sinks = *', 'sinks = consol'));
  r = spawnSync(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', s.conf], { encoding: 'utf8', env: ENV });
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`^raslogd: ${s.conf}:\\d+: route 1: sinks = "consol": no sink named "consol" \\(configured: console\\)\\n$`));

  writeFileSync(s.conf, good.replace(`watch_list = ${s.watch}`, `watch_list = ${join(s.base, 'no', 'such', 'watch')}`));
  const d = raslogd(s.conf);
  t.teardown(() => void (d.exitCode === null && d.kill('SIGKILL')));
  await d.waitFor(/raslogd ready/);
  const st = await status(s.data);
  t.is(st.daemon.watchlist.state, 'warning');
  t.true(st.warnings.some((w) => /^watch list: important processes not written: .*no such file|does not exist/.test(w)), st.warnings.join('\n'));
  d.kill('SIGTERM');
  t.is(await exited(d), 0);
});
