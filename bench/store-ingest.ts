/*
 * Store ingest throughput: events/s into the LevelDB store (hash chain, index
 * keys, atomic batches), two paths:
 *   - replay: ingestRegion() of a decoded region (what raslogd does with the
 *     module's records: exactly-once by the region's high-water mark);
 *   - append: Store.append() with an exactly-once key on every event (what the
 *     other collectors use).
 * Each is run RUNS times on a fresh store; medians are printed, with the
 * process CPU time per event (user + sys, LevelDB's own threads included),
 * which is steadier than the wall clock on a shared machine. Only the store
 * calls are timed: the decoded records (replay) and each batch's events
 * (append) are built outside the clock.
 *   node --import=tsx bench/store-ingest.ts [events=200000] [batch=5000] [runs=3]
 * Goal: >= 100k events/s.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RaslogRecord, RegionReport } from '../src/region/types.ts';
import { ingestRegion } from '../src/store/ingest.ts';
import { Store } from '../src/store/store.ts';
import type { NewEvent } from '../src/store/types.ts';

const N = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 5000);
const RUNS = Number(process.argv[4] ?? 3);
const T0 = 1795861234000000000n;
const REGION = 'abacadaeafb0b1b2b3b4b5b6b7b8b9ba';

/** A process_death record as the region decoder gives it (src/region/decode.ts). */
function record(i: number): RaslogRecord {
  const ns = (T0 + BigInt(i) * 1_000_000n).toString();
  return {
    seq: i + 1,
    type: 'process_death',
    boot: 1,
    time: '',
    realtime_ns: ns,
    boottime_ns: String(i * 1_000_000),
    cpu: i % 4,
    lane: 'process',
    slot: i % 3000,
    nmi: false,
    pid: 2000 + (i % 30000),
    tgid: 2000 + (i % 30000),
    uid: 0,
    comm: `proc${i % 50}`,
    exit_code: null,
    signal: 'SIGKILL',
    signo: 9,
    si_code: 0,
    cause: 'process',
    sender: { pid: 1, tgid: 1, uid: 0, comm: 'systemd' },
    fault_addr: null,
    watched: false,
    core_flag: false,
    cgroup: `/system.slice/svc${i % 20}.service`,
    unit: `svc${i % 20}.service`,
  } as unknown as RaslogRecord;
}

function death(i: number): NewEvent {
  const { boot: _b, time: _t, ...r } = record(i) as unknown as Record<string, unknown>;
  return {
    ...r,
    type: 'process_death',
    boot: 1,
    region_boot: 1,
    region_id: REGION,
    time_ns: r.realtime_ns as string,
    source: 'kmod',
    dedup: `${REGION}:${(i + 1).toString(16).padStart(16, '0')}`,
  };
}

interface Run {
  rate: number;
  cpuUs: number;
}

/** Accumulates wall and CPU time over the store calls only. */
class Clock {
  ns = 0n;
  cpu = 0;
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = await fn();
    this.ns += process.hrtime.bigint() - t0;
    const c = process.cpuUsage(c0);
    this.cpu += c.user + c.system;
    return r;
  }
}

async function timed(fn: (store: Store, clock: Clock) => Promise<void>, sync: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'raslog-bench-'));
  const store = await Store.open(dir, { create: true, sync });
  const clock = new Clock();
  await fn(store, clock);
  if (store.head().sseq !== N) throw new Error(`stored ${store.head().sseq}, expected ${N}`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: N / (Number(clock.ns) / 1e9), cpuUs: clock.cpu / N };
}

const replay = (sync: boolean) =>
  timed(async (store, clock) => {
    const report = {
      region: { region_id: REGION, boot_count: 1 },
      lanes: [],
      records: Array.from({ length: N }, (_, i) => record(i)),
      gaps: [],
      problems: [],
    } as unknown as RegionReport;
    const r = await clock.time(() => ingestRegion(store, report, { batchSize: BATCH }));
    if (r.stored !== N) throw new Error(`replay stored ${r.stored}`);
  }, sync);

const append = (sync: boolean) =>
  timed(async (store, clock) => {
    for (let i = 0; i < N; i += BATCH) {
      const evs: NewEvent[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) evs.push(death(j));
      await clock.time(() => store.append(evs));
    }
  }, sync);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
let best = 0;
for (const [label, fn, sync] of [
  ['region replay (ingestRegion), fsync per batch', replay, true],
  ['Store.append, exactly-once key per event, fsync per batch', append, true],
  ['Store.append, exactly-once key per event, no fsync', append, false],
] as const) {
  const runs: Run[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await fn(sync));
  const rate = median(runs.map((x) => x.rate));
  if (sync) best = Math.max(best, rate);
  console.log(
    `store-ingest: ${fmt(N)} process_death events, batches of ${BATCH}, ${label}: median ${fmt(rate)} events/s ` +
      `(runs: ${runs.map((x) => fmt(x.rate)).join(', ')}), CPU ${median(runs.map((x) => x.cpuUs)).toFixed(1)} µs/event`,
  );
}
console.log(`goal >= 100,000 events/s (fsync per batch): ${best >= 100_000 ? 'met' : 'NOT met'} (${fmt(best)})`);
