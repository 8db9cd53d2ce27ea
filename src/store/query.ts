/*
 * Queries over the indexes. Every filter becomes a range scan of one index
 * (the most selective given: process, unit, type(s), boot, else time), each
 * bounded by the time range; the remaining filters are checked on the rows
 * fetched. Results come in (time, sseq) order, or reversed.
 */

import { classifyEnding, type BootInfo } from './boots.ts';
import { StoreError } from './errors.ts';
import { HIGH, SEP, dec20, eventKey, suffixOf, sseqFromIndexKey } from './keys.ts';
import type { Store } from './store.ts';
import { parseTimeExpr, type TimeExpr } from './timeexpr.ts';
import { PROCESS_ZONE, zoneOrNull, type Zone } from './tz.ts';
import type { EventRow, StoredEvent } from './types.ts';

export interface Query {
  /** Inclusive bounds, ns since the epoch (decimal strings). */
  since_ns?: string;
  until_ns?: string;
  boot?: number;
  /**
   * Inclusive boot-number bounds from `--since boot-N` / `--until boot-N`: a boot is the set of
   * events filed under it, not a span of wall-clock time (a guest or an RTC may set the clock of
   * the next boot before the last events of the previous one). The time bounds that come with
   * them only narrow the scan.
   */
  boot_min?: number;
  boot_max?: number;
  types?: string[];
  comm?: string;
  unit?: string;
  reverse?: boolean;
  /** Stop after this many matching events (counted in scan order). */
  limit?: number;
}

/** What the CLI sends: unresolved expressions (boots are resolved against the store). */
export interface QuerySpec {
  since?: string;
  until?: string;
  /** -b: true/0 = current, negative = relative, positive = absolute boot number. */
  boot?: number | true;
  types?: string[];
  comm?: string;
  unit?: string;
  reverse?: boolean;
  limit?: number;
  /**
   * The time zone of the user's local times (today, ISO 8601 without an offset), an IANA name;
   * absent: the zone of the process that resolves the query.
   */
  tz?: string;
}

export function matches(e: StoredEvent, q: Query): boolean {
  if (q.boot !== undefined && e.boot !== q.boot) return false;
  if (q.boot_min !== undefined && e.boot < q.boot_min) return false;
  if (q.boot_max !== undefined && e.boot > q.boot_max) return false;
  if (q.types && q.types.length && !q.types.includes(e.type)) return false;
  if (q.comm !== undefined && eventCommOf(e) !== q.comm) return false;
  if (q.unit !== undefined && e.unit !== q.unit) return false;
  if (q.since_ns !== undefined && cmpNs(e.time_ns, q.since_ns) < 0) return false;
  if (q.until_ns !== undefined && cmpNs(e.time_ns, q.until_ns) > 0) return false;
  return true;
}

function eventCommOf(e: StoredEvent): string | null {
  if (typeof e.comm === 'string' && e.comm) return e.comm;
  for (const f of ['initiator', 'task']) {
    const t = e[f] as { comm?: unknown } | undefined;
    if (t && typeof t.comm === 'string' && t.comm) return t.comm;
  }
  return null;
}

export function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** Boots sorted by number; the last is the current. */
function bootByBack(boots: BootInfo[], back: number, what: string): BootInfo {
  const b = boots[boots.length - 1 - back];
  if (!b) {
    throw new StoreError(
      'bad_query',
      `${what}: there is no boot ${back} before the current (the store knows ${boots.length} boot${boots.length === 1 ? '' : 's'})`,
    );
  }
  return b;
}

/** Earliest or latest event time over the given boots (their rows' min_ns/max_ns), null if none. */
function spanOf(boots: BootInfo[], end: 'min' | 'max'): string | null {
  let best: string | null = null;
  for (const b of boots) {
    const v = end === 'min' ? (b.min_ns ?? b.first_ns) : (b.max_ns ?? b.last_ns);
    if (v === null || v === undefined) continue;
    if (best === null || (end === 'min' ? cmpNs(v, best) < 0 : cmpNs(v, best) > 0)) best = v;
  }
  return best;
}

/** A --since/--until operand: an absolute time (ns), or the boot `boot-N` names (with every boot row). */
function boundOf(store: Store, flag: string, expr: string, now: Date, zone: Zone): { ns: string } | { boot: BootInfo; boots: BootInfo[] } {
  const what = `${flag} ${expr}`;
  const t: TimeExpr = parseTimeExpr(expr, now, zone);
  if (t.kind === 'abs') return { ns: (t.ns < 0n ? 0n : t.ns).toString() };
  const boots = store.boots();
  const boot = bootByBack(boots, t.back, what);
  if (boot.first_ns === null) throw new StoreError('bad_query', `${what}: boot ${boot.boot} has no events`);
  return { boot, boots };
}

