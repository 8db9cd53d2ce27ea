/*
 * kmod collector: replay everything the region holds into the store, then
 * follow it. /dev/raslog supports poll(2) (POLLIN when records were committed
 * since this fd last read from offset 0), but Node has no poll(2) on
 * character devices, so the collector checks the device every `intervalMs`
 * (default 100 ms) and also whenever fs.watch reports a change (that works
 * for image files; a char device never reports one). A check reads only the
 * first 4 KiB: every record reservation bumps its lane's `writes` counter in
 * the header, so an unchanged header means nothing was committed since (the
 * header and lane counters are rewritten by a module load or a reformat too).
 * Only when it changed, and once more an interval later (a reserved record
 * is committed right after its counter moved), is the whole region read and
 * decoded — under qemu TCG the full
 * read + decode every 200 ms cost ~45% of a guest CPU while idle. Ingestion is
 * exactly-once (src/store/ingest.ts), so re-reading is always safe.
 *
 * A hole in the sequence within the current boot may be a record still being
 * committed on another CPU: it becomes a `records_lost` event only once it
 * has persisted for `holeSettleMs` (default 1 s); holes before the current
 * region boot are final at once.
 *
 * A missing device is a warning in status (module not loaded); the collector
 * keeps looking for it every `missingIntervalMs` (5 s).
 */

import * as crypto from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { scanRegion, type RegionScan } from '../region/decode.ts';
import { RegionError } from '../region/errors.ts';
import { scanRegionImage } from '../region/source.ts';
import { ingestRegion } from '../store/ingest.ts';
import type { Store } from '../store/store.ts';
import { nullLogger, type Collector, type CollectorStatus, type Logger } from './types.ts';

/** The region header with the lane counters (docs/region-format.md: lane_ctr at 0x100). */
const HEADER_CHECK_BYTES = 4096;

/** region_size from the header (u64 at 0x10) when plausible, else null (a damaged header). */
function regionSize(head: Buffer): number | null {
  if (head.length < 0x18) return null;
  const n = Number(head.readBigUInt64LE(0x10));
  return n >= head.length && n <= 1 << 30 ? n : null;
}

/** The first `size` bytes in one buffer, or (size unknown) everything the file holds. */
async function readAll(fh: FileHandle, size: number | null): Promise<Buffer> {
  let buf = Buffer.allocUnsafe(size ?? 1 << 20);
  let pos = 0;
  for (;;) {
    if (pos === buf.length) {
      if (size !== null) return buf;
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, pos, buf.length - pos, pos);
    if (bytesRead === 0) return buf.subarray(0, pos);
    pos += bytesRead;
  }
}

/** Chunk of the region with its own digest: what changed is found without a copy of the region. */
const DIGEST_CHUNK = 64 * 1024;

// one-shot hash (Node >= 20.12), else createHash
const digestOf: (b: Buffer) => string =
  typeof crypto.hash === 'function' ? (b) => crypto.hash('sha1', b, 'hex') : (b) => crypto.createHash('sha1').update(b).digest('hex');

/**
 * Read the first `size` bytes into `into` (reused from poll to poll) and digest each chunk.
 * A file shorter than `size` comes back shorter, as readAll() returns it.
 */
