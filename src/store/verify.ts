/*
 * Chain verification: recompute every stored event's hash and check that
 * each one chains to its predecessor, that sseqs are contiguous except where
 * a checkpoint declares a pruned run, and that the last event is the recorded
 * head. The first bad event is named, with what was found.
 */

import { chainHash } from './chain.ts';
import { StoreError } from './errors.ts';
import { SEP, HIGH } from './keys.ts';
import type { Store } from './store.ts';
import { GENESIS, type EventRow } from './types.ts';

export type TamperKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'head';

export interface VerifyResult {
  ok: boolean;
  /** Events checked. */
  events: number;
  /** Events accounted for by checkpoints (pruned by retention). */
  pruned: number;
  head: { sseq: number; hash: string };
  bad?: { sseq: number; kind: TamperKind; message: string; time?: string; type?: string };
}

/** A pruned run: sseqs first..last, and the hash of event `last`. */
export type PrunedRun = [first: number, last: number, hash: string];

async function loadRuns(store: Store): Promise<Map<number, { last: number; hash: string }>> {
  const runs = new Map<number, { last: number; hash: string }>();
  const prefix = `y${SEP}checkpoint${SEP}`;
  const sseqs: number[] = [];
  for await (const k of store.db.keys({ gte: prefix, lt: prefix + HIGH })) sseqs.push(parseInt(k.slice(-16), 16));
  for (const row of await store.getRows(sseqs)) {
    const r = row?.e.runs;
    if (!Array.isArray(r)) continue;
    for (const x of r as PrunedRun[]) {
      if (Array.isArray(x) && x.length === 3) runs.set(Number(x[0]), { last: Number(x[1]), hash: String(x[2]) });
    }
  }
  return runs;
}

/** Follow pruned runs from `from`; returns the hash of `to` if runs cover from..to exactly. */
function coverGap(runs: Map<number, { last: number; hash: string }>, from: number, to: number): { hash: string } | { firstMissing: number } {
  let pos = from;
  for (;;) {
    const r = runs.get(pos);
    if (!r || r.last > to) return { firstMissing: pos };
    if (r.last === to) return { hash: r.hash };
    pos = r.last + 1;
  }
}

/** signal: stop early (the asker went away); throws a StoreError then. */
export async function verifyChain(store: Store, signal?: AbortSignal): Promise<VerifyResult> {
  const runs = await loadRuns(store);
  const head = (await store.getMeta<{ sseq: number; hash: string }>('head')) ?? { sseq: 0, hash: GENESIS };
  let prev = GENESIS;
  let prevSseq = 0;
  let expect = 1;
  let events = 0;
  let pruned = 0;
  const fail = (sseq: number, kind: TamperKind, message: string, row?: EventRow): VerifyResult => ({
    ok: false,
    events,
    pruned,
    head,
    bad: { sseq, kind, message, ...(row ? { time: row.e.time, type: row.e.type } : {}) },
  });
  for await (const [k, v] of store.rows()) {
    if (signal?.aborted) throw new StoreError('io', 'verify interrupted');
    if (k > head.sseq) {
      return fail(k, 'inserted', `event #${k} lies beyond the recorded chain head #${head.sseq}: inserted`);
    }
    if (k > expect) {
      const c = coverGap(runs, expect, k - 1);
      if ('firstMissing' in c) {
        const last = k - 1;
        const range = c.firstMissing === last ? `#${last}` : `#${c.firstMissing}..#${last}`;
        return fail(c.firstMissing, 'deleted', `event ${range} missing: deleted (no checkpoint accounts for it)`);
      }
      pruned += k - expect;
      prev = c.hash;
      prevSseq = 0;
    }
    let row: EventRow;
    try {
      row = JSON.parse(v) as EventRow;
      if (!row || typeof row !== 'object' || !row.e || typeof row.h !== 'string') throw new Error('shape');
    } catch {
      return fail(k, 'edited', `event #${k} is not a valid row: edited`);
    }
    if (row.e.sseq !== k) {
      if (row.e.sseq === k - 1 && prevSseq === k - 1) {
        return fail(k - 1, 'inserted', `event #${k - 1} was inserted: the event after it carries sseq ${k - 1}`, row);
      }
      return fail(k, 'reordered', `event at #${k} carries sseq ${String(row.e.sseq)}: reordered or moved`, row);
    }
    if (chainHash(row.p, row.e) !== row.h) {
      return fail(k, 'edited', `event #${k} (${row.e.time} ${row.e.type}) does not match its hash: edited`, row);
    }
    if (row.p !== prev) {
      if (prevSseq === k - 1) {
        return fail(
          k - 1,
          'edited',
          `event #${k - 1} was edited or replaced: event #${k} chains to a different hash`,
        );
      }
      return fail(k, 'edited', `event #${k} does not chain to the pruned run before it: edited`, row);
    }
    prev = row.h;
    prevSseq = k;
    expect = k + 1;
    events++;
  }
  if (expect <= head.sseq) {
    const c = coverGap(runs, expect, head.sseq);
    if ('firstMissing' in c) {
      return fail(c.firstMissing, 'deleted', `event #${c.firstMissing}..#${head.sseq} missing at the end of the chain: deleted`);
    }
    pruned += head.sseq - expect + 1;
    prev = c.hash;
  }
  if (prev !== head.hash) {
    return fail(head.sseq, 'head', `chain head #${head.sseq} hash ${head.hash.slice(0, 16)}… does not match the events (${prev.slice(0, 16)}…)`);
  }
  return { ok: true, events, pruned, head };
}
