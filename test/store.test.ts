import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Level } from 'level';
import { readRegionImage } from '../src/region/source.ts';
import { decodeRegion } from '../src/region/decode.ts';
import { ingestRegion } from '../src/store/ingest.ts';
import { Store } from '../src/store/store.ts';
import { verifyChain } from '../src/store/verify.ts';
import { chainHash, canonicalJson, reference } from '../src/store/chain.ts';
import { eventKey } from '../src/store/keys.ts';
import { dbDir } from '../src/store/paths.ts';
import type { EventRow, NewEvent, StoredEvent } from '../src/store/types.ts';
import { mkimage, ROOT } from './region-helpers.ts';
import { RegionWriter, tempDir } from './store-fixtures.ts';

async function allEvents(store: Store): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const [, v] of store.rows()) out.push((JSON.parse(v) as EventRow).e);
  return out;
}

function kmodSeqs(evs: StoredEvent[]): number[] {
  return evs.filter((e) => e.source === 'kmod' && e.type !== 'records_lost').map((e) => e.seq as number).sort((a, b) => a - b);
}

function ev(i: number, type: NewEvent['type'] = 'netstats', boot = 1): NewEvent {
  return { type, boot, time_ns: (1795861234000000000n + BigInt(i) * 1_000_000_000n).toString(), source: 'netstats', n: i };
}

test('canonical JSON sorts keys at every level and the chain hash is SHA-256(prev hex ‖ JSON)', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: true } }), '{"a":{"c":true,"d":[1,{"y":"x","z":null}]},"b":1}');
  const e = { sseq: 1, type: 'boot', boot: 1, time: 't', time_ns: '1', source: 'boot' } as StoredEvent;
  const json = '{"boot":1,"source":"boot","sseq":1,"time":"t","time_ns":"1","type":"boot"}';
  t.is(chainHash('0'.repeat(64), e), createHash('sha256').update('0'.repeat(64) + json).digest('hex'));
});

test('canonical JSON: the compiled per-shape serializers equal the plain definition on 20,000 random values', (t) => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  // index-like keys ("0", "17") cannot keep insertion order in a JS object; unicode and escapes
  const KEYS = ['a', 'b', 'Z', 'é', '0', '17', '10', '-1', '01', 'pid', 'comm', 'x y', '"q"', '\u2028', 'ä', 'A'];
  const SCALARS = [null, undefined, true, false, 0, -0, 1.5, 1e21, 1e-7, NaN, Infinity, 2 ** 53, '', 'ü', '"', '\\', '\n', '\u0001', '\ud800', 'a\u2028b'];
  const gen = (d: number): unknown => {
    const r = rnd();
    if (d > 3 || r < 0.5) return SCALARS[Math.floor(rnd() * SCALARS.length)];
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 6); i > 0; i--) o[KEYS[Math.floor(rnd() * KEYS.length)]!] = gen(d + 1);
    return o;
  };
  let differ = 0;
  for (let i = 0; i < 20_000; i++) {
    const v = gen(0);
    if (canonicalJson(v) !== reference(v)) differ++;
  }
  t.is(differ, 0);
  t.is(canonicalJson({ 10: 1, 9: 2, b: [undefined, -0], a: undefined }), '{"10":1,"9":2,"b":[null,0]}');
});

test('a region replayed twice is stored once (same count, same seq set)', async (t) => {
  const img = mkimage(['--size', '256K', '--records', '600', '--seed', '7']);
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  const report = await readRegionImage(img.path);
  const r1 = await ingestRegion(store, report);
  const first = await allEvents(store);
  const r2 = await ingestRegion(store, report);
  const r3 = await ingestRegion(store, await readRegionImage(img.path), { batchSize: 7 });
  const second = await allEvents(store);
  t.is(r1.stored, report.records.length);
  t.is(r2.stored, 0);
  t.is(r3.stored, 0);
  t.is(second.length, first.length);
  t.deepEqual(kmodSeqs(second), report.records.map((r) => r.seq));
  t.true((await verifyChain(store)).ok);
  await store.close();
});

test('the dedup key survives even when the high-water mark is lost: a record is never stored twice', async (t) => {
  const w = new RegionWriter();
  w.newBoot().death({ pid: 10, comm: 'a', signo: 9 }).death({ pid: 11, comm: 'b', signo: 9 });
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  const rep = decodeRegion(w.buf);
  await ingestRegion(store, rep);
  // forget the region state: the replay must still store nothing
  await store.db.del('m\x00region\x00' + w.regionId);
  const r = await ingestRegion(store, rep);
  t.is(r.stored, 0);
  t.deepEqual(kmodSeqs(await allEvents(store)), [1, 2, 3]);
  await store.close();
});