/** --since X: an absolute time, or boot-N: that boot and every later one (by number). */
function resolveSince(store: Store, q: Query, expr: string, now: Date, zone: Zone): void {
  const b = boundOf(store, '--since', expr, now, zone);
  if ('ns' in b) {
    q.since_ns = b.ns;
    return;
  }
  q.boot_min = b.boot.boot;
  q.since_ns = spanOf(b.boots.filter((x) => x.boot >= b.boot.boot), 'min') ?? b.boot.first_ns!;
}

/** --until Y: an absolute time (inclusive), or boot-N: every boot before that one (by number). */
function resolveUntil(store: Store, q: Query, expr: string, now: Date, zone: Zone): void {
  const b = boundOf(store, '--until', expr, now, zone);
  if ('ns' in b) {
    q.until_ns = b.ns;
    return;
  }
  q.boot_max = b.boot.boot - 1;
  q.until_ns = spanOf(b.boots.filter((x) => x.boot < b.boot.boot), 'max') ?? '0'; // no earlier boot: nothing
}

export function selectBoot(store: Store, sel: number | true): number {
  const boots = store.boots();
  if (sel === true || sel === 0) return bootByBack(boots, 0, '-b').boot;
  if (sel < 0) return bootByBack(boots, -sel, `-b ${sel}`).boot;
  if (!boots.some((b) => b.boot === sel)) throw new StoreError('bad_query', `-b ${sel}: no boot ${sel} in the store`);
  return sel;
}

export function resolveQuery(store: Store, spec: QuerySpec, now: Date = new Date()): Query {
  const q: Query = {};
  let zone = PROCESS_ZONE;
  if (spec.tz !== undefined && (spec.since !== undefined || spec.until !== undefined)) {
    const z = zoneOrNull(spec.tz);
    if (!z) throw new StoreError('bad_query', `unknown time zone "${spec.tz}"`);
    zone = z;
  }
  if (spec.since !== undefined) resolveSince(store, q, spec.since, now, zone);
  if (spec.until !== undefined) resolveUntil(store, q, spec.until, now, zone);
  if (spec.boot !== undefined) q.boot = selectBoot(store, spec.boot);
  if (spec.types?.length) q.types = [...new Set(spec.types)];
  if (spec.comm !== undefined) q.comm = spec.comm;
  if (spec.unit !== undefined) q.unit = spec.unit;
  if (spec.reverse) q.reverse = true;
  if (spec.limit !== undefined) q.limit = spec.limit;
  return q;
}

interface KeyStream {
  next(): Promise<string | null>;
  close(): Promise<void>;
}

function scanIndex(store: Store, prefix: string, q: Query): KeyStream {
  const gte = prefix + (q.since_ns !== undefined ? dec20(q.since_ns) : '');
  const lte = prefix + (q.until_ns !== undefined ? dec20(q.until_ns) + SEP + HIGH : HIGH);
  const it = store.db.keys({ gte, lte, reverse: !!q.reverse });
  let buf: string[] = [];
  let i = 0;
  let size = 64;
  let done = false;
  return {
    async next() {
      if (i >= buf.length) {
        if (done) return null;
        buf = await it.nextv(size);
        size = Math.min(size * 4, 4096);
        i = 0;
        if (!buf.length) {
          done = true;
          return null;
        }
      }
      return buf[i++]!;
    },
    close: () => it.close(),
  };
}

/** k-way merge of index scans by their (time, sseq) suffix. */
function merge(streams: KeyStream[], reverse: boolean): KeyStream {
  if (streams.length === 1) return streams[0]!;
  const heads: (string | null | undefined)[] = streams.map(() => undefined);
  return {
    async next() {
      let best = -1;
      for (let i = 0; i < streams.length; i++) {
        if (heads[i] === undefined) heads[i] = await streams[i]!.next();
        const h = heads[i];
        if (h === null || h === undefined) continue;
        if (best < 0) best = i;
        else {
          const a = suffixOf(h);
          const b = suffixOf(heads[best]!);
          if (reverse ? a > b : a < b) best = i;
        }
      }
      if (best < 0) return null;
      const k = heads[best]!;
      heads[best] = undefined;
      return k;
    },
    async close() {
      await Promise.all(streams.map((s) => s.close()));
    },
  };
}

