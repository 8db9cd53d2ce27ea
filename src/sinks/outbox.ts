/*
 * The durable outbox: one queue per sink in a LevelDB (any abstract-level
 * database with string keys and values: a Level, or the store's
 * `db.sublevel('outbox')`).
 *
 * Layout (keys):
 *   e!<n:16 hex>         → the event (JSON), once however many sinks it goes to
 *   q!<sink>!<n:16 hex>  → {k: key, t: enqueued ms, a: attempts}   one delivery of event n
 *                          (queues written before this layout: {k, e: event, t, a}, still read)
 *   m!n                  → next n (global enqueue counter, one per queued event)
 *   m!wm                 → highest store sseq enqueued (the daemon's replay point)
 *   m!sup                → suppressor state (suppress.ts)
 *   s!<sink>             → status {delivered, failed, last_success, last_error, …}
 *
 * Guarantees:
 * - enqueue() writes every event's deliveries, the counter, the watermark and
 *   the suppressor state in ONE batch (synced by default): after a crash
 *   either all of a call's deliveries exist or none (and the watermark says
 *   which, so the daemon re-enqueues from the store: `afterSseq()`).
 * - a delivery is removed only after its sink confirmed it; the removal is not
 *   synced, so a crash can repeat a confirmed delivery (at-least-once; every
 *   message carries the idempotency key).
 * - an event is written once (e!<n>) and each sink's queue entry refers to it
 *   by its number: a storm routed to five sinks writes and parses each event
 *   once, not five times (LevelDB traffic and garbage, hence raslogd's RSS).
 *   Every queue is in n order, so the events below the lowest queue head are
 *   referenced by no delivery: they are swept (clear(), unsynced) after
 *   removals and at start(); a crash at worst leaves some to the next sweep.
 * - nothing per queued delivery is kept in memory (a counter per queue): a
 *   backlog of any size costs disk, not RSS.
 * - each sink has its own loop: a slow or hanging sink (every send is bounded
 *   by the sink's timeout) only delays its own queue.
 * - failures back off exponentially per sink (min_ms · 2^(n-1), ≤ max_ms, ±20 %).
 */

import { EventEmitter } from 'node:events';
import type { AbstractLevel } from 'abstract-level';
import { eventKey, type SinkEvent } from './event.ts';
import { emptySuppressState, flushDue, nextDue, suppress, type SuppressState } from './suppress.ts';
import type { SuppressConfig } from './config.ts';
import type { Delivery, Sink } from './types.ts';
import { isStorageFailure } from '../store/errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OutboxDB = AbstractLevel<any, string, string>;

export interface SinkStatus {
  sink: string;
  kind: string | null;
  /** false: a queue left over from a sink no longer configured (not delivered). */
  configured: boolean;
  backlog: number;
  delivered: number;
  failed_attempts: number;
  consecutive_failures: number;
  last_success: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** oldest undelivered delivery's enqueue time */
  oldest: string | null;
  next_attempt: string | null;
}

