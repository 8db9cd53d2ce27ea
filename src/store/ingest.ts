/*
 * Exactly-once ingestion of a decoded region into the store. Each record is
 * keyed by (region id, record seq); the key, the event and the region's
 * high-water mark are written in one atomic batch, so replaying the same
 * region any number of times, or after a crash in the middle of a replay,
 * stores every record once. A hole in the sequence becomes a `records_lost`
 * event (itself exactly-once, keyed by the seq after the hole).
 */

import { scanOfReport, type RegionScan } from '../region/decode.ts';
import type { LaneReport, RaslogRecord, RegionReport } from '../region/types.ts';
import { initialOffset, newRegionState, storeBootFor, type RegionState } from './boots.ts';
import { dedupKey, hex16 } from './keys.ts';
import type { PreparedAppend, Store } from './store.ts';
import type { NewEvent, StoredEvent } from './types.ts';

export interface IngestOptions {
  /** Events per atomic batch (default 5000). */
  batchSize?: number;
  /**
   * Decide whether a hole (after, before) in a live region is final. Records
   * of the current boot may still be in flight (a seq reserved, not yet
   * committed); the kmod collector confirms a hole once it persists. Default:
   * every hole is final (an image, or a past boot). `bootAfter`: the region
   * boot of the record at `before`.
   */
  holeIsFinal?: (after: number, before: number, bootAfter: number) => boolean;
  /** Called between batches (tests use it to crash in the middle). */
  onBatch?: (n: number, stored: number) => void | Promise<void>;
}

export interface IngestResult {
  region_id: string;
  stored: number;
  lost: number;
  skipped: number;
  pendingHoles: number;
  last_seq: number;
}

export function regionStateKey(id: string): string {
  return `region\x00${id}`;
}

export async function regionState(store: Store, id: string): Promise<RegionState | undefined> {
  return store.getMeta<RegionState>(regionStateKey(id));
}

/** Region state, created (with its boot-number offset) when the region is new. */
export async function regionStateFor(store: Store, report: RegionReport | RegionScan): Promise<RegionState> {
  const id = report.region.region_id;
  const st = await regionState(store, id);
  if (st) return st;
  const scan = asScan(report);
  let minBoot = report.region.boot_count;
  for (let i = 0; i < scan.count; i++) minBoot = Math.min(minBoot, scan.bootAt(i));
  return newRegionState(id, initialOffset(store.maxBoot(), minBoot));
}

function asScan(r: RegionReport | RegionScan): RegionScan {
  return 'records' in r ? scanOfReport(r) : r;
}

/**
 * Whether an exactly-once key of region `id` lies above seq `mark`: a record
 * stored past a hole that was still pending (its batch kept the mark below
 * the hole), a loss keyed above the mark, or a mark that was lost. Record keys
 * are `<id>:<seq16>`, loss keys `<id>:lost:<seq16>` (fixed-width hex, so key
 * order is seq order; `lost:` sorts after every hex digit).
 */
async function keysAbove(store: Store, id: string, mark: number): Promise<boolean> {
  const base = dedupKey(`${id}:`);
  for (const [gt, lt] of [
    [base + hex16(mark), `${base}g`],
    [`${base}lost:${hex16(mark)}`, `${base}lost:g`],
  ] as const) {
    if ((await store.db.keys({ gt, lt, limit: 1 }).all()).length) return true;
  }
  return false;
}

/*
 * The stored event: the decoded record (a new object, taken over) with `boot`
 * renamed `region_boot` and the event's fields. Key order does not matter:
 * the chain hashes the canonical (sorted) JSON.
 */
function recordEvent(rec: RaslogRecord, regionId: string, boot: number): NewEvent {
  const ev = rec as unknown as Record<string, unknown>;
  ev.region_boot = rec.boot;
  ev.boot = boot;
  ev.region_id = regionId;
  ev.time_ns = rec.realtime_ns;
  ev.source = 'kmod';
  ev.dedup = `${regionId}:${hex16(rec.seq)}`;
  return ev as unknown as NewEvent;
}

/** Oldest seq held by each lane. */
function oldestByLane(scan: RegionScan): Map<string, number> {
  const oldest = new Map<string, number>();
  for (let i = 0; i < scan.count; i++) {
    const lane = scan.laneAt(i);
    if (!oldest.has(lane)) oldest.set(lane, scan.seqAt(i)); // seq order: the first is the oldest
  }
  return oldest;
}

/** Lanes that can have lost records in a hole after `after`: wrapped past it, or holding torn/corrupt slots. */
function laneCandidates(lanes: LaneReport[], oldest: Map<string, number>, after: number): string[] {
  const out: string[] = [];
  for (const l of lanes) {
    const wrapped = l.overwritten > 0 && (oldest.get(l.lane) ?? Infinity) > after;
    if (wrapped || l.torn + l.corrupt > 0) out.push(l.lane);
  }
  return out;
}

