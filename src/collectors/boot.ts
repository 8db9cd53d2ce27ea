/*
 * boot collector: numbers the current boot and files a `boot` event; then
 * classifies how the previous boot ended and, when it left no shutdown,
 * panic or dump-button record, files an `unexpected_shutdown` event under
 * that previous boot.
 *
 * Numbering (src/store/boots.ts): the module's boot counter (read from the
 * region header of /dev/raslog) when the module is loaded, else kernel
 * boot_id bookkeeping: a boot_id not seen before is a new boot, numbered
 * after the highest known one. A daemon restart within a boot (same
 * boot_id) files nothing new.
 *
 * Two steps so that the daemon can replay the region in between: init()
 * numbers the boot, finish() (after the kmod replay has stored the previous
 * boot's last records) classifies the previous boot. Without the kmod
 * collector, finish() runs right after init().
 */

import { readFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { systemFacts, type SystemFacts } from './sysfacts.ts';
import { readRegionIdentity, scanRegionDevice, scanRegionImage } from '../region/source.ts';
import type { RegionScan } from '../region/decode.ts';
import { classifyEnding, newBoot, numberCurrentBoot, type BootEnding } from '../store/boots.ts';
import { regionState, regionStateFor, regionStateKey } from '../store/ingest.ts';
import type { Store } from '../store/store.ts';
import type { NewEvent } from '../store/types.ts';
import { nowNs, nullLogger, type Collector, type CollectorStatus, type Logger } from './types.ts';

export interface BootOptions {
  store: Store;
  bootIdPath?: string;
  uptimePath?: string;
  /** Region to read the module's boot counter from ('' = none). */
  regionPath?: string;
  regionOffset?: number;
  logger?: Logger;
  /** For tests: the current time. */
  now?: () => bigint;
  /** OS and hardware facts for the boot event (default: systeminformation, src/collectors/sysfacts.ts). */
  facts?: () => Promise<SystemFacts | null>;
}

export class BootCollector implements Collector {
  readonly name = 'boot';
  private o: Required<Omit<BootOptions, 'logger' | 'now' | 'facts'>> & { logger: Logger; now: () => bigint; facts: () => Promise<SystemFacts | null> };
  private current: number | null = null;
  private isNew = false;
  private bootId: string | null = null;
  private bootNs: bigint = 0n;
  private regionInfo: { id: string; boot: number } | null = null;
  private st: CollectorStatus = { name: 'boot', state: 'starting', message: 'not started' };
  private previous: { boot: number; ended: BootEnding } | null = null;

  constructor(opts: BootOptions) {
    this.o = {
      bootIdPath: '/proc/sys/kernel/random/boot_id',
      uptimePath: '/proc/uptime',
      regionPath: '/dev/raslog',
      regionOffset: 0,
      logger: nullLogger,
      now: nowNs,
      facts: systemFacts,
      ...opts,
    } as BootCollector['o'];
  }

  currentBoot(): number | null {
    return this.current;
  }

  status(): CollectorStatus {
    return { ...this.st, boot: this.current, boot_id: this.bootId, previous: this.previous };
  }

  async start(): Promise<void> {
    await this.init();
    await this.finish();
  }

  async stop(): Promise<void> {
    this.st = { ...this.st, state: 'stopped', message: 'stopped' };
  }

  /** Number the current boot and record it in its boot row. Returns the boot number. */
  async init(): Promise<number> {
    const store = this.o.store;
    const warnings: string[] = [];
    try {
      this.bootId = (await readFile(this.o.bootIdPath, 'utf8')).trim() || null;
    } catch (e) {
      warnings.push(`cannot read ${this.o.bootIdPath}: ${(e as Error).message}`);
    }
    const now = this.o.now();
    try {
      const up = parseFloat((await readFile(this.o.uptimePath, 'utf8')).split(' ')[0]!);
      this.bootNs = now - BigInt(Math.round(up * 1e9));
    } catch {
      this.bootNs = now;
    }
    // A region the store knows needs only its header (id, boot counter); a new one (or a damaged
    // header) is scanned for its oldest boot. The kmod collector scans it anyway right after.
    let report: { region: { region_id: string; boot_count: number } } | null = null;
    let scan: RegionScan | null = null;
    if (this.o.regionPath) {
      const path = this.o.regionPath;
      const offset = this.o.regionOffset;
      try {
        const id = await readRegionIdentity(path, offset);
        if (id && (await regionState(store, id.region_id))) report = { region: id };
        else report = scan = offset ? await scanRegionImage(path, offset) : await scanRegionDevice(path);
      } catch (e) {
        warnings.push(`no module boot counter (${(e as Error).message}); numbering by boot_id`);
      }
    }
    return store.exclusive(async () => {
      const known = this.bootId ? await store.getMeta<number>(`bootid\x00${this.bootId}`) : undefined;
      const region = report ? ((await regionState(store, report.region.region_id)) ?? (scan ? await regionStateFor(store, scan) : null)) : null;
      const r = numberCurrentBoot({
        bootId: this.bootId,
        knownBootId: known,
        maxBoot: store.maxBoot(),
        region,
        regionBoot: report ? report.region.boot_count : null,
      });
      this.current = r.boot;
      this.isNew = !r.reused;
      this.regionInfo = report ? { id: report.region.region_id, boot: report.region.boot_count } : null;
      const row = store.boot(r.boot) ?? newBoot(r.boot);
      if (this.bootId) row.boot_id = this.bootId;
      if (report) {
        row.region_id = report.region.region_id;
        row.region_boot = report.region.boot_count;
      }
      const meta: Record<string, unknown> = {};
      if (this.bootId) meta[`bootid\x00${this.bootId}`] = r.boot;
      if (r.region) meta[regionStateKey(r.region.region_id)] = r.region;
      meta.current_boot = r.boot;
      await store.appendNow([], { boots: [row], meta });
      this.st = {
        name: 'boot',
        state: warnings.length ? 'warning' : 'ok',
        message: warnings.length ? warnings.join('; ') : `boot ${r.boot}${r.reused ? ' (daemon restarted)' : ''}`,
      };
      if (warnings.length) for (const w of warnings) this.o.logger.warn(`boot: ${w}`);
      return r.boot;
    });
  }

  /** Classify the previous boot and file the boot event (once per boot). */
  async finish(): Promise<void> {
    if (this.current === null) await this.init();
    const store = this.o.store;
    const cur = this.current!;
    const past = store.boots().filter((b) => b.boot < cur);
    const prev = past[past.length - 1];
    let ended: BootEnding | null = null;
    const events: NewEvent[] = [];
    // every past boot that ended without a record (normally just the previous one; after a
    // first replay of an old region, all of them) gets its unexpected_shutdown, once
    for (const b of past) {
      let e = classifyEnding(b, cur);
      // a boot that ran without the module cannot leave records: its end is unknown, not unexpected
      if (e === 'unexpected' && !b.region_id) e = 'unknown';
      if (b === prev) {
        ended = e;
        this.previous = { boot: b.boot, ended: e };
      }
      if (e !== 'unexpected' || b.counts.unexpected_shutdown) continue;
      events.push({
        type: 'unexpected_shutdown',
        boot: b.boot,
        time_ns: b.last_ns ?? this.bootNs.toString(),
        source: 'boot',
        detected_in_boot: cur,
        last_event: b.last_ns,
        dedup: `unexpected:${b.boot}`,
      });
    }
    const facts = await this.o.facts();
    events.push({
      type: 'boot',
      boot: cur,
      time_ns: this.bootNs.toString(),
      source: 'boot',
      boot_id: this.bootId,
      kernel: release(),
      hostname: hostname(),
      system: facts,
      region_id: this.regionInfo?.id ?? null,
      region_boot: this.regionInfo?.boot ?? null,
      previous: prev ? { boot: prev.boot, ended } : null,
      dedup: `boot:${cur}`,
    });
    const stored = await store.append(events);
    for (const e of stored) {
      if (e.type === 'unexpected_shutdown') this.o.logger.warn(`boot ${e.boot} ended unexpectedly`);
      if (e.type === 'boot') this.o.logger.info(`boot ${cur} recorded${prev ? `; previous boot ${prev.boot}: ${ended}` : ''}`);
    }
    if (!this.isNew && !stored.length) this.o.logger.info(`boot ${cur}: daemon restarted within the same boot`);
  }
}