function runChild(dir: string, image: string, mode: string, killWhen: (line: string, started: number) => boolean, killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import=tsx', `${ROOT}/test/store-crash-child.ts`, dir, image, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const started = Date.now();
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (killWhen(line, started)) {
          if (killAfterMs !== undefined) setTimeout(() => c.kill('SIGKILL'), killAfterMs);
          else c.kill('SIGKILL');
        }
      }
    });
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('exit', (code, signal) => (code && code !== 0 ? reject(new Error(err)) : resolve({ code, signal, out })));
  });
}

test('SIGKILL in the middle of a replay, then replay again: same count and seq set, chain verifies', async (t) => {
  const img = mkimage(['--size', '512K', '--records', '1500', '--seed', '3']);
  const report = await readRegionImage(img.path);
  // reference: one clean replay
  const ref = await Store.open(tempDir(), { create: true });
  await ingestRegion(ref, report);
  const refEvents = (await allEvents(ref)).map((e) => `${e.type}:${String(e.seq ?? e.first_seq)}`).sort();
  await ref.close();
  t.true(refEvents.length > report.records.length); // the image has wrapped: records_lost events too
  const dir = tempDir();
  const res = await runChild(dir, img.path, 'pause', (l) => l === 'batch3');
  t.is(res.signal, 'SIGKILL');
  let store = await Store.open(dir, { create: true });
  const partial = await allEvents(store);
  t.is(partial.length, 150); // three whole batches of 50, nothing of the fourth
  await ingestRegion(store, report);
  await ingestRegion(store, report);
  const evs = await allEvents(store);
  t.is(evs.length, refEvents.length);
  t.deepEqual(evs.map((e) => `${e.type}:${String(e.seq ?? e.first_seq)}`).sort(), refEvents);
  t.deepEqual(kmodSeqs(evs), report.records.map((r) => r.seq));
  t.true((await verifyChain(store)).ok);
  await store.close();

  // kill at arbitrary moments while batches are being written (no fsync: the OS keeps what was written)
  for (const delay of [5, 25, 60]) {
    const d2 = tempDir();
    await runChild(d2, img.path, 'nosync', (l) => l === 'open', delay);
    store = await Store.open(d2, { create: true });
    const before = (await allEvents(store)).length;
    t.true(before < refEvents.length, `killed before the end (${before})`);
    await ingestRegion(store, report);
    const all = await allEvents(store);
    t.is(all.length, refEvents.length);
    t.deepEqual(kmodSeqs(all), report.records.map((r) => r.seq));
    t.true((await verifyChain(store)).ok);
    await store.close();
  }
});

test('a hole in the sequence becomes one records_lost event with count and lane, exactly once', async (t) => {
  const w = new RegionWriter();
  w.newBoot().death({ pid: 10, comm: 'a', signo: 9 }).skip(4).death({ pid: 11, comm: 'b', signo: 9, watched: true });
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  await ingestRegion(store, decodeRegion(w.buf));
  await ingestRegion(store, decodeRegion(w.buf));
  const lost = (await allEvents(store)).filter((e) => e.type === 'records_lost');
  t.is(lost.length, 1);
  t.like(lost[0], { count: 4, first_seq: 3, last_seq: 6, boot: 1 });
  await store.close();
});

test('records stored past a pending hole (the mark stays below it) are not stored again by later replays', async (t) => {
  const w = new RegionWriter();
  w.newBoot().death({ pid: 10, comm: 'a', signo: 9 }).skip(2).death({ pid: 11, comm: 'b', signo: 9 }).death({ pid: 12, comm: 'c', signo: 9 });
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  const rep = decodeRegion(w.buf);
  const pending = await ingestRegion(store, rep, { holeIsFinal: () => false });
  t.is(pending.pendingHoles, 1);
  t.is(pending.last_seq, 2); // boot record + first death; the records after the hole are stored, the mark is not moved
  const again = await ingestRegion(store, rep, { holeIsFinal: () => false, batchSize: 1 });
  t.is(again.stored, 0);
  const final = await ingestRegion(store, rep);
  t.is(final.stored, 0);
  t.is(final.lost, 2);
  const evs = await allEvents(store);
  t.deepEqual(kmodSeqs(evs), rep.records.map((r) => r.seq));
  t.is(evs.filter((e) => e.type === 'records_lost').length, 1);
  t.true((await verifyChain(store)).ok);
  await store.close();
});

test('lost records of a wrapped lane name the lane', async (t) => {
  const img = mkimage(['--size', '64K', '--records', '0,0,400', '--seed', '5']);
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  const rep = await readRegionImage(img.path);
  await ingestRegion(store, rep);
  const lost = (await allEvents(store)).filter((e) => e.type === 'records_lost');
  t.is(lost.length, 1);
  t.like(lost[0], { count: rep.records[0]!.seq - 1, first_seq: 1, lane: 'process' });
  await store.close();
});

