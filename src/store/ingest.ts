/*
 * Exactly-once ingestion of a decoded region into the store. Each record is
 * keyed by (region id, record seq); the key, the event and the region's
 * high-water mark are written in one atomic batch, so replaying the same
 * region any number of times, or after a crash in the middle of a replay,
 * stores every record once. A hole in the sequence becomes a `records_lost`
 * event (itself exactly-once, keyed by the seq after the hole).
 */

import type { LaneReport, RaslogRecord, RegionReport } from '../region/types.ts';
import { initialOffset, newRegionState, storeBootFor, type RegionState } from './boots.ts';
import { dedupKey, hex16 } from './keys.ts';
import type { Store } from './store.ts';
import type { NewEvent, StoredEvent } from './types.ts';

export interface IngestOptions {
  /** Events per atomic batch (default 5000). */
  batchSize?: number;
  /**
   * Decide whether a hole (after, before) in a live region is final. Records
   * of the current boot may still be in flight (a seq reserved, not yet
   * committed); the kmod collector confirms a hole once it persists. Default:
   * every hole is final (an image, or a past boot).
   */
  holeIsFinal?: (after: number, before: number) => boolean;
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
export async function regionStateFor(store: Store, report: RegionReport): Promise<RegionState> {
  const id = report.region.region_id;
  const st = await regionState(store, id);
  if (st) return st;
  let minBoot = report.region.boot_count;
  for (const r of report.records) if (r.boot < minBoot) minBoot = r.boot;
  return newRegionState(id, initialOffset(store.maxBoot(), minBoot));
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
 * The record's fields (in its order, `boot` renamed `region_boot`) plus the
 * event's. Same object as `{ ...rest, boot, region_boot, … }` after `const
 * { boot, ...rest } = rec`, but a copy loop: V8 runs rest destructuring with
 * an excluded key in its runtime, ~15 µs per record vs ~1.5 µs.
 */
function recordEvent(rec: RaslogRecord, regionId: string, boot: number): NewEvent {
  const r = rec as unknown as Record<string, unknown>;
  const ev: Record<string, unknown> = {};
  for (const k of Object.keys(r)) if (k !== 'boot') ev[k] = r[k];
  ev.boot = boot;
  ev.region_boot = rec.boot;
  ev.region_id = regionId;
  ev.time_ns = rec.realtime_ns;
  ev.source = 'kmod';
  ev.dedup = `${regionId}:${hex16(rec.seq)}`;
  return ev as unknown as NewEvent;
}

/** Lanes that can have lost records in a hole after `after`: wrapped past it, or holding torn/corrupt slots. */
function laneCandidates(lanes: LaneReport[], records: RaslogRecord[], after: number): string[] {
  const oldest = new Map<string, number>();
  for (const r of records) if (!oldest.has(r.lane) || r.seq < oldest.get(r.lane)!) oldest.set(r.lane, r.seq);
  const out: string[] = [];
  for (const l of lanes) {
    const wrapped = l.overwritten > 0 && (oldest.get(l.lane) ?? Infinity) > after;
    if (wrapped || l.torn + l.corrupt > 0) out.push(l.lane);
  }
  return out;
}

export async function ingestRegion(store: Store, report: RegionReport, opts: IngestOptions = {}): Promise<IngestResult> {
  const batchSize = opts.batchSize ?? 5000;
  const id = report.region.region_id;
  const holeIsFinal = opts.holeIsFinal ?? (() => true);
  return store.exclusive(async () => {
    const state = await regionStateFor(store, report);
    const res: IngestResult = { region_id: id, stored: 0, lost: 0, skipped: 0, pendingHoles: 0, last_seq: state.last_seq };
    const fresh: RaslogRecord[] = [];
    const seen = new Set<number>();
    for (const r of report.records) {
      if (r.seq <= state.last_seq || seen.has(r.seq)) res.skipped++;
      else {
        seen.add(r.seq);
        fresh.push(r);
      }
    }
    // None of the fresh records' keys can be stored when no key of the region lies above the
    // committed high-water mark (every fresh record and loss is keyed above it): the store then
    // skips reading the keys before each batch (it still writes them). Records past a pending
    // hole are stored while the mark stays below the hole, so the mark alone does not prove it.
    const keysUnseen = fresh.length > 0 && !(await keysAbove(store, id, state.last_seq));
    const bySeq = new Map<number, RaslogRecord>();
    for (const r of report.records) bySeq.set(r.seq, r);
    let hwm = state.last_seq;
    let blocked = false;
    let pending: NewEvent[] = [];
    let batchNo = 0;
    const flush = async () => {
      const st: RegionState = { ...state, last_seq: hwm };
      const stored: StoredEvent[] = await store.appendNow(pending, { meta: { [regionStateKey(id)]: st }, keysUnseen });
      for (const e of stored) if (e.type === 'records_lost') res.lost += e.count as number;
      res.stored += stored.filter((e) => e.type !== 'records_lost').length;
      pending = [];
      await opts.onBatch?.(++batchNo, res.stored);
    };
    let prev = state.last_seq;
    for (const r of fresh) {
      const boot = storeBootFor(state, r.boot);
      if (r.seq > prev + 1) {
        if (!blocked && holeIsFinal(prev, r.seq)) {
          const cands = laneCandidates(report.lanes, report.records, prev);
          pending.push({
            type: 'records_lost',
            boot,
            time_ns: r.realtime_ns,
            source: 'kmod',
            region_id: id,
            count: r.seq - prev - 1,
            first_seq: prev + 1,
            last_seq: r.seq - 1,
            lane: cands.length === 1 ? cands[0]! : null,
            lanes: cands,
            dedup: `${id}:lost:${hex16(r.seq)}`,
          });
        } else {
          blocked = true;
          res.pendingHoles++;
        }
      }
      const ev = recordEvent(r, id, boot);
      if (r.type === 'coredump') {
        const d = bySeq.get(r.seq - 1);
        if (d && d.type === 'process_death' && (d.pid === r.pid || d.tgid === r.tgid)) {
          ev.unit = d.unit;
          ev.death_seq = d.seq;
        }
      }
      pending.push(ev);
      prev = r.seq;
      if (!blocked) hwm = r.seq;
      if (pending.length >= batchSize) await flush();
    }
    if (pending.length || hwm !== state.last_seq || !(await regionState(store, id))) await flush();
    res.last_seq = hwm;
    return res;
  });
}
