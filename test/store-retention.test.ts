import test from 'ava';
import { Level } from 'level';
import { prune } from '../src/store/retention.ts';
import { Store } from '../src/store/store.ts';
import { parseTimeExpr } from '../src/store/timeexpr.ts';
import { verifyChain } from '../src/store/verify.ts';
import { eventKey } from '../src/store/keys.ts';
import { dbDir } from '../src/store/paths.ts';
import type { EventRow, NewEvent } from '../src/store/types.ts';
import { tempDir } from './store-fixtures.ts';

const DAY = 86_400_000_000_000n;
const NOW = new Date('2026-11-28T12:00:00Z');
const NOW_NS = BigInt(NOW.getTime()) * 1_000_000n;

test('time expressions', (t) => {
  process.env.TZ = 'Asia/Tokyo';
  const now = new Date('2026-11-22T01:14:12.226Z'); // 10:14:12 in Tokyo
  const ns = (s: string) => {
    const r = parseTimeExpr(s, now);
    return r.kind === 'abs' ? new Date(Number(r.ns / 1_000_000n)).toISOString() + ':' + (r.ns % 1_000_000n).toString() : r;
  };
  t.is(ns('now'), '2026-11-22T01:14:12.226Z:0');
  t.is(ns('today'), '2026-11-21T15:00:00.000Z:0'); // local midnight, +09:00
  t.is(ns('yesterday'), '2026-11-20T15:00:00.000Z:0');
  t.is(ns('-2h'), '2026-11-21T23:14:12.226Z:0');
  t.is(ns('+30min'), '2026-11-22T01:44:12.226Z:0');
  t.is(ns('3 days ago'), '2026-11-19T01:14:12.226Z:0');
  t.is(ns('1 week ago'), '2026-11-15T01:14:12.226Z:0');
  t.is(ns('2026-11-22T10:14:12.226245+09:00'), '2026-11-22T01:14:12.226Z:245000');
  t.is(ns('2026-11-22T01:14:12Z'), '2026-11-22T01:14:12.000Z:0');
  t.is(ns('2026-11-22 10:14'), '2026-11-22T01:14:00.000Z:0'); // local
  t.is(ns('2026-11-22'), '2026-11-21T15:00:00.000Z:0');
  t.deepEqual(parseTimeExpr('boot', now), { kind: 'boot', back: 0 });
  t.deepEqual(parseTimeExpr('boot-3', now), { kind: 'boot', back: 3 });
  for (const bad of ['', 'later', 'boot-x', '-2 parsecs', '2026-13-01', '2026-02-30', '3 days', 'boot+1']) {
    t.throws(() => parseTimeExpr(bad, now), { message: /^bad time expression/ }, bad);
  }
});

async function fill(): Promise<{ dir: string; store: Store }> {
  const dir = tempDir('ret');
  const store = await Store.open(dir, { create: true });
  const evs: NewEvent[] = [];
  // days 100..1 ago: a netstats event every day, a process_death every 10 days
  for (let d = 100; d >= 1; d--) {
    const tns = (NOW_NS - BigInt(d) * DAY).toString();
    evs.push({ type: 'netstats', boot: 1, time_ns: tns, source: 'netstats', day: d });
    if (d % 10 === 0) evs.push({ type: 'process_death', boot: 1, time_ns: tns, source: 'kmod', comm: 'x', day: d });
  }
  await store.append(evs);
  return { dir, store };
}

test('retention prunes old netstats only, writes checkpoints, and the chain still verifies', async (t) => {
  const { store } = await fill();
  t.is(store.head().sseq, 110);
  const r = await prune(store, { now: NOW });
  // netstats older than 30 days: days 100..31 → 70 events
  t.is(r.pruned, 70);
  t.deepEqual(r.byType, { netstats: 70 });
  t.is(r.checkpoints, 1);
  const v = await verifyChain(store);
  t.true(v.ok, v.bad?.message);
  t.is(v.events, 110 - 70 + 1);
  t.is(v.pruned, 70);
  // pruning again prunes nothing
  t.is((await prune(store, { now: NOW })).pruned, 0);
  // a later pass (time moves on 5 days) prunes 5 more and adds a checkpoint; still verifies
  const r2 = await prune(store, { now: new Date(NOW.getTime() + 5 * 86_400_000) });
  t.is(r2.pruned, 5);
  const v2 = await verifyChain(store);
  t.true(v2.ok, v2.bad?.message);
  t.is(v2.pruned, 75);
  // the checkpoint event records the runs with the hash of each run's last event
  const cp = (await store.getRow(111))!.e;
  t.is(cp.type, 'checkpoint');
  t.is(cp.pruned, 70);
  t.is(cp.first_sseq, 1);
  t.is((cp.runs as unknown[]).length, 8); // netstats runs split by the kept process_deaths of days 100, 90, …, 40
  // every process_death is still there
  const boot = store.boot(1)!;
  t.is(boot.counts.process_death, 10);
  t.is(boot.counts.netstats, 25);
  await store.close();
});

test('retention: per-class settings, and a deletion inside the kept range is still detected', async (t) => {
  const { dir, store } = await fill();
  const r = await prune(store, { now: NOW, retention: { process_death: 50, netstats: 60 } });
  t.deepEqual(r.byType, { netstats: 40, process_death: 5 });
  t.true((await verifyChain(store)).ok);
  await store.close();
  const db = new Level<string, string>(dbDir(dir));
  await db.open();
  // delete a kept event: day 20 process_death
  let victim = 0;
  for await (const [k, v] of db.iterator({ gte: 'e\x00', lt: 'e\x00\xff' })) {
    const row = JSON.parse(v) as EventRow;
    if (row.e.type === 'process_death' && row.e.day === 20) victim = parseInt(k.slice(2), 16);
  }
  await db.del(eventKey(victim));
  await db.close();
  const s2 = await Store.open(dir);
  const v = await verifyChain(s2);
  t.false(v.ok);
  t.is(v.bad?.sseq, victim);
  t.is(v.bad?.kind, 'deleted');
  await s2.close();
});