async function tamperStore(n = 10): Promise<string> {
  const dir = tempDir();
  const store = await Store.open(dir, { create: true });
  const evs: NewEvent[] = [];
  for (let i = 1; i <= n; i++) evs.push(ev(i));
  await store.append(evs);
  t_ok(await verifyChain(store));
  await store.close();
  return dir;
}
function t_ok(r: { ok: boolean }): void {
  if (!r.ok) throw new Error('expected a good chain');
}

async function withRaw(dir: string, fn: (db: Level<string, string>) => Promise<void>): Promise<void> {
  const db = new Level<string, string>(dbDir(dir));
  await db.open();
  await fn(db);
  await db.close();
}

async function verifyDir(dir: string) {
  const s = await Store.open(dir);
  const r = await verifyChain(s);
  await s.close();
  return r;
}

test('verify: a good chain', async (t) => {
  const dir = await tamperStore();
  const r = await verifyDir(dir);
  t.true(r.ok);
  t.is(r.events, 10);
  t.is(r.head.sseq, 10);
});

test('verify names an edited event', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    const row = JSON.parse((await db.get(eventKey(4)))!) as EventRow;
    row.e.n = 999;
    await db.put(eventKey(4), JSON.stringify(row));
  });
  const r = await verifyDir(dir);
  t.false(r.ok);
  t.is(r.bad?.sseq, 4);
  t.is(r.bad?.kind, 'edited');
  t.is(r.bad?.message, `event #4 (${'2026-11-28T10:20:38.000000Z'} netstats) does not match its hash: edited`);
});

test('verify names an edited event whose hash was recomputed', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    const row = JSON.parse((await db.get(eventKey(6)))!) as EventRow;
    row.e.n = 999;
    row.h = chainHash(row.p, row.e);
    await db.put(eventKey(6), JSON.stringify(row));
  });
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 6);
  t.is(r.bad?.message, 'event #6 was edited or replaced: event #7 chains to a different hash');
});

test('verify names a deleted event', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, (db) => db.del(eventKey(5)));
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 5);
  t.is(r.bad?.kind, 'deleted');
  t.is(r.bad?.message, 'event #5 missing: deleted (no checkpoint accounts for it)');
});

test('verify names deleted events at the end of the chain', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    await db.del(eventKey(10));
    await db.del(eventKey(9));
  });
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 9);
  t.is(r.bad?.message, 'event #9..#10 missing at the end of the chain: deleted');
});

test('verify names an inserted event (later events shifted)', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    const rows: EventRow[] = [];
    for (let i = 1; i <= 10; i++) rows.push(JSON.parse((await db.get(eventKey(i)))!) as EventRow);
    // shift 4..10 up by one, insert a forged event at 4 chained to #3
    for (let i = 10; i >= 4; i--) await db.put(eventKey(i + 1), JSON.stringify(rows[i - 1]));
    const forged = { ...rows[3]!.e, n: -1 } as StoredEvent;
    await db.put(eventKey(4), JSON.stringify({ e: forged, p: rows[2]!.h, h: chainHash(rows[2]!.h, forged) }));
    await db.put('m\x00head', JSON.stringify({ sseq: 11, hash: rows[9]!.h }));
  });
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 4);
  t.is(r.bad?.kind, 'inserted');
  t.is(r.bad?.message, 'event #4 was inserted: the event after it carries sseq 4');
});

test('verify names an event appended behind the head', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    const last = JSON.parse((await db.get(eventKey(10)))!) as EventRow;
    const forged = { ...last.e, sseq: 11 } as StoredEvent;
    await db.put(eventKey(11), JSON.stringify({ e: forged, p: last.h, h: chainHash(last.h, forged) }));
  });
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 11);
  t.is(r.bad?.message, 'event #11 lies beyond the recorded chain head #10: inserted');
});

test('verify names reordered events', async (t) => {
  const dir = await tamperStore();
  await withRaw(dir, async (db) => {
    const a = (await db.get(eventKey(3)))!;
    const b = (await db.get(eventKey(7)))!;
    await db.put(eventKey(3), b);
    await db.put(eventKey(7), a);
  });
  const r = await verifyDir(dir);
  t.is(r.bad?.sseq, 3);
  t.is(r.bad?.kind, 'reordered');
  t.is(r.bad?.message, 'event at #3 carries sseq 7: reordered or moved');
});

