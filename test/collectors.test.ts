import test from 'ava';
import { mkdirSync, existsSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { BootCollector } from '../src/collectors/boot.ts';
import { KmodCollector } from '../src/collectors/kmod.ts';
import { NetstatsCollector, cronFor, parseNetDev } from '../src/collectors/netstats.ts';
import { PstoreCollector } from '../src/collectors/pstore.ts';
import { systemFacts } from '../src/collectors/sysfacts.ts';
import { bootSummaries } from '../src/store/query.ts';
import { Store } from '../src/store/store.ts';
import type { EventRow, StoredEvent } from '../src/store/types.ts';
import { RegionWriter, T0, fakeProc, fourBoots, tempDir } from './store-fixtures.ts';
import { startupOnce } from './store-scenario.ts';

async function events(store: Store): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const [, v] of store.rows()) out.push((JSON.parse(v) as EventRow).e);
  return out;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('kmod: replays the region, then follows new records (exactly once)', async (t) => {
  const w = new RegionWriter();
  w.newBoot().death({ pid: 1, comm: 'a', signo: 9 });
  const img = w.save();
  const store = await Store.open(tempDir(), { create: true });
  const k = new KmodCollector({ store, path: img, intervalMs: 30 });
  await k.start();
  t.deepEqual((await events(store)).map((e) => e.seq), [1, 2]);
  w.death({ pid: 2, comm: 'b', signo: 15 }).shutdown(2);
  w.save(img);
  await until(async () => (await events(store)).length === 4);
  await new Promise((r) => setTimeout(r, 150)); // more polls: nothing new
  const evs = await events(store);
  t.deepEqual(evs.map((e) => [e.seq, e.type]), [[1, 'module_load'], [2, 'process_death'], [3, 'process_death'], [4, 'shutdown']]);
  t.like(k.status(), { state: 'ok', stored: 4, lost: 0, last_seq: 4 });
  await k.stop();
  await store.close();
});

test('kmod: an unchanged region is read but not decoded again; a change outside the header is found', async (t) => {
  const w = new RegionWriter(1 << 20);
  w.newBoot().death({ pid: 1, comm: 'a', signo: 9 });
  const img = w.save();
  const store = await Store.open(tempDir(), { create: true });
  const k = new KmodCollector({ store, path: img, intervalMs: 3_600_000, watch: false });
  await k.start();
  const counters = () => k.status() as unknown as { reads: number; decodes: number; stored: number };
  t.like(counters(), { reads: 1, decodes: 1, stored: 2 });
  for (let i = 0; i < 3; i++) await k.poll();
  t.like(counters(), { reads: 4, decodes: 1, stored: 2 }); // same digests: no scan
  // a record committed into a slot while the header stays as it was (a reservation the header
  // already counted, completed later): only the slots changed, and the digests see it
  const head = Buffer.from(w.buf.subarray(0, 4096));
  w.death({ pid: 2, comm: 'late', signo: 15 });
  head.copy(w.buf, 0);
  w.save(img);
  await k.poll();
  t.like(counters(), { reads: 5, decodes: 2, stored: 3 });
  t.deepEqual((await events(store)).map((e) => e.comm ?? e.type), ['module_load', 'a', 'late']);
  await k.poll();
  t.like(counters(), { reads: 6, decodes: 2, stored: 3 });
  await k.stop();
  await store.close();
});

test('kmod: a missing device is a warning in status; it is picked up when it appears', async (t) => {
  const store = await Store.open(tempDir(), { create: true });
  const path = join(tempDir('dev'), 'raslog');
  const k = new KmodCollector({ store, path, intervalMs: 30, missingIntervalMs: 30 });
  await k.start();
  t.like(k.status(), { state: 'warning', message: `${path} not found (raslog module not loaded?)` });
  const w = new RegionWriter();
  w.newBoot();
  w.save(path);
  await until(() => k.status().state === 'ok');
  t.is((await events(store)).length, 1);
  await k.stop();
  await store.close();
});