/**
 * Store a region's records exactly once. `input`: a scan (records decoded one
 * batch at a time) or a decoded report.
 */
export async function ingestRegion(store: Store, input: RegionReport | RegionScan, opts: IngestOptions = {}): Promise<IngestResult> {
  const batchSize = opts.batchSize ?? 5000;
  const scan = asScan(input);
  const id = scan.region.region_id;
  const holeIsFinal = opts.holeIsFinal ?? (() => true);
  return store.exclusive(async () => {
    const state = await regionStateFor(store, scan);
    const res: IngestResult = { region_id: id, stored: 0, lost: 0, skipped: 0, pendingHoles: 0, last_seq: state.last_seq };
    // indexes of the fresh records: above the mark, first of a repeated seq
    const fresh: number[] = [];
    for (let i = 0; i < scan.count; i++) {
      const seq = scan.seqAt(i);
      if (seq <= state.last_seq || (i > 0 && scan.seqAt(i - 1) === seq)) res.skipped++;
      else fresh.push(i);
    }
    // None of the fresh records' keys can be stored when no key of the region lies above the
    // committed high-water mark (every fresh record and loss is keyed above it): the store then
    // skips reading the keys before each batch (it still writes them). Records past a pending
    // hole are stored while the mark stays below the hole, so the mark alone does not prove it.
    const keysUnseen = fresh.length > 0 && !(await keysAbove(store, id, state.last_seq));
    let oldest: Map<string, number> | null = null;
    let hwm = state.last_seq;
    let blocked = false;
    let pending: NewEvent[] = [];
    let batchNo = 0;
    // Pipelined: batch n+1 is prepared (decoded, chained, indexed: JS) while batch n is written
    // (LevelDB, on libuv's pool); written strictly one after the other, each after the previous
    // committed, so the chain on disk never skips a batch. A failed write discards the next one.
    let inflight: Promise<void> | null = null;
    let last: PreparedAppend | undefined;
    const flush = async () => {
      const st: RegionState = { ...state, last_seq: hwm };
      const prep = await store.prepare(pending, { meta: { [regionStateKey(id)]: st }, keysUnseen }, last);
      pending = [];
      try {
        if (inflight) await inflight;
      } catch (e) {
        await store.discard(prep);
        throw e;
      }
      last = prep;
      inflight = store.commit(prep).then(async (stored) => {
        for (const e of stored) if (e.type === 'records_lost') res.lost += e.count as number;
        res.stored += stored.filter((e) => e.type !== 'records_lost').length;
        await opts.onBatch?.(++batchNo, res.stored);
      });
      inflight.catch(() => undefined); // awaited by the next flush or at the end
    };
    let prev = state.last_seq;
    for (const i of fresh) {
      const seq = scan.seqAt(i);
      const boot = storeBootFor(state, scan.bootAt(i));
      if (seq > prev + 1) {
        if (!blocked && holeIsFinal(prev, seq, scan.bootAt(i))) {
          oldest ??= oldestByLane(scan);
          const cands = laneCandidates(scan.lanes, oldest, prev);
          const r = scan.record(i);
          pending.push({
            type: 'records_lost',
            boot,
            time_ns: r.realtime_ns,
            source: 'kmod',
            region_id: id,
            count: seq - prev - 1,
            first_seq: prev + 1,
            last_seq: seq - 1,
            lane: cands.length === 1 ? cands[0]! : null,
            lanes: cands,
            dedup: `${id}:lost:${hex16(seq)}`,
          });
        } else {
          blocked = true;
          res.pendingHoles++;
        }
      }
      const r = scan.record(i);
      const ev = recordEvent(r, id, boot);
      if (r.type === 'coredump' && i > 0 && scan.seqAt(i - 1) === seq - 1) {
        // its death is the record just before it (stored in this batch, an earlier one, or before)
        const d = scan.record(i - 1);
        if (d.type === 'process_death' && (d.pid === r.pid || d.tgid === r.tgid)) {
          ev.unit = d.unit;
          ev.death_seq = d.seq;
        }
      }
      pending.push(ev);
      prev = seq;
      if (!blocked) hwm = seq;
      if (pending.length >= batchSize) await flush();
    }
    if (pending.length || hwm !== state.last_seq) await flush();
    if (inflight) await inflight;
    if (!(await regionState(store, id))) {
      // a new region without a fresh record still gets its state (boot-number offset) written
      await flush();
      await inflight;
    }
    res.last_seq = hwm;
    return res;
  });
}