test('--since/--until boot-N select boots by number, even when the next boot was dated before the last events of the previous one', async (t) => {
  const { resolveQuery, queryEvents } = await import('../src/store/query.ts');
  const store = await Store.open(tempDir(), { create: true });
  const T = 1795438549000000000n;
  const at = (ms: number) => (T + BigInt(ms) * 1_000_000n).toString();
  const e = (type: NewEvent['type'], boot: number, ms: number): NewEvent => ({ type, boot, time_ns: at(ms), source: 'store' }) as NewEvent;
  // boot 2's clock starts 200 ms "before" boot 1's last events (an RTC with 1 s resolution)
  await store.append([e('module_load', 1, 0), e('process_death', 1, 1000), e('shutdown', 1, 1200)]);
  await store.append([e('boot', 2, 1000), e('module_load', 2, 1100), e('netstats', 2, 3000)]);
  await store.append([e('boot', 3, 5000)]);
  const pick = async (spec: Parameters<typeof resolveQuery>[1]) => {
    const out: [number, string][] = [];
    for await (const x of queryEvents(store, resolveQuery(store, spec))) out.push([x.boot, x.type]);
    return out;
  };
  t.deepEqual(await pick({ since: 'boot-2', until: 'boot-1' }), [[1, 'module_load'], [1, 'process_death'], [1, 'shutdown']]);
  t.deepEqual(await pick({ since: 'boot-1', until: 'boot' }), [[2, 'boot'], [2, 'module_load'], [2, 'netstats']]);
  t.deepEqual(await pick({ since: 'boot-1' }), [[2, 'boot'], [2, 'module_load'], [2, 'netstats'], [3, 'boot']]);
  t.deepEqual(await pick({ until: 'boot-1' }), [[1, 'module_load'], [1, 'process_death'], [1, 'shutdown']]);
  t.deepEqual(await pick({ boot: -1 }), await pick({ since: 'boot-1', until: 'boot' }), '-b -1 agrees');
  // over several boots, boot by boot: boot 1's shutdown (dated 1.2 s) before boot 2's boot (1.0 s)
  const byBoot = [[1, 'module_load'], [1, 'process_death'], [1, 'shutdown'], [2, 'boot'], [2, 'module_load'], [2, 'netstats'], [3, 'boot']];
  t.deepEqual(await pick({ since: 'boot-2' }), byBoot);
  t.deepEqual(await pick({ since: 'boot-2', reverse: true }), [...byBoot].reverse());
  t.deepEqual(await pick({ since: 'boot-2', limit: 4 }), byBoot.slice(0, 4));
  t.deepEqual(await pick({ since: 'boot-2', reverse: true, limit: 4 }), [...byBoot].reverse().slice(0, 4));
  // an absolute bound still cuts by time within the boots
  t.deepEqual(await pick({ since: 'boot-2', until: new Date(Number((T + 1100_000_000n) / 1_000_000n)).toISOString() }), [
    [1, 'module_load'],
    [1, 'process_death'],
    [2, 'boot'],
    [2, 'module_load'],
  ]);
  await store.close();
});

/*
 * A full disk in the middle of a pipelined replay (batch n+1 is prepared while
 * batch n is written): a real tmpfs too small for the region. The replay fails
 * with the write error; what was committed is a whole prefix of batches, the
 * chain verifies, and with room again the replay stores the rest exactly once.
 */
const root = process.getuid?.() === 0;
(root ? test : test.skip)('a full disk in the middle of a replay loses nothing: committed batches verify, the rest is stored once with room again', async (t) => {
  const img = mkimage(['--size', '2M', '--records', '7000', '--seed', '5']);
  const report = await readRegionImage(img.path);
  const dir = tempDir();
  const mount = (opts: string) => spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  const m = mount('size=1200k');
  t.is(m.status, 0, m.stderr);
  try {
    let store = await Store.open(dir, { create: true });
    const batches: number[] = [];
    const err = await t.throwsAsync(ingestRegion(store, report, { batchSize: 200, onBatch: (n) => void batches.push(n) }));
    t.regex(String(err?.message) + String((err as { cause?: Error })?.cause?.message), /space|IO error|write/i);
    t.true(batches.length >= 2, `some batches committed before the disk filled (${batches.length})`);
    const head = store.head();
    t.is(head.sseq, batches.length * 200, 'the head is the last committed batch');
    await store.close().catch(() => undefined);
    t.is(spawnSync('mount', ['-o', 'remount,size=64m', dir]).status, 0);
    store = await Store.open(dir, { create: true });
    const kept = await allEvents(store);
    t.true(kept.length >= head.sseq, `${kept.length} events survived, head said ${head.sseq}`);
    t.true((await verifyChain(store)).ok);
    const again = await ingestRegion(store, report, { batchSize: 200 });
    t.is(again.stored + kmodSeqs(kept).length, report.records.length);
    t.log(`disk full after ${batches.length} batches (${kept.length} events kept); the replay with room stored ${again.stored} more`);
    const all = await allEvents(store);
    t.deepEqual(kmodSeqs(all), report.records.map((r) => r.seq));
    t.true((await verifyChain(store)).ok);
    await store.close();
  } finally {
    spawnSync('umount', ['-l', dir]);
  }
});