function plan(store: Store, q0: Query): KeyStream {
  let q = q0;
  if (q.boot !== undefined) {
    // a boot's events lie within its row's [min_ns, max_ns]: bound every scan by it
    const b = store.boot(q.boot);
    if (!b || b.min_ns === null) return scanIndex(store, `t${SEP}`, { ...q, since_ns: '1', until_ns: '0' }); // nothing
    if (b.min_ns !== undefined && b.max_ns !== undefined && b.max_ns !== null) {
      const since = q.since_ns !== undefined && cmpNs(q.since_ns, b.min_ns) > 0 ? q.since_ns : b.min_ns;
      const until = q.until_ns !== undefined && cmpNs(q.until_ns, b.max_ns) < 0 ? q.until_ns : b.max_ns;
      q = { ...q, since_ns: since, until_ns: until };
    }
  }
  if (q.comm !== undefined) return scanIndex(store, `c${SEP}${q.comm}${SEP}`, q);
  if (q.unit !== undefined) return scanIndex(store, `u${SEP}${q.unit}${SEP}`, q);
  if (q.types?.length) return merge(q.types.map((t) => scanIndex(store, `y${SEP}${t}${SEP}`, q)), !!q.reverse);
  return scanIndex(store, `t${SEP}`, q);
}

/**
 * Matching events, at most q.limit, in (time, sseq) order (or reversed); over a range of boots
 * (--since/--until boot-N) boot by boot in number order, each boot's in time order: a later boot
 * happened after an earlier one even when its clock, stepped back at the reboot, says otherwise.
 */
export async function* queryEvents(store: Store, q: Query): AsyncGenerator<StoredEvent> {
  if (q.boot !== undefined || (q.boot_min === undefined && q.boot_max === undefined)) {
    yield* scanEvents(store, q);
    return;
  }
  const nums = store
    .boots()
    .map((b) => b.boot)
    .filter((n) => (q.boot_min === undefined || n >= q.boot_min) && (q.boot_max === undefined || n <= q.boot_max));
  if (q.reverse) nums.reverse();
  let left = q.limit;
  for (const n of nums) {
    if (left !== undefined && left <= 0) return;
    for await (const e of scanEvents(store, { ...q, boot: n, limit: left })) {
      yield e;
      if (left !== undefined) left--;
    }
  }
}

async function* scanEvents(store: Store, q: Query): AsyncGenerator<StoredEvent> {
  const ks = plan(store, q);
  let emitted = 0;
  let chunk = 16;
  try {
    for (;;) {
      const sseqs: number[] = [];
      for (let k = await ks.next(); k !== null; k = sseqs.length < chunk ? await ks.next() : null) {
        sseqs.push(sseqFromIndexKey(k));
        if (sseqs.length >= chunk) break;
      }
      if (!sseqs.length) return;
      chunk = Math.min(chunk * 4, 1024);
      const vals = await store.db.getMany(sseqs.map(eventKey));
      for (const v of vals) {
        if (v === undefined) continue; // index entry of a pruned event: skipped
        const e = (JSON.parse(v) as EventRow).e;
        if (!matches(e, q)) continue;
        yield e;
        if (q.limit !== undefined && ++emitted >= q.limit) return;
      }
    }
  } finally {
    await ks.close();
  }
}

/**
 * journalctl semantics of -n: the *last* N matching events, shown oldest
 * first (or newest first with -r).
 */
export async function* showEvents(store: Store, q: Query): AsyncGenerator<StoredEvent> {
  if (q.limit === undefined || q.reverse) {
    yield* queryEvents(store, q);
    return;
  }
  const tail: StoredEvent[] = [];
  for await (const e of queryEvents(store, { ...q, reverse: true })) tail.push(e);
  for (let i = tail.length - 1; i >= 0; i--) yield tail[i]!;
}

export interface BootSummary {
  boot: number;
  boot_id: string | null;
  first: string | null;
  last: string | null;
  first_ns: string | null;
  last_ns: string | null;
  ended: string;
  how: string | null;
  counts: Record<string, number>;
  events: number;
}

export function bootSummaries(store: Store, current: number | null = null): BootSummary[] {
  const boots = store.boots();
  const cur = current ?? (boots.length ? boots[boots.length - 1]!.boot : null);
  return boots.map((b) => {
    const ended = classifyEnding(b, cur);
    const iso = (ns: string | null) => (ns === null ? null : isoOf(ns));
    return {
      boot: b.boot,
      boot_id: b.boot_id,
      first: iso(b.first_ns),
      last: iso(b.last_ns),
      first_ns: b.first_ns,
      last_ns: b.last_ns,
      ended,
      how: ended === 'clean' ? (b.last_terminal?.action ?? null) : null,
      counts: { ...b.counts },
      events: Object.values(b.counts).reduce((a, c) => a + c, 0),
    };
  });
}

function isoOf(ns: string): string {
  const n = BigInt(ns);
  const d = new Date(Number(n / 1_000_000n));
  const iso = d.toISOString();
  return iso.slice(0, 19) + '.' + ((n / 1000n) % 1_000_000n).toString().padStart(6, '0') + 'Z';
}

export { eventKey };
