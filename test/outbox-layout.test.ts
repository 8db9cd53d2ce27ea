/*
 * The outbox's storage layout: an event routed to several sinks is written
 * once (e!<n>) and each queue entry refers to it; events no queue refers to
 * any more are swept; queue entries of the earlier layout (the event inline)
 * are still delivered. In-memory sinks, a real LevelDB.
 */

import test from 'ava';
import { join } from 'node:path';
import { Level } from 'level';
import { Outbox } from '../src/sinks/outbox.ts';
import type { Delivery, Sink } from '../src/sinks/types.ts';
import { deathEvent, deathKey, tempDir, waitFor } from './helpers/peers.ts';

function memSink(name: string, got: Delivery[], gate?: { open: boolean }): Sink {
  return {
    name,
    kind: 'http',
    concurrency: 4,
    timeoutMs: 2000,
    async send(d) {
      if (gate && !gate.open) throw new Error('closed');
      got.push(d);
    },
    async close() {},
  };
}

async function keys(db: Level<string, string>, prefix: string): Promise<string[]> {
  return db.keys({ gte: prefix, lt: `${prefix}~` }).all();
}

test('outbox: each event is stored once for all its sinks, swept once every sink has it; old-layout entries still delivered', async (t) => {
  const db = new Level<string, string>(join(tempDir(), 'outbox'));
  await db.open();
  const a: Delivery[] = [];
  const b: Delivery[] = [];
  const gate = { open: false };
  const ob = await Outbox.open(db, {
    sinks: [memSink('a', a), memSink('b', b, gate)],
    route: () => ['a', 'b', 'a'], // a duplicate name queues one delivery
    retry: { min_ms: 20, max_ms: 40 },
  });
  t.is(await ob.enqueue([1, 2, 3].map((i) => deathEvent(i))), 6);
  // stored: 3 events, one entry per sink and event, the event not inline
  t.is((await keys(db, 'e!')).length, 3);
  t.deepEqual((await keys(db, 'q!a!')).map((k) => k.slice(4)), (await keys(db, 'e!')).map((k) => k.slice(2)));
  const entry = JSON.parse((await db.get((await keys(db, 'q!b!'))[0]!))!) as Record<string, unknown>;
  t.deepEqual(Object.keys(entry).sort(), ['a', 'k', 't']);
  t.is(entry.k, deathKey(1));

  // sink a delivers, b fails: the events stay (b's queue refers to them)
  ob.start();
  await waitFor(() => a.length === 3, 5000, 'sink a');
  t.deepEqual(a.map((d) => d.key), [1, 2, 3].map(deathKey));
  t.deepEqual(a.map((d) => d.event.pid), [1, 2, 3].map((i) => deathEvent(i).pid));
  await new Promise((r) => setTimeout(r, 1200)); // past a sweep
  t.is((await keys(db, 'e!')).length, 3);
  t.is(ob.pending('b'), 3);

  // an entry written by the earlier layout (event inline, no e! record), queued for b
  const old = deathEvent(9);
  await db.put('q!b!00000000000000ff', JSON.stringify({ k: deathKey(9), e: old, t: Date.now(), a: 0 }));
  await ob.stop();
  const ob2 = await Outbox.open(db, { sinks: [memSink('a', a), memSink('b', b, gate)], route: () => ['a', 'b'], retry: { min_ms: 20, max_ms: 40 } });
  t.is(ob2.pending('b'), 4);
  gate.open = true;
  ob2.start();
  await ob2.drained(5000);
  t.deepEqual(b.map((d) => d.key).filter((k, i, all) => all.indexOf(k) === i), [1, 2, 3, 9].map(deathKey));
  t.is(b.find((d) => d.key === deathKey(9))!.event.pid, old.pid);
  // every queue is empty: the events are swept
  await waitFor(async () => (await keys(db, 'e!')).length === 0, 5000, 'events swept');
  // new events after the sweep get new numbers and are delivered
  t.is(await ob2.enqueue([deathEvent(4)]), 2);
  await ob2.drained(5000);
  t.is(a.at(-1)!.key, deathKey(4));
  t.is(b.at(-1)!.key, deathKey(4));
  await ob2.stop();
  await db.close();
});

// A full disk: the enqueue fails with the storage's error and the outbox tells its owner
// (raslogd stops and reopens the store, docs/store.md); a closed database is not a storage failure.
(process.getuid?.() === 0 ? test : test.skip)('outbox: a write that fails in the storage (a real full tmpfs) is reported, once per failed write', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const dir = tempDir();
  t.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', dir]).status, 0);
  try {
    const db = new Level<string, string>(join(dir, 'outbox'));
    await db.open();
    const failures: unknown[] = [];
    const ob = await Outbox.open(db, { sinks: [memSink('a', [], { open: false })], route: () => ['a'], onStorageFailure: (e) => failures.push(e) });
    let err: unknown;
    try {
      for (let i = 0; i < 100_000; i++) await ob.enqueue(Array.from({ length: 20 }, (_, j) => ({ ...deathEvent(i * 20 + j), pad: 'x'.repeat(400) })));
    } catch (e) {
      err = e;
    }
    t.regex(String((err as Error)?.message), /No space left on device/);
    t.is(failures.length, 1);
    t.is(failures[0], err);
    await ob.stop();
    await db.close().catch(() => undefined);
    await ob.enqueue([deathEvent(1)]).catch(() => undefined); // closed: not a storage failure
    t.is(failures.length, 1);
  } finally {
    spawnSync('umount', ['-l', dir]);
  }
});
