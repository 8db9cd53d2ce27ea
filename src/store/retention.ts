/*
 * Retention per event class. Pruning deletes the oldest events of each class
 * past its age limit and, in the same batch, appends checkpoint events that
 * record each pruned run of store sequences with the hash of its last event,
 * so the remaining chain still verifies (see verify.ts). Checkpoints are
 * never pruned; exactly-once keys are kept so a replay cannot re-import a
 * pruned record.
 */

import { accountEvent, type BootInfo } from './boots.ts';
import { SEP, dec20, eventKey, indexKeysFor } from './keys.ts';
import type { RawOp, Store } from './store.ts';
import { EVENT_TYPES, type EventRow, type NewEvent } from './types.ts';
import type { PrunedRun } from './verify.ts';

const DAY_NS = 86_400n * 1_000_000_000n;
const TEN_YEARS = 3653;

/** Days to keep, per event type. Unlisted types use `default`. */
export const DEFAULT_RETENTION: Record<string, number> = {
  default: TEN_YEARS,
  process_death: TEN_YEARS,
  coredump: TEN_YEARS,
  shutdown: TEN_YEARS,
  panic: TEN_YEARS,
  dump_button: TEN_YEARS,
  module_load: TEN_YEARS,
  module_unload: TEN_YEARS,
  boot: TEN_YEARS,
  unexpected_shutdown: TEN_YEARS,
  records_lost: TEN_YEARS,
  pstore: TEN_YEARS,
  netstats: 30,
};

/** Runs per checkpoint event. */
const RUNS_PER_CHECKPOINT = 1000;

export interface PruneResult {
  pruned: number;
  byType: Record<string, number>;
  checkpoints: number;
}

function retentionDays(ret: Record<string, number>, type: string): number | null {
  if (type === 'checkpoint') return null;
  return ret[type] ?? ret.default ?? DEFAULT_RETENTION.default!;
}

export async function prune(
  store: Store,
  opts: { retention?: Record<string, number>; now?: Date; bootForCheckpoint?: number; maxEvents?: number } = {},
): Promise<PruneResult> {
  const ret = { ...DEFAULT_RETENTION, ...(opts.retention ?? {}) };
  const nowNs = BigInt((opts.now ?? new Date()).getTime()) * 1_000_000n;
  const maxEvents = opts.maxEvents ?? 200_000;
  return store.exclusive(async () => {
    const victims: EventRow[] = [];
    // per class, a scan of its type index from the oldest event up to the class's cutoff:
    // only events that are due are read
    for (const type of EVENT_TYPES) {
      const days = retentionDays(ret, type);
      if (days === null || victims.length >= maxEvents) continue;
      const cutoff = nowNs - BigInt(days) * DAY_NS;
      if (cutoff <= 0n) continue;
      const prefix = `y${SEP}${type}${SEP}`;
      const it = store.db.keys({ gte: prefix, lt: prefix + dec20(cutoff), limit: maxEvents - victims.length });
      try {
        for (;;) {
          const keys = await it.nextv(1000);
          if (!keys.length) break;
          for (const row of await store.getRows(keys.map((k) => parseInt(k.slice(-16), 16)))) if (row) victims.push(row);
        }
      } finally {
        await it.close();
      }
    }
    if (!victims.length) return { pruned: 0, byType: {}, checkpoints: 0 };
    victims.sort((a, b) => a.e.sseq - b.e.sseq);
    const runs: PrunedRun[] = [];
    const byType: Record<string, number> = {};
    const ops: RawOp[] = [];
    const boots = new Map<number, BootInfo>();
    for (const r of victims) {
      const last = runs[runs.length - 1];
      if (last && last[1] === r.e.sseq - 1) {
        last[1] = r.e.sseq;
        last[2] = r.h;
      } else runs.push([r.e.sseq, r.e.sseq, r.h]);
      byType[r.e.type] = (byType[r.e.type] ?? 0) + 1;
      ops.push({ type: 'del', key: eventKey(r.e.sseq) });
      for (const k of indexKeysFor(r.e)) ops.push({ type: 'del', key: k });
      let b = boots.get(r.e.boot);
      if (!b) {
        b = store.boot(r.e.boot);
        if (b) boots.set(b.boot, b);
      }
      if (b) accountEvent(b, r.e, -1);
    }
    const cpBoot = opts.bootForCheckpoint ?? store.maxBoot();
    const cps: NewEvent[] = [];
    for (let i = 0; i < runs.length; i += RUNS_PER_CHECKPOINT) {
      const part = runs.slice(i, i + RUNS_PER_CHECKPOINT);
      const partVictims = victims.filter((v) => v.e.sseq >= part[0]![0] && v.e.sseq <= part[part.length - 1]![1]);
      const pt: Record<string, number> = {};
      for (const v of partVictims) pt[v.e.type] = (pt[v.e.type] ?? 0) + 1;
      cps.push({
        type: 'checkpoint',
        boot: cpBoot,
        time_ns: nowNs.toString(),
        source: 'store',
        pruned: partVictims.length,
        pruned_types: pt,
        first_sseq: part[0]![0],
        last_sseq: part[part.length - 1]![1],
        last_hash: part[part.length - 1]![2],
        runs: part,
      });
    }
    await store.appendNow(cps, { ops, boots: [...boots.values()] });
    return { pruned: victims.length, byType, checkpoints: cps.length };
  });
}
