/*
 * pstore collector: imports the files the kernel left in /sys/fs/pstore
 * (dmesg-ramoops-N, dmesg-efi-…, console-ramoops-N, pmsg-…, *.enc.z) as
 * `pstore` events filed under the boot they came from: the boot whose time
 * span holds the file's time (pstore sets mtime to the record's time), else
 * the boot before the current one. Exactly-once by content hash; with
 * `deleteAfterImport` the file is removed once stored, which frees the
 * backend's space for the next crash.
 */

import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.ts';
import type { NewEvent } from '../store/types.ts';
import { nullLogger, type Collector, type CollectorStatus, type Logger } from './types.ts';

export interface PstoreOptions {
  store: Store;
  dir?: string;
  deleteAfterImport?: boolean;
  /** Current boot number (from the boot collector or the store). */
  currentBoot: () => number | null;
  /** Rescan period (default 5 min; 0 = only at start). */
  rescanMs?: number;
  /** Largest file content kept in the event (default 256 KiB). */
  maxBytes?: number;
  logger?: Logger;
}

function cmp(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

export class PstoreCollector implements Collector {
  readonly name = 'pstore';
  private o: Required<Omit<PstoreOptions, 'logger'>> & { logger: Logger };
  private timer: NodeJS.Timeout | null = null;
  private st: CollectorStatus = { name: 'pstore', state: 'starting', message: 'not started' };
  private imported = 0;

  constructor(opts: PstoreOptions) {
    this.o = { dir: '/sys/fs/pstore', deleteAfterImport: false, rescanMs: 300_000, maxBytes: 256 * 1024, logger: nullLogger, ...opts };
  }

  status(): CollectorStatus {
    return { ...this.st, dir: this.o.dir, imported: this.imported, delete_after_import: this.o.deleteAfterImport };
  }

  async start(): Promise<void> {
    await this.scan();
    if (this.o.rescanMs > 0) {
      this.timer = setInterval(() => void this.scan(), this.o.rescanMs);
      this.timer.unref?.();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.st = { ...this.st, state: 'stopped', message: 'stopped' };
  }

  private bootFor(timeNs: string): number {
    const store = this.o.store;
    const cur = this.o.currentBoot() ?? store.maxBoot();
    const boots = store.boots();
    for (let i = boots.length - 1; i >= 0; i--) {
      const b = boots[i]!;
      if (b.first_ns !== null && b.last_ns !== null && cmp(b.first_ns, timeNs) <= 0 && cmp(timeNs, b.last_ns) <= 0) return b.boot;
    }
    const prev = boots.filter((b) => b.boot < cur).pop();
    return prev ? prev.boot : cur;
  }

  /** Import what is there now. Returns the number of files stored. */
  async scan(): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(this.o.dir)).sort();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.st = {
        name: 'pstore',
        state: 'warning',
        message: err.code === 'ENOENT' ? `${this.o.dir} not found (pstore not mounted)` : `cannot read ${this.o.dir}: ${err.message}`,
      };
      return 0;
    }
    let stored = 0;
    for (const name of names) {
      const path = join(this.o.dir, name);
      try {
        const s = await stat(path);
        if (!s.isFile()) continue;
        const data = await readFile(path);
        const sha = createHash('sha256').update(data).digest('hex');
        const parts = name.replace(/\.enc\.z$/, '').split('-');
        const compressed = name.endsWith('.enc.z');
        const timeNs = (BigInt(Math.floor(s.mtimeMs)) * 1_000_000n).toString();
        const keep = data.subarray(0, this.o.maxBytes);
        const ev: NewEvent = {
          type: 'pstore',
          boot: this.bootFor(timeNs),
          time_ns: timeNs,
          source: 'pstore',
          name,
          kind: parts[0] ?? name,
          backend: parts[1] ?? null,
          size: data.length,
          sha256: sha,
          truncated: data.length > keep.length,
          encoding: compressed ? 'base64' : 'utf8',
          content: compressed ? keep.toString('base64') : keep.toString('utf8'),
          dedup: `pstore:${sha}`,
        };
        const out = await this.o.store.append([ev]);
        stored += out.length;
        if (this.o.deleteAfterImport) await unlink(path);
        if (out.length) this.o.logger.info(`pstore: imported ${name} into boot ${ev.boot}`);
      } catch (e) {
        this.o.logger.warn(`pstore: ${name}: ${(e as Error).message}`);
      }
    }
    this.imported += stored;
    this.st = { name: 'pstore', state: 'ok', message: `scanned ${this.o.dir}: ${names.length} file(s), ${stored} new` };
    return stored;
  }
}