async function readDigested(fh: FileHandle, into: Buffer): Promise<{ raw: Buffer; digests: string[] }> {
  const digests: string[] = [];
  let pos = 0;
  while (pos < into.length) {
    const end = Math.min(pos + DIGEST_CHUNK, into.length);
    let at = pos;
    while (at < end) {
      const { bytesRead } = await fh.read(into, at, end - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at > pos) digests.push(digestOf(into.subarray(pos, at)));
    if (at < end) return { raw: into.subarray(0, at), digests };
    pos = end;
  }
  return { raw: into, digests };
}

function sameDigests(a: string[] | null, b: string[]): boolean {
  return a !== null && a.length === b.length && a.every((d, i) => d === b[i]);
}

export interface KmodOptions {
  store: Store;
  /** /dev/raslog, or a file holding the region (tests, a RAM dump). */
  path?: string;
  /** Offset of the region within a file (device: 0). */
  offset?: number;
  intervalMs?: number;
  missingIntervalMs?: number;
  holeSettleMs?: number;
  /** Use fs.watch as an extra trigger (default true). */
  watch?: boolean;
  logger?: Logger;
}

export class KmodCollector implements Collector {
  readonly name = 'kmod';
  private o: Required<Omit<KmodOptions, 'logger'>> & { logger: Logger };
  private timer: NodeJS.Timeout | null = null;
  private watcher: FSWatcher | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /**
   * Digests (per 64 KiB) of the region last stored: a re-read that matches them is skipped
   * without keeping a copy of the region. The read buffer is reused from poll to poll (under a
   * storm a fresh region-sized buffer per 100 ms poll, 10 MiB/s of garbage for a 1 MiB region,
   * grew raslogd's RSS) and let go once the device is settled: an idle raslogd holds none.
   */
  private stored: string[] | null = null;
  private readBuf: Buffer | null = null;
  /** Header of the last region read and stored; settled: it equalled the one before. */
  private lastHead: Buffer | null = null;
  private headSettled = false;
  private holes = new Map<string, number>();
  private st: CollectorStatus = { name: 'kmod', state: 'starting', message: 'not started' };
  private stopped = false;
  private counters = { reads: 0, decodes: 0, stored: 0, lost: 0 };
  private regionId: string | null = null;
  private lastSeq = 0;
  private live = false;
  private seenOnce = false;

  constructor(opts: KmodOptions) {
    this.o = {
      path: '/dev/raslog',
      offset: 0,
      intervalMs: 100,
      missingIntervalMs: 5000,
      holeSettleMs: 1000,
      watch: true,
      logger: nullLogger,
      ...opts,
    } as KmodCollector['o'];
  }

  status(): CollectorStatus {
    return {
      ...this.st,
      source: this.o.path,
      region_id: this.regionId,
      last_seq: this.lastSeq,
      ...this.counters,
    };
  }

  /** Replay the region now (resolves when stored), then keep following it. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
    await this.running?.catch(() => undefined);
    this.st = { name: 'kmod', state: 'stopped', message: 'stopped' };
  }

  private schedule(): void {
    if (this.stopped) return;
    const ms = this.st.state === 'warning' && !this.seenOnce ? this.o.missingIntervalMs : this.o.intervalMs;
    this.timer = setTimeout(() => {
      this.poll().finally(() => this.schedule());
    }, ms);
    this.timer.unref?.();
  }

  private ensureWatch(): void {
    if (!this.o.watch || this.watcher || this.stopped) return;
    try {
      this.watcher = watch(this.o.path, { persistent: false }, () => void this.poll());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // not supported for this path: the interval does the work
    }
  }

  /** Read and ingest once; concurrent calls coalesce. */
  poll(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pollOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The region's header and, unless the device's header has not changed over a whole
   * interval (nothing new was committed), the whole region.
   */
  private async readRaw(): Promise<{ head: Buffer; settled: boolean; raw: Buffer | null; digests: string[] }> {
    const fh = await open(this.o.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(HEADER_CHECK_BYTES);
      const { bytesRead: headLen } = await fh.read(buf, 0, buf.length, 0);
      const head = buf.subarray(0, headLen);
      // A reservation bumps its lane counter just before the record is committed: the header
      // must have stayed the same over one whole interval (settled) before reads are skipped.
      // Only the kernel's device keeps that promise; a file may be rewritten at will.
      const settled = this.live && this.lastHead !== null && head.equals(this.lastHead);
      if (settled && this.headSettled && this.holes.size === 0) {
        this.readBuf = null; // idle: nothing to read until the header moves
        return { head, settled, raw: null, digests: [] };
      }
      const size = regionSize(head);
      if (size === null) {
        const raw = await readAll(fh, null); // a damaged header: read what there is
        return { head, settled, raw, digests: [] };
      }
      if (this.readBuf?.length !== size) this.readBuf = Buffer.allocUnsafe(size);
      const { raw, digests } = await readDigested(fh, this.readBuf);
      return { head, settled, raw, digests };
    } finally {
      await fh.close();
    }
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped) return;
    let report: RegionScan;
    let headSeen: { head: Buffer; settled: boolean } | null = null;
    let digests: string[] | null = null;
    try {
      if (this.o.offset) {
        this.counters.reads++;
        report = await scanRegionImage(this.o.path, this.o.offset);
        this.counters.decodes++;
      } else {
        const s = await stat(this.o.path);
        this.live = s.isCharacterDevice();
        const { head, settled, raw, digests: d } = await this.readRaw();
        this.counters.reads++;
        if (!raw) return;
        headSeen = { head, settled };
        if (d.length && sameDigests(this.stored, d) && this.holes.size === 0) {
          [this.lastHead, this.headSettled] = [head, settled];
          return;
        }
        digests = d.length ? d : null;
        report = scanRegion(raw, { source: this.o.path, offset: 0, sizeKnown: true });
        this.counters.decodes++;
      }
      this.ensureWatch();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const msg =
        err.code === 'ENOENT'
          ? `${this.o.path} not found (raslog module not loaded?)`
          : e instanceof RegionError
            ? e.message
            : `cannot read ${this.o.path}: ${err.message}`;
      if (this.st.message !== msg) this.o.logger.warn(`kmod: ${msg}`);
      this.st = { name: 'kmod', state: 'warning', message: msg };
      this.stored = null;
      this.readBuf = null;
      this.lastHead = null;
      return;
    }
    this.seenOnce = true;
    const regionBootNow = report.region.boot_count;
    const now = Date.now();
    const seenHoles = new Set<string>();
    let res: Awaited<ReturnType<typeof ingestRegion>>;
    try {
      res = await this.ingest(report, regionBootNow, now, seenHoles);
    } catch (e) {
      // Nothing is lost: the records stay in the region and the next successful replay stores
      // them once; the stored digests are forgotten so that the next poll replays even an
      // unchanged region. (A failed write also stops the store's writes: raslogd exits for a restart.)
      const msg = `cannot store records: ${(e as Error).message}`;
      if (this.st.message !== msg) this.o.logger.error(`kmod: ${msg}`);
      this.st = { name: 'kmod', state: 'warning', message: msg };
      this.stored = null;
      this.lastHead = null;
      return;
    }
    this.stored = digests;
    for (const k of this.holes.keys()) if (!seenHoles.has(k)) this.holes.delete(k);
    if (headSeen) [this.lastHead, this.headSettled] = [Buffer.from(headSeen.head), headSeen.settled]; // stored: skippable
    this.regionId = report.region.region_id;
    this.lastSeq = res.last_seq;
    this.counters.stored += res.stored;
    this.counters.lost += res.lost;
    if (res.stored || res.lost) {
      this.o.logger.info(`kmod: stored ${res.stored} record(s)${res.lost ? `, ${res.lost} lost` : ''}`, {
        region_id: res.region_id,
        last_seq: res.last_seq,
      });
    }
    this.st = {
      name: 'kmod',
      state: 'ok',
      message: `following ${this.o.path} (region ${report.region.region_id}, boot ${regionBootNow})`,
    };
  }

  private ingest(report: RegionScan, regionBootNow: number, now: number, seenHoles: Set<string>): ReturnType<typeof ingestRegion> {
    return ingestRegion(this.o.store, report, {
      // batches of 1,000: a 5,000-event batch holds ~25 MB (events, JSON, the native write batch)
      // at once, against raslogd's RSS goal of 80 MB; an fsync per 1,000 events costs little
      batchSize: 1000,
      holeIsFinal: (after, before, bootAfter) => {
        if (!this.live) return true;
        if (bootAfter < regionBootNow) return true;
        const k = `${after}-${before}`;
        seenHoles.add(k);
        const first = this.holes.get(k);
        if (first === undefined) {
          this.holes.set(k, now);
          return false;
        }
        return now - first >= this.o.holeSettleMs;
      },
    });
  }
}
