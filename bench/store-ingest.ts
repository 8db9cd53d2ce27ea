/*
 * Store ingest throughput: events/s into the LevelDB store (hash chain,
 * five index keys, exactly-once key per event, atomic batches).
 *   node --import=tsx bench/store-ingest.ts [events=500000] [batch=5000]
 * Goal: >= 100k events/s.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import type { NewEvent } from '../src/store/types.ts';

const N = Number(process.argv[2] ?? 500_000);
const BATCH = Number(process.argv[3] ?? 5000);
const T0 = 1795861234000000000n;

function death(i: number): NewEvent {
  return {
    type: 'process_death',
    boot: 1 + Math.floor(i / 10_000),
    time_ns: (T0 + BigInt(i) * 1_000_000n).toString(),
    source: 'kmod',
    seq: i + 1,
    region_boot: 1,
    region_id: 'abacadaeafb0b1b2b3b4b5b6b7b8b9ba',
    realtime_ns: (T0 + BigInt(i) * 1_000_000n).toString(),
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
    dedup: `abacadaeafb0b1b2b3b4b5b6b7b8b9ba:${(i + 1).toString(16).padStart(16, '0')}`,
  };
}

async function run(sync: boolean, writeBufferSize?: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'raslog-bench-'));
  const store = await Store.open(dir, { create: true, sync, writeBufferSize });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += BATCH) {
    const evs: NewEvent[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) evs.push(death(j));
    await store.append(evs);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (store.head().sseq !== N) throw new Error(`stored ${store.head().sseq}, expected ${N}`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return N / s;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const a = await run(true);
console.log(`store-ingest: ${fmt(N)} process_death events, batches of ${BATCH}, sync=yes: ${fmt(a)} events/s`);
const b = await run(false);
console.log(`store-ingest: ${fmt(N)} process_death events, batches of ${BATCH}, sync=no:  ${fmt(b)} events/s`);
const c = await run(true, 64 * 1024 * 1024);
console.log(`store-ingest: ${fmt(N)} process_death events, batches of ${BATCH}, sync=yes, 64 MiB memtable: ${fmt(c)} events/s`);
console.log(`goal >= 100,000 events/s: ${a >= 100_000 ? 'met' : 'NOT met'}`);