interface PersistedStatus {
  delivered: number;
  failed_attempts: number;
  last_success: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

/** A queue entry as stored: `e` only in entries written before events were stored once (e!<n>). */
interface QItem {
  k: string;
  e?: SinkEvent;
  t: number;
  a: number;
}

/** A queue entry with its event, while it is being delivered. */
interface Pending {
  key: string;
  it: QItem;
  ev: SinkEvent;
}

export interface OutboxOptions {
  sinks: Sink[];
  /** Sink instance names for an event. */
  route: (ev: SinkEvent) => string[];
  retry?: { min_ms: number; max_ms: number };
  /** fsync enqueue batches (default true). */
  sync?: boolean;
  suppress?: SuppressConfig;
  isWatched?: (ev: SinkEvent) => boolean;
  /** Max deliveries read per loop turn beyond concurrency (default: concurrency). */
  logger?: { warn(msg: string): void; info?(msg: string): void; debug?(msg: string): void };
  now?: () => number;
  /** Told of every write that failed in the storage (a full disk…): raslogd reopens the store. */
  onStorageFailure?: (e: unknown) => void;
}

interface Loop {
  sink: Sink;
  failures: number;
  retryAt: number;
  wake: (() => void) | null;
  pending: boolean;
  done: Promise<void> | null;
  st: PersistedStatus;
  dirty: boolean;
}

const Q = 'q!';
const hex16 = (n: number) => n.toString(16).padStart(16, '0');
const qPrefix = (sink: string) => `${Q}${sink}!`;
const qKey = (sink: string, n: number) => `${qPrefix(sink)}${hex16(n)}`;
const E = 'e!';
const eKey = (n: number) => `${E}${hex16(n)}`;

export interface DeliveredInfo {
  sink: string;
  key: string;
  event: SinkEvent;
  /** ms from enqueue to confirmation */
  latency_ms: number;
  attempts: number;
}

export class Outbox extends EventEmitter {
  private n = 0;
  private wm = 0;
  private sup: SuppressState = emptySuppressState();
  private readonly loops = new Map<string, Loop>();
  private readonly backlog = new Map<string, number>();
  private lock: Promise<unknown> = Promise.resolve();
  private running = false;
  private stopping = false;
  private supTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  private constructor(
    readonly db: OutboxDB,
    private readonly o: OutboxOptions,
  ) {
    super();
    this.now = o.now ?? Date.now;
  }

  private storageFailed(e: unknown): void {
    if (isStorageFailure(e)) this.o.onStorageFailure?.(e);
  }

  /** Open (the database must be open or openable) and load counters, backlog and status. */
  static async open(db: OutboxDB, o: OutboxOptions): Promise<Outbox> {
    if (db.status !== 'open') await db.open();
    const ob = new Outbox(db, o);
    await ob.load();
    return ob;
  }

  private async load(): Promise<void> {
    const n = await this.db.get('m!n');
    this.n = n ? Number(n) : 0;
    const wm = await this.db.get('m!wm');
    this.wm = wm ? Number(wm) : 0;
    const sup = await this.db.get('m!sup');
    this.sup = sup ? (JSON.parse(sup) as SuppressState) : emptySuppressState();
    // backlog per queue (configured or not)
    for await (const k of this.db.keys({ gte: Q, lt: 'q"' })) {
      const sink = k.slice(2, k.lastIndexOf('!'));
      this.backlog.set(sink, (this.backlog.get(sink) ?? 0) + 1);
      const num = parseInt(k.slice(k.lastIndexOf('!') + 1), 16);
      if (num >= this.n) this.n = num + 1;
    }
    for (const s of this.o.sinks) {
      const raw = await this.db.get(`s!${s.name}`);
      const st: PersistedStatus = raw
        ? (JSON.parse(raw) as PersistedStatus)
        : { delivered: 0, failed_attempts: 0, last_success: null, last_error: null, last_error_at: null };
      this.loops.set(s.name, { sink: s, failures: 0, retryAt: 0, wake: null, pending: false, done: null, st, dirty: false });
    }
  }