test('boot: numbers from the module counter, classifies every past ending, files unexpected_shutdown once', async (t) => {
  const store = await Store.open(tempDir(), { create: true });
  const img = fourBoots().save();
  const { boot } = await startupOnce(store, img, 'id-4');
  t.is(boot.currentBoot(), 4);
  t.deepEqual(boot.status().previous, { boot: 3, ended: 'dump_button' });
  t.deepEqual(bootSummaries(store, 4).map((b) => [b.boot, b.ended, b.how]), [
    [1, 'clean', 'reboot'],
    [2, 'unexpected', null],
    [3, 'dump_button', null],
    [4, 'running', null],
  ]);
  // daemon restart in the same boot: nothing new
  const before = (await events(store)).length;
  await startupOnce(store, img, 'id-4');
  t.is((await events(store)).length, before);
  const ux = (await events(store)).filter((e) => e.type === 'unexpected_shutdown');
  t.deepEqual(ux.map((e) => e.boot), [2]);
  await store.close();
});

test('boot: panic without dump button is "panic"; a later boot ending with no record is unexpected', async (t) => {
  const w = new RegionWriter();
  w.newBoot().panic();
  w.newBoot();
  const img = w.save();
  const store = await Store.open(tempDir(), { create: true });
  await startupOnce(store, img, 'b2');
  // boot 3 starts after a power cut of boot 2
  w.newBoot();
  w.save(img);
  const { boot } = await startupOnce(store, img, 'b3');
  t.is(boot.currentBoot(), 3);
  t.deepEqual(boot.status().previous, { boot: 2, ended: 'unexpected' });
  t.deepEqual(bootSummaries(store, 3).map((b) => b.ended), ['panic', 'unexpected', 'running']);
  const ux = (await events(store)).filter((e) => e.type === 'unexpected_shutdown');
  t.deepEqual(ux.map((e) => [e.boot, e.detected_in_boot]), [[2, 3]]);
  await store.close();
});

test('boot: without the module, numbering by boot_id; endings are unknown, not unexpected', async (t) => {
  const store = await Store.open(tempDir(), { create: true });
  const noDev = join(tempDir('nodev'), 'raslog');
  const b1 = new BootCollector({ store, ...fakeProc('aaa'), regionPath: noDev });
  await b1.start();
  t.is(b1.currentBoot(), 1);
  t.is(b1.status().state, 'warning');
  const b1again = new BootCollector({ store, ...fakeProc('aaa'), regionPath: noDev });
  await b1again.start();
  t.is(b1again.currentBoot(), 1);
  const facts = { os: 'Debian GNU/Linux 12 (bookworm)', arch: 'x64', manufacturer: 'ACME', model: 'RX-1', serial: 'SN42', virtual: false };
  const b2 = new BootCollector({ store, ...fakeProc('bbb'), regionPath: noDev, facts: async () => facts });
  await b2.start();
  t.is(b2.currentBoot(), 2);
  t.deepEqual(b2.status().previous, { boot: 1, ended: 'unknown' });
  const evs = await events(store);
  t.deepEqual(evs.map((e) => [e.type, e.boot]), [['boot', 1], ['boot', 2]]);
  t.deepEqual(evs[1]!.system, facts, 'the boot event carries the OS and hardware facts');
  // the module appears at boot 3 with a fresh region (its counter says 1): numbering continues at 3
  const w = new RegionWriter();
  w.newBoot().death({ pid: 3, comm: 'c', signo: 9 });
  const img = w.save();
  const { boot } = await startupOnce(store, img, 'ccc');
  t.is(boot.currentBoot(), 3);
  t.deepEqual((await events(store)).filter((e) => e.source === 'kmod').map((e) => e.boot), [3, 3]);
  await store.close();
});

