/*
 * The store: a LevelDB database of events with a hash chain, exactly-once
 * keys and per-boot rows. One writer (raslogd, or the CLI when no daemon
 * runs); every change is one atomic batch: the events, their index keys,
 * their exactly-once keys, the chain head, the boot rows and any collector
 * metadata (e.g. the last region seq) commit together or not at all.
 */

import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { Level, type ChainedBatch } from 'level';
import { nsStringToIso } from '../region/decode.ts';
import { accountEvent, newBoot, type BootInfo } from './boots.ts';
import { canonicalJson, hashCanonical } from './chain.ts';
import { StoreError } from './errors.ts';
import {
  BOOT_PREFIX,
  EVENT_PREFIX,
  HIGH,
  bootKey,
  dedupKey,
  eventKey,
  hex16,
  indexKeysFor,
  metaKey,
} from './keys.ts';
import { dbDir } from './paths.ts';
import { GENESIS, type ChainHead, type EventRow, type NewEvent, type StoredEvent } from './types.ts';

export interface OpenOptions {
  /** Create the database when missing (the daemon); the CLI opens existing stores only. */
  create?: boolean;
  /** fsync every batch (default true). */
  sync?: boolean;
  /** LevelDB memtable size (default 8 MiB; bulk loads go faster with more, at that cost in RSS). */
  writeBufferSize?: number;
  /** LevelDB block cache (default 8 MiB, classic-level's). */
  cacheSize?: number;
}

export type RawOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export interface AppendOptions {
  /** Metadata rows written in the same batch (`m\0<name>` = JSON). */
  meta?: Record<string, unknown>;
  /** Extra raw operations in the same batch (retention deletes). */
  ops?: RawOp[];
  /** Boot rows changed by the caller (accounted deletions), written in the same batch. */
  boots?: BootInfo[];
  /**
   * The caller has established that none of the events' exactly-once keys is
   * stored (ingestRegion: every record lies above the region's committed
   * high-water mark and no key above the mark exists). The reads before the
   * batch are skipped; the keys are still written, and a key repeated within
   * the call is still stored once. Leave unset unless that is certain.
   */
  keysUnseen?: boolean;
}

/** A write batch prepared by Store.prepare(), not written yet. */
export interface PreparedAppend {
  batch: ChainedBatch<Level<string, string>, string, string>;
  stored: StoredEvent[];
  /** Chain head after this batch. */
  head: ChainHead;
  /** Boot rows this batch writes. */
  touched: Map<number, BootInfo>;
  /** Boot rows as they stand after this batch (those of the batch it was prepared after, then its own). */
  boots: Map<number, BootInfo>;
}

/** LevelDB's message for a failed operation ("IO error: <file>: No space left on device"). */
export function ioMessage(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string } };
  return (err?.cause?.message ?? err?.message ?? String(e)).split('\n')[0]!;
}

function lockHolderError(dir: string): StoreError {
  return new StoreError('locked', `store ${dir} is locked by another process`);
}

export class Store extends EventEmitter {
  readonly dataDir: string;
  readonly db: Level<string, string>;
  private headC: ChainHead = { sseq: 0, hash: GENESIS };
  private bootsC = new Map<number, BootInfo>();
  private queue: Promise<unknown> = Promise.resolve();
  private sync: boolean;
  private closed = false;
  /**
   * The first failed write. LevelDB may have left part of it in its log, and the
   * next recovery drops what follows a torn record: writes acknowledged after a
   * failure could vanish at the next open. So after one failed write this
   * handle writes nothing more; the store must be closed and opened again
   * (raslogd exits for systemd to restart it). Emitted once as 'write-failed'.
   */
  private writeError: Error | null = null;

  private constructor(dataDir: string, db: Level<string, string>, sync: boolean) {
    super();
    this.dataDir = dataDir;
    this.db = db;
    this.sync = sync;
  }

