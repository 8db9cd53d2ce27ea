/*
 * kmod collector: replay everything the region holds into the store, then
 * follow it. /dev/raslog supports poll(2) (POLLIN when records were committed
 * since this fd last read from offset 0), but Node has no poll(2) on
 * character devices, so the collector re-reads the device every
 * `intervalMs` (default 200 ms) and also whenever fs.watch reports a change
 * (that works for image files; a char device never reports one). Each read
 * copies the raw region (1 MiB is ~0.1 ms); it is decoded only when the bytes
 * changed. Ingestion is exactly-once (src/store/ingest.ts), so re-reading is
 * always safe.
 *
 * A hole in the sequence within the current boot may be a record still being
 * committed on another CPU: it becomes a `records_lost` event only once it
 * has persisted for `holeSettleMs` (default 1 s); holes before the current
 * region boot are final at once.
 *
 * A missing device is a warning in status (module not loaded); the collector
 * keeps looking for it every `missingIntervalMs` (5 s).
 */

import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { decodeRegion } from '../region/decode.ts';
import { RegionError } from '../region/errors.ts';
import { readRegionImage } from '../region/source.ts';
import type { RegionReport } from '../region/types.ts';
import { ingestRegion } from '../store/ingest.ts';
import type { Store } from '../store/store.ts';
import { nullLogger, type Collector, type CollectorStatus, type Logger } from './types.ts';

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
  private last: Buffer | null = null;
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
      intervalMs: 200,
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

  private async readRaw(): Promise<Buffer> {
    const fh = await open(this.o.path, 'r');
    try {
      const chunks: Buffer[] = [];
      let pos = 0;
      for (;;) {
        const b = Buffer.allocUnsafe(1 << 20);
        const { bytesRead } = await fh.read(b, 0, b.length, pos);
        if (bytesRead === 0) break;
        chunks.push(b.subarray(0, bytesRead));
        pos += bytesRead;
      }
      return Buffer.concat(chunks, pos);
    } finally {
      await fh.close();
    }
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped) return;
    let report: RegionReport;
    try {
      if (this.o.offset) {
        this.counters.reads++;
        report = await readRegionImage(this.o.path, this.o.offset);
        this.counters.decodes++;
      } else {
        const s = await stat(this.o.path);
        this.live = s.isCharacterDevice();
        const raw = await this.readRaw();
        this.counters.reads++;
        if (this.last && raw.equals(this.last) && this.holes.size === 0) return;
        report = decodeRegion(raw, { source: this.o.path, offset: 0, sizeKnown: true });
        this.counters.decodes++;
        this.last = raw;
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
      this.last = null;
      return;
    }
    this.seenOnce = true;
    const regionBootNow = report.region.boot_count;
    const now = Date.now();
    const seenHoles = new Set<string>();
    const res = await ingestRegion(this.o.store, report, {
      holeIsFinal: (after, before) => {
        if (!this.live) return true;
        const rec = report.records.find((r) => r.seq === before);
        if (rec && rec.boot < regionBootNow) return true;
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
    for (const k of this.holes.keys()) if (!seenHoles.has(k)) this.holes.delete(k);
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
}