  /** Highest store sequence number enqueued so far: the daemon re-enqueues stored events after it at start. */
  afterSseq(): number {
    return this.wm;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /**
   * Queue stored events for their sinks (call after the store committed them).
   * Events whose `sseq` is at or below the watermark are skipped (already
   * queued). Returns the number of deliveries queued.
   */
  enqueue(events: SinkEvent[]): Promise<number> {
    return this.exclusive(async () => {
      const now = this.now();
      let maxSseq = this.wm;
      const fresh: SinkEvent[] = [];
      for (const ev of events) {
        if (typeof ev.sseq === 'number') {
          if (ev.sseq <= this.wm) continue;
          if (ev.sseq > maxSseq) maxSseq = ev.sseq;
        }
        fresh.push(ev);
      }
      const merged = pairCoredumps(fresh);
      let out = merged;
      let sup = this.sup;
      if (this.o.suppress) {
        const r = suppress(this.sup, merged, now, this.o.suppress, this.o.isWatched);
        out = r.out;
        sup = r.state;
      }
      return this.write(out, maxSseq, sup, now);
    });
  }

  private async write(out: SinkEvent[], maxSseq: number, sup: SuppressState, now: number): Promise<number> {
    const ops: { type: 'put'; key: string; value: string }[] = [];
    const added = new Map<string, number>();
    let n = this.n;
    let deliveries = 0;
    for (const ev of out) {
      const sinks = [...new Set(this.o.route(ev))].filter((s) => this.loops.has(s));
      if (!sinks.length) continue;
      const num = n++;
      ops.push({ type: 'put', key: eKey(num), value: JSON.stringify(ev) });
      const item = JSON.stringify({ k: eventKey(ev), t: now, a: 0 } satisfies QItem);
      for (const sink of sinks) {
        ops.push({ type: 'put', key: qKey(sink, num), value: item });
        added.set(sink, (added.get(sink) ?? 0) + 1);
        deliveries++;
      }
    }
    const supChanged = this.o.suppress !== undefined && JSON.stringify(sup) !== JSON.stringify(this.sup);
    if (!ops.length && maxSseq === this.wm && !supChanged) return 0;
    ops.push({ type: 'put', key: 'm!n', value: String(n) });
    ops.push({ type: 'put', key: 'm!wm', value: String(maxSseq) });
    if (this.o.suppress) ops.push({ type: 'put', key: 'm!sup', value: JSON.stringify(sup) });
    // count before the write resolves: a running loop may deliver (and count down) the new
    // entries before this function continues after the await
    for (const [s, c] of added) this.backlog.set(s, (this.backlog.get(s) ?? 0) + c);
    try {
      await this.db.batch(ops, { sync: this.o.sync ?? true } as never);
    } catch (e) {
      for (const [s, c] of added) this.backlog.set(s, (this.backlog.get(s) ?? 0) - c);
      this.storageFailed(e);
      throw e;
    }
    this.n = n;
    this.wm = maxSseq;
    this.sup = sup;
    for (const s of added.keys()) this.kick(s);
    this.armSuppressTimer();
    return deliveries;
  }

  /** Close suppression windows that have ended (also run by a timer while started). */
  flushSuppressed(): Promise<number> {
    return this.exclusive(async () => {
      if (!this.o.suppress) return 0;
      const now = this.now();
      const r = flushDue(this.sup, now, this.o.suppress);
      if (JSON.stringify(r.state) === JSON.stringify(this.sup)) return 0;
      return this.write(r.out, this.wm, r.state, now);
    });
  }

  private armSuppressTimer(): void {
    if (!this.running || !this.o.suppress) return;
    if (this.supTimer) clearTimeout(this.supTimer);
    this.supTimer = null;
    const due = nextDue(this.sup, this.o.suppress);
    if (due === null) return;
    const wait = Math.min(Math.max(due - this.now() + 5, 10), 2 ** 31 - 1);
    this.supTimer = setTimeout(() => {
      this.supTimer = null;
      this.flushSuppressed().catch((e) => this.o.logger?.warn(`outbox: suppression flush failed: ${(e as Error).message}`));
    }, wait);
    this.supTimer.unref();
  }

  private kick(sink: string): void {
    const l = this.loops.get(sink);
    if (!l) return;
    l.pending = true;
    const w = l.wake;
    l.wake = null;
    w?.();
  }

  /** Start one delivery loop per sink. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    for (const l of this.loops.values()) {
      l.sink.start?.();
      l.done = this.loop(l);
    }
    this.statusTimer = setInterval(() => void this.saveStatus(), 1000);
    this.statusTimer.unref();
    this.armSuppressTimer();
    this.maybeSweep(); // events left by a crash between a removal and its sweep
  }

  /** Stop the loops; in-flight deliveries finish or time out first. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    for (const s of this.loops.keys()) this.kick(s);
    await Promise.all([...this.loops.values()].map((l) => l.done));
    this.running = false;
    if (this.supTimer) clearTimeout(this.supTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.supTimer = this.statusTimer = null;
    await this.lock;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    await this.saveStatus();
  }

  private async saveStatus(): Promise<void> {
    const ops = [];
    for (const [name, l] of this.loops) {
      if (!l.dirty) continue;
      l.dirty = false;
      ops.push({ type: 'put' as const, key: `s!${name}`, value: JSON.stringify(l.st) });
    }
    if (ops.length && this.db.status === 'open') {
      try {
        await this.db.batch(ops);
      } catch (e) {
        this.storageFailed(e); /* otherwise: status is advisory */
      }
    }
  }

  private sleep(l: Loop, ms: number): Promise<void> {
    if (l.pending || this.stopping) {
      l.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        l.wake = null;
        resolve();
      }, ms);
      l.wake = () => {
        clearTimeout(t);
        l.pending = false;
        resolve();
      };
    });
  }

  private dels: string[] = [];
  private delsDone: Promise<void> | null = null;

  /** Remove a delivered entry; removals of one turn of the event loop share one (unsynced) batch. */
  private remove(k: string, sink: string): Promise<void> {
    this.dels.push(k);
    this.delsDone ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        const keys = this.dels;
        this.dels = [];
        this.delsDone = null;
        this.db
          .batch(keys.map((key) => ({ type: 'del' as const, key })))
          .catch((e: Error) => {
            this.storageFailed(e);
            if (this.db.status === 'open') this.o.logger?.warn(`outbox ${sink}: removing delivered entries failed: ${e.message}`);
          })
          .finally(() => {
            resolve();
            this.maybeSweep();
          });
      }),
    );
    return this.delsDone;
  }

  private swept = 0;
  private sweepAt = 0;
  private sweeping: Promise<void> | null = null;

  private sweepTimer: NodeJS.Timeout | null = null;

  /** Sweep now, or once the last sweep is 1 s old (at most one sweep a second, and one after the last removal). */
  private maybeSweep(): void {
    if (this.stopping || this.sweepTimer) return;
    const wait = this.sweepAt + 1000 - this.now();
    if (this.sweeping || wait > 0) {
      this.sweepTimer = setTimeout(() => {
        this.sweepTimer = null;
        this.maybeSweep();
      }, Math.max(wait, 50));
      this.sweepTimer.unref();
      return;
    }
    this.sweeping = this.sweep()
      .catch((e: Error) => {
        this.storageFailed(e);
        if (this.db.status === 'open') this.o.logger?.warn(`outbox: removing delivered events failed: ${e.message}`);
      })
      .finally(() => {
        this.sweeping = null;
      });
  }

  /**
   * Delete the events no queue refers to any more: every queue is in n order
   * and new entries get n ≥ this.n, so the events below the lowest queue head
   * (below this.n when every queue is empty) are unreferenced.
   */
  private async sweep(): Promise<void> {
    this.sweepAt = this.now();
    let min = this.n;
    for (const name of new Set([...this.loops.keys(), ...this.backlog.keys()])) {
      const p = qPrefix(name);
      for await (const k of this.db.keys({ gt: p, lt: `${p}~`, limit: 1 })) min = Math.min(min, parseInt(k.slice(p.length), 16));
    }
    if (min <= this.swept) return;
    await this.db.clear({ gte: E, lt: eKey(min) });
    this.swept = min;
  }

  /** Up to `limit` queue entries of `sink` after key `after` (default: from the head). */
  private async entries(sink: string, limit: number, after?: string): Promise<[string, QItem][]> {
    const out: [string, QItem][] = [];
    const p = qPrefix(sink);
    for await (const [k, v] of this.db.iterator({ gt: after ?? p, lt: `${p}~`, limit })) out.push([k, JSON.parse(v) as QItem]);
    return out;
  }

  /**
   * Up to `limit` queued deliveries of `sink` after key `after`, with their
   * events. An entry whose event is missing (cannot happen unless the
   * database was edited) is logged and dropped: there is nothing to send.
   */
  private async head(sink: string, limit: number, after?: string): Promise<Pending[]> {
    const items = await this.entries(sink, limit, after);
    const p = qPrefix(sink);
    const refs = items.filter(([, it]) => it.e === undefined).map(([k]) => `${E}${k.slice(p.length)}`);
    const evs = refs.length ? await this.db.getMany(refs) : [];
    const out: Pending[] = [];
    let r = 0;
    for (const [k, it] of items) {
      if (it.e !== undefined) {
        out.push({ key: k, it, ev: it.e });
        continue;
      }
      const raw = evs[r++];
      if (raw === undefined) {
        this.o.logger?.warn(`outbox ${sink}: ${k} (${it.k}): its event is missing from the outbox; dropped`);
        this.backlog.set(sink, (this.backlog.get(sink) ?? 0) - 1);
        await this.db.del(k).catch((e) => this.storageFailed(e));
        continue;
      }
      out.push({ key: k, it, ev: JSON.parse(raw) as SinkEvent });
    }
    return out;
  }

  private backoff(failures: number): number {
    const r = this.o.retry ?? { min_ms: 1000, max_ms: 300_000 };
    const base = Math.min(r.max_ms, r.min_ms * 2 ** Math.min(failures - 1, 30));
    return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
  }

  /**
   * One sink's delivery loop: a sliding window of up to `concurrency`
   * deliveries in flight, taken in queue order (a cursor past the last one
   * started). A failure sets the sink's backoff: the loop lets the window
   * drain, waits, and starts again from the head of the queue (the failed
   * deliveries are still there, with their attempt counts raised).
   */
  private async loop(l: Loop): Promise<void> {
    const name = l.sink.name;
    const inflight = new Set<Promise<void>>();
    let cursor: string | undefined;
    let failedRound = false;
    const settle = async ({ key: k, it, ev }: Pending, err: string | null) => {
      const nowIso = new Date(this.now()).toISOString();
      l.dirty = true;
      if (err === null) {
        if (l.failures) {
          this.o.logger?.info?.(`sink ${name}: delivering again after ${l.failures} failed rounds`);
          l.failures = 0;
          l.retryAt = 0;
        }
        l.st.delivered++;
        l.st.last_success = nowIso;
        this.backlog.set(name, (this.backlog.get(name) ?? 0) - 1);
        await this.remove(k, name);
        this.emit('delivered', { sink: name, key: it.k, event: ev, latency_ms: this.now() - it.t, attempts: it.a + 1 } satisfies DeliveredInfo);
      } else {
        failedRound = true;
        l.st.failed_attempts++;
        l.st.last_error = `${it.k}: ${err}`;
        l.st.last_error_at = nowIso;
        try {
          await this.db.put(k, JSON.stringify({ ...it, a: it.a + 1 }));
        } catch (e) {
          this.storageFailed(e); /* otherwise: the attempt count is advisory */
        }
        this.emit('failed', { sink: name, key: it.k, error: err, attempts: it.a + 1 });
      }
    };
    const start = (d: Pending) => {
      const p: Promise<void> = this.deliverOne(l, d)
        .then((err) => settle(d, err))
        .finally(() => {
          inflight.delete(p);
          this.kick(name);
        });
      inflight.add(p);
    };
    while (!this.stopping) {
      if (failedRound && !inflight.size) {
        // the window has drained after a failure: back off, then retry from the head
        failedRound = false;
        cursor = undefined;
        l.failures++;
        l.retryAt = this.now() + this.backoff(l.failures);
        if (l.failures === 1 || l.failures % 10 === 0) {
          this.o.logger?.warn(`sink ${name}: delivery failed (${l.failures} in a row), retrying in ${l.retryAt - this.now()} ms: ${l.st.last_error}`);
        }
      }
      const wait = l.retryAt - this.now();
      if (wait > 0 && !inflight.size) {
        l.pending = false;
        await this.sleep(l, wait);
        continue;
      }
      l.pending = false;
      let started = 0;
      const room = Math.max(1, l.sink.concurrency) - inflight.size;
      if (room > 0 && wait <= 0 && !failedRound) {
        let items: Pending[] = [];
        try {
          items = await this.head(name, room, cursor);
        } catch (e) {
          if (this.stopping) break;
          this.o.logger?.warn(`outbox ${name}: reading the queue failed: ${(e as Error).message}`);
          await this.sleep(l, 1000);
          continue;
        }
        for (const d of items) {
          cursor = d.key;
          start(d);
          started++;
        }
      }
      if (!started) {
        if (!inflight.size && !failedRound) cursor = undefined; // idle: next time from the head
        await this.sleep(l, 5000); // woken when a delivery settles or new entries arrive
      }
    }
    await Promise.all(inflight);
  }

  /** One delivery, bounded by the sink's timeout: null on success, else the error text. */
  private async deliverOne(l: Loop, { it, ev }: Pending): Promise<string | null> {
    const ac = new AbortController();
    const ms = l.sink.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => {
        const e = new Error(`timed out after ${ms} ms`);
        ac.abort(e);
        rej(e);
      }, ms);
    });
    try {
      const d: Delivery = { key: it.k, event: ev, attempts: it.a, enqueued: it.t };
      await Promise.race([l.sink.send(d, ac.signal), timeout]);
      return null;
    } catch (e) {
      return (e as Error)?.message ?? String(e);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deliveries waiting for `sink` (all sinks when omitted). */
  pending(sink?: string): number {
    if (sink !== undefined) return this.backlog.get(sink) ?? 0;
    let n = 0;
    for (const v of this.backlog.values()) n += v;
    return n;
  }

  /** Resolve when every configured sink's queue is empty (or reject after timeoutMs). */
  async drained(timeoutMs = 60_000, pollMs = 20): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      let n = 0;
      for (const s of this.loops.keys()) n += this.backlog.get(s) ?? 0;
      if (n === 0) return;
      if (Date.now() > end) throw new Error(`outbox not drained after ${timeoutMs} ms (${n} pending)`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Per-sink status for `raslog status`: backlog, last success, last error. */
  async status(): Promise<SinkStatus[]> {
    const out: SinkStatus[] = [];
    const names = new Set<string>([...this.loops.keys(), ...this.backlog.keys()]);
    for (const name of names) {
      const l = this.loops.get(name);
      let st = l?.st;
      if (!st) {
        const raw = await this.db.get(`s!${name}`);
        st = raw ? (JSON.parse(raw) as PersistedStatus) : undefined;
      }
      const first = await this.entries(name, 1);
      out.push({
        sink: name,
        kind: l?.sink.kind ?? null,
        configured: !!l,
        backlog: this.backlog.get(name) ?? 0,
        delivered: st?.delivered ?? 0,
        failed_attempts: st?.failed_attempts ?? 0,
        consecutive_failures: l?.failures ?? 0,
        last_success: st?.last_success ?? null,
        last_error: st?.last_error ?? null,
        last_error_at: st?.last_error_at ?? null,
        oldest: first.length ? new Date(first[0]![1].t).toISOString() : null,
        next_attempt: l && l.retryAt > this.now() ? new Date(l.retryAt).toISOString() : null,
      });
    }
    return out;
  }
}

/**
 * A coredump record next to its process's death (adjacent seq, same pid or
 * tgid, same region) is folded into the death's message as `core`, and not
 * sent on its own. Unpaired coredumps are sent as they are.
 */
export function pairCoredumps(events: SinkEvent[]): SinkEvent[] {
  const deaths = new Map<string, number>();
  const idx = (ev: SinkEvent, seq: number) => `${String(ev.region_id)}:${seq}`;
  events.forEach((ev, i) => {
    if (ev.type === 'process_death' && typeof ev.seq === 'number') deaths.set(idx(ev, ev.seq), i);
  });
  const out: SinkEvent[] = events.slice();
  const drop = new Set<number>();
  events.forEach((ev, i) => {
    if (ev.type !== 'coredump' || typeof ev.seq !== 'number') return;
    for (const s of [ev.seq - 1, ev.seq + 1]) {
      const j = deaths.get(idx(ev, s));
      if (j === undefined) continue;
      const d = events[j]!;
      if (d.pid !== ev.pid && d.tgid !== ev.tgid) continue;
      out[j] = {
        ...out[j]!,
        core: { dumped: ev.dumped, reason: ev.reason, error: ev.error, limit: ev.limit, written: ev.written, target: ev.target, key: eventKey(ev) },
      };
      drop.add(i);
      break;
    }
  });
  return out.filter((_, i) => !drop.has(i));
}