  static async open(dataDir: string, opts: OpenOptions = {}): Promise<Store> {
    const dir = dbDir(dataDir);
    if (!opts.create) {
      if (!existsSync(dataDir)) throw new StoreError('missing', `data dir ${dataDir} does not exist`);
      if (!existsSync(`${dir}/CURRENT`)) throw new StoreError('missing', `no raslog store in ${dataDir}`);
    } else {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new StoreError('io', `cannot create ${dir}: ${(e as Error).message}`);
      }
    }
    const db = new Level<string, string>(dir, {
      createIfMissing: !!opts.create,
      writeBufferSize: opts.writeBufferSize ?? 8 * 1024 * 1024,
      ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
    });
    try {
      await db.open();
    } catch (e) {
      const err = e as { code?: string; cause?: { code?: string; message?: string }; message?: string };
      if (err.cause?.code === 'LEVEL_LOCKED' || err.code === 'LEVEL_LOCKED') throw lockHolderError(dir);
      // corrupt: opening again will not help; io (a full disk…): it may
      const corrupt = err.cause?.code === 'LEVEL_CORRUPTION' || err.code === 'LEVEL_CORRUPTION';
      throw new StoreError(corrupt ? 'corrupt' : 'io', `cannot open store ${dir}: ${err.cause?.message ?? err.message}`);
    }
    const s = new Store(dataDir, db, opts.sync ?? true);
    await s.load();
    return s;
  }

  private async load(): Promise<void> {
    const h = await this.db.get(metaKey('head'));
    if (h) this.headC = JSON.parse(h) as ChainHead;
    // in chunks of 1000 rows per native call (for-await fetches row by row: 3-5x slower)
    const it = this.db.values({ gte: BOOT_PREFIX, lt: BOOT_PREFIX + HIGH });
    try {
      for (let vs = await it.nextv(1000); vs.length; vs = await it.nextv(1000)) {
        for (const v of vs) {
          const b = JSON.parse(v) as BootInfo;
          this.bootsC.set(b.boot, b);
        }
      }
    } finally {
      await it.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.db.close();
  }

  /** Stop writing through this handle after a failed write (see writeError); also for writers outside the store (the outbox). */
  reportWriteError(e: unknown): void {
    if (this.writeError) return;
    this.writeError = e instanceof Error ? e : new Error(String(e));
    this.emit('write-failed', this.writeError);
  }

  /** The failed write that stopped this handle's writes, if any. */
  get failedWrite(): Error | null {
    return this.writeError;
  }

  private checkWritable(): void {
    if (this.closed) throw new StoreError('io', 'store is closed');
    if (this.writeError) {
      throw new StoreError('io', `store writes stopped after a failed write (${ioMessage(this.writeError)}): reopen the store`);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Run fn with no other write in progress (writes are serialized). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  head(): ChainHead {
    return { ...this.headC };
  }

  boots(): BootInfo[] {
    return [...this.bootsC.values()].sort((a, b) => a.boot - b.boot);
  }

  boot(n: number): BootInfo | undefined {
    const b = this.bootsC.get(n);
    return b ? structuredClone(b) : undefined;
  }

  maxBoot(): number {
    let m = 0;
    for (const k of this.bootsC.keys()) if (k > m) m = k;
    return m;
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    const v = await this.db.get(metaKey(name));
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  async getRow(sseq: number): Promise<EventRow | undefined> {
    const v = await this.db.get(eventKey(sseq));
    return v === undefined ? undefined : (JSON.parse(v) as EventRow);
  }

  async getRows(sseqs: number[]): Promise<(EventRow | undefined)[]> {
    if (!sseqs.length) return [];
    const vs = await this.db.getMany(sseqs.map(eventKey));
    return vs.map((v) => (v === undefined ? undefined : (JSON.parse(v) as EventRow)));
  }

  /** sseq stored under an exactly-once key, if any. */
  async dedupLookup(key: string): Promise<number | undefined> {
    const v = await this.db.get(dedupKey(key));
    return v === undefined ? undefined : parseInt(v, 16);
  }

  /**
   * Store events, in order, skipping those whose exactly-once key is already
   * stored (or repeated in this call). Returns the events stored. The store
   * takes the event objects over: they become the stored events (sseq and
   * time are set on them, dedup cleared).
   */
  append(events: NewEvent[], opts: AppendOptions = {}): Promise<StoredEvent[]> {
    return this.exclusive(() => this.appendNow(events, opts));
  }

  /** append() for callers already inside exclusive(). */
  async appendNow(events: NewEvent[], opts: AppendOptions = {}): Promise<StoredEvent[]> {
    return this.commit(await this.prepare(events, opts));
  }

  /**
   * First half of appendNow(): chain, index and account the events into a
   * write batch, without writing it. `after`: a prepared batch not committed
   * yet, on whose chain head and boot rows this one builds (a pipelined
   * replay prepares batch n+1 while batch n is written). Batches must be
   * committed in the order they were prepared; when one fails, the caller
   * discards every batch prepared after it (discard()).
   */
  async prepare(events: NewEvent[], opts: AppendOptions = {}, after?: PreparedAppend): Promise<PreparedAppend> {
    this.checkWritable();
    // exactly-once keys, one per event (undefined: none); `present` = stored or earlier in this call
    const dkeys: (string | undefined)[] = new Array(events.length);
    const toRead: string[] = [];
    for (let i = 0; i < events.length; i++) {
      const d = events[i]!.dedup;
      if (d) toRead.push((dkeys[i] = dedupKey(d)));
    }
    const present = new Set<string>();
    if (toRead.length && !opts.keysUnseen) {
      const got = await this.db.hasMany(toRead);
      for (let i = 0; i < got.length; i++) if (got[i]) present.add(toRead[i]!);
    }
    const batch = this.db.batch();
    let { sseq, hash } = after ? after.head : this.headC;
    const stored: StoredEvent[] = [];
    const touched = new Map<number, BootInfo>();
    for (const b of opts.boots ?? []) touched.set(b.boot, structuredClone(b));
    const bootRow = (n: number): BootInfo => {
      let b = touched.get(n);
      if (!b) {
        const cur = after?.boots.get(n) ?? this.bootsC.get(n);
        b = cur ? structuredClone(cur) : newBoot(n);
        touched.set(n, b);
      }
      return b;
    };
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      const dk = dkeys[i];
      if (dk !== undefined) {
        if (present.has(dk)) continue;
        present.add(dk);
      }
      // the event object becomes the stored event (no copy): dedup is not part of it
      const e = ev as unknown as StoredEvent & { dedup?: string };
      if (dk) e.dedup = undefined;
      sseq++;
      e.sseq = sseq;
      if (typeof e.time !== 'string') e.time = nsStringToIso(ev.time_ns);
      const canon = canonicalJson(e);
      const h = hashCanonical(hash, canon);
      // the row {e, p, h} with e in its canonical form, written without a second stringify
      const s16 = hex16(sseq);
      batch.put(EVENT_PREFIX + s16, `{"e":${canon},"p":"${hash}","h":"${h}"}`);
      for (const k of indexKeysFor(e, s16)) batch.put(k, '');
      if (dk !== undefined) batch.put(dk, s16);
      accountEvent(bootRow(e.boot), e);
      hash = h;
      stored.push(e);
    }
    for (const op of opts.ops ?? []) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    if (stored.length) batch.put(metaKey('head'), JSON.stringify({ sseq, hash }));
    for (const [n, b] of touched) batch.put(bootKey(n), JSON.stringify(b));
    for (const [k, v] of Object.entries(opts.meta ?? {})) batch.put(metaKey(k), JSON.stringify(v));
    // boot rows as they stand after this batch: the earlier prepared batch's, updated by this one
    const boots = after ? new Map([...after.boots, ...touched]) : touched;
    return { batch, stored, head: { sseq, hash }, touched, boots };
  }

  /** Second half of appendNow(): write a prepared batch and make it the store's state. */
  async commit(p: PreparedAppend): Promise<StoredEvent[]> {
    if (p.batch.length === 0) {
      await p.batch.close();
      return [];
    }
    try {
      this.checkWritable();
    } catch (e) {
      await p.batch.close();
      throw e;
    }
    try {
      await p.batch.write({ sync: this.sync });
    } catch (e) {
      this.reportWriteError(e);
      throw new StoreError('io', `cannot write the store: ${ioMessage(e)}`);
    }
    this.headC = { ...p.head };
    for (const [n, b] of p.touched) this.bootsC.set(n, b);
    if (p.stored.length) this.emit('append', p.stored);
    return p.stored;
  }

  /** Drop a prepared batch that will not be committed. */
  async discard(p: PreparedAppend): Promise<void> {
    await p.batch.close(); // idempotent
  }

  /** Write a boot row (e.g. boot_id bookkeeping) and metadata, atomically. */
  putBoot(b: BootInfo, meta: Record<string, unknown> = {}): Promise<void> {
    return this.exclusive(async () => {
      await this.appendNow([], { boots: [b], meta });
    });
  }

  /** Number of stored events (excluding pruned). */
  async countEvents(): Promise<number> {
    let n = 0;
    for (const b of this.bootsC.values()) for (const c of Object.values(b.counts)) n += c;
    return n;
  }

  /** Iterate event rows in store order from sseq `from`. */
  async *rows(from = 1, to = Number.MAX_SAFE_INTEGER): AsyncGenerator<[number, string]> {
    const it = this.db.iterator({ gte: eventKey(from), lte: eventKey(to) });
    try {
      for (;;) {
        const chunk = await it.nextv(1000);
        if (!chunk.length) break;
        for (const [k, v] of chunk) yield [parseInt(k.slice(2), 16), v];
      }
    } finally {
      await it.close();
    }
  }
}

export { EVENT_PREFIX };