test('pstore: files imported into the boot they came from, once; deleted after import when configured', async (t) => {
  const store = await Store.open(tempDir(), { create: true });
  await startupOnce(store, fourBoots().save(), 'p4');
  const dir = tempDir('pstore');
  writeFileSync(join(dir, 'dmesg-ramoops-0'), 'Oops: something\nKernel panic - not syncing: test\n');
  const t3 = new Date(Number((T0 + 190_500_000_000n) / 1_000_000n)); // inside boot 3's span
  utimesSync(join(dir, 'dmesg-ramoops-0'), t3, t3);
  writeFileSync(join(dir, 'console-ramoops-0'), 'console text');
  const p = new PstoreCollector({ store, dir, currentBoot: () => 4, rescanMs: 0 });
  t.is(await p.scan(), 2);
  t.is(await p.scan(), 0);
  const ps = (await events(store)).filter((e) => e.type === 'pstore');
  t.deepEqual(ps.map((e) => [e.name, e.boot, e.kind, e.backend]), [
    ['console-ramoops-0', 3, 'console', 'ramoops'], // mtime now: no boot span holds it → previous boot
    ['dmesg-ramoops-0', 3, 'dmesg', 'ramoops'],
  ]);
  t.is(ps[1]!.content, 'Oops: something\nKernel panic - not syncing: test\n');
  const del = new PstoreCollector({ store, dir, currentBoot: () => 4, rescanMs: 0, deleteAfterImport: true });
  t.is(await del.scan(), 0); // already stored: not stored again, but deleted
  t.false(existsSync(join(dir, 'dmesg-ramoops-0')));
  const missing = new PstoreCollector({ store, dir: join(dir, 'nope'), currentBoot: () => 4, rescanMs: 0 });
  await missing.start();
  t.like(missing.status(), { state: 'warning', message: `${join(dir, 'nope')} not found (pstore not mounted)` });
  await missing.stop();
  await store.close();
});

const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000 50 1 2 0 0 0 3 7000 70 0 1 0 0 0 0
`;

test('netstats: parses /proc/net/dev, stores samples with deltas, cron expressions', async (t) => {
  const parsed = parseNetDev(NETDEV);
  t.deepEqual(Object.keys(parsed), ['lo', 'eth0']);
  t.like(parsed.eth0, { rx_bytes: 5000, rx_packets: 50, rx_errs: 1, rx_drop: 2, rx_multicast: 3, tx_bytes: 7000, tx_packets: 70, tx_drop: 1 });
  t.is(cronFor(10), '*/10 * * * * *');
  t.is(cronFor(300), '0 */5 * * * *');
  t.is(cronFor(7200), '0 0 */2 * * *');
  t.is(cronFor(7), null);
  const dir = tempDir('net');
  const path = join(dir, 'dev');
  writeFileSync(path, NETDEV);
  const store = await Store.open(tempDir(), { create: true });
  const n = new NetstatsCollector({ store, path, intervalSec: 60, currentBoot: () => 7 });
  await n.sample();
  writeFileSync(path, NETDEV.replace('5000 50', '6500 65'));
  await n.sample();
  const evs = await events(store);
  t.is(evs.length, 2);
  t.deepEqual(Object.keys(evs[0]!.interfaces as object), ['eth0']);
  t.is(evs[0]!.deltas, null);
  t.like((evs[1]!.deltas as Record<string, object>).eth0, { rx_bytes: 1500, rx_packets: 15, tx_bytes: 0 });
  t.is(evs[1]!.boot, 7);
  const bad = new NetstatsCollector({ store, path: join(dir, 'missing'), currentBoot: () => 7 });
  t.false(await bad.sample());
  t.is(bad.status().state, 'warning');
  await store.close();
});

test('collectors are independent: kmod and pstore missing, boot and netstats still work', async (t) => {
  const store = await Store.open(tempDir(), { create: true });
  const base = tempDir('none');
  mkdirSync(join(base, 'x'));
  const boot = new BootCollector({ store, ...fakeProc('solo'), regionPath: join(base, 'raslog') });
  const kmod = new KmodCollector({ store, path: join(base, 'raslog'), missingIntervalMs: 10_000 });
  const pstore = new PstoreCollector({ store, dir: join(base, 'pstore'), currentBoot: () => boot.currentBoot(), rescanMs: 0 });
  const netPath = join(base, 'dev');
  writeFileSync(netPath, NETDEV);
  const net = new NetstatsCollector({ store, path: netPath, intervalSec: 60, currentBoot: () => boot.currentBoot() });
  await boot.init();
  await kmod.start();
  await boot.finish();
  await pstore.start();
  await net.start();
  t.deepEqual([boot, kmod, pstore, net].map((c) => c.status().state), ['warning', 'warning', 'warning', 'ok']);
  t.deepEqual((await events(store)).map((e) => e.type), ['boot', 'netstats']);
  for (const c of [kmod, pstore, net]) await c.stop();
  await store.close();
});

test('system facts come from systeminformation on this machine', async (t) => {
  const f = await systemFacts();
  t.truthy(f, 'systeminformation answered within 3 s');
  t.regex(f!.os, /\S/, 'an OS name');
  t.is(f!.arch, process.arch, 'the architecture node runs on');
});
