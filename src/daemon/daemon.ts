/*
 * raslogd: owns the store, runs the collectors, serves queries.
 *
 * Start: take the store (the LevelDB lock is the single-instance guard;
 * the pid file names the holder), write the pid file, open the query
 * socket, then boot init → kmod replay → boot finish (so the previous boot's
 * last records are in before its ending is classified) → pstore, netstats,
 * the retention job. A collector that cannot find its source is a warning
 * in status; the others run. SIGHUP reloads the config (a bad file is
 * logged and the running config kept); SIGTERM/SIGINT stop cleanly.
 */

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import cron, { type ScheduledTask } from 'node-cron';
import type winston from 'winston';
import { BootCollector } from '../collectors/boot.ts';
import { KmodCollector } from '../collectors/kmod.ts';
import { NetstatsCollector } from '../collectors/netstats.ts';
import { PstoreCollector } from '../collectors/pstore.ts';
import type { Collector, CollectorStatus, Logger } from '../collectors/types.ts';
import { StoreError } from '../store/errors.ts';
import { pidPath, socketPath } from '../store/paths.ts';
import { prune } from '../store/retention.ts';
import type { DaemonInfo } from '../store/service.ts';
import { ioMessage, Store } from '../store/store.ts';
import { loadConfig, type Config } from './config.ts';
import { asLogger } from './log.ts';
import { NotifyManager } from './notify.ts';
import { QueryServer } from './server.ts';

/** sysexits.h EX_TEMPFAIL: the store could not be written (a full disk…); systemd restarts raslogd. */
export const EXIT_STORE_FAILED = 75;

/** raslogd cannot start; `temporary`: a store failure that a later start may not meet (exit 75). */
export class StartError extends Error {
  constructor(
    message: string,
    readonly temporary = false,
  ) {
    super(message);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(dataDir: string): number | null {
  try {
    const n = parseInt(readFileSync(pidPath(dataDir), 'utf8').trim(), 10);
    return n > 0 ? n : null;
  } catch {
    return null;
  }
}

export class Daemon {
  cfg: Config;
  readonly dataDir: string;
  private store!: Store;
  private server!: QueryServer;
  private notify: NotifyManager | null = null;
  private log: Logger;
  private boot: BootCollector | null = null;
  private collectors: Collector[] = [];
  private pruneTask: ScheduledTask | null = null;
  private started = new Date();
  private stopping: Promise<void> | null = null;
  /**
   * Called once when a store write failed (the store's 'write-failed'): raslogd must stop
   * and start again, reopening the store (src/store/store.ts, writeError). main.ts exits 75.
   */
  onStoreFailed: ((e: Error) => void) | null = null;

  constructor(
    cfg: Config,
    dataDir: string,
    private wlog: winston.Logger,
    private configFile: string | undefined,
  ) {
    this.cfg = cfg;
    this.dataDir = dataDir;
    this.log = asLogger(wlog);
  }

  info(): DaemonInfo {
    return {
      running: true,
      pid: process.pid,
      started: this.started.toISOString(),
      config: this.cfg.path,
      current_boot: this.boot?.currentBoot() ?? null,
      collectors: this.statuses(),
      retention: this.cfg.retention,
      memory: {
        rss_bytes: process.memoryUsage.rss(),
        heap_used_bytes: getHeapStatistics().used_heap_size,
      },
      ...(this.notify ? { watchlist: this.notify.watchList() } : {}),
      ...(this.server ? { queries: this.server.stats() } : {}),
    };
  }

  statuses(): CollectorStatus[] {
    const all: CollectorStatus[] = this.collectors.map((c) => c.status());
    for (const n of ['kmod', 'pstore', 'netstats']) {
      if (!all.some((s) => s.name === n)) all.push({ name: n, state: 'disabled', message: 'disabled in the configuration' });
    }
    return all;
  }

  /** Take the store: the LevelDB lock decides; a holder that is not raslogd (a CLI reading) is waited for. */
  private async openStore(): Promise<Store> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        // 4 MiB memtable and block cache (LevelDB's defaults): raslogd's RSS goal is < 80 MB
        return await Store.open(this.dataDir, { create: true, sync: this.cfg.store.sync, writeBufferSize: 4 << 20, cacheSize: 4 << 20 });
      } catch (e) {
        if (!(e instanceof StoreError) || e.code !== 'locked') {
          // an I/O error (a full disk) may be gone at the next start; a corrupt store stays corrupt
          throw new StartError(e instanceof Error ? e.message : String(e), e instanceof StoreError && e.code === 'io');
        }
        const pid = readPid(this.dataDir);
        if (pid && pid !== process.pid && pidAlive(pid)) throw new StartError(`raslogd is already running (pid ${pid})`);
        if (Date.now() > deadline) throw new StartError(`the store in ${this.dataDir} is locked by another process`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async start(): Promise<void> {
    this.store = await this.openStore();
    this.store.once('write-failed', (e: Error) => {
      this.log.error(
        `store: a write failed (${ioMessage(e)}): raslogd stops and exits ${EXIT_STORE_FAILED} to be restarted with the store reopened; ` +
          'the region keeps the records meanwhile and the next start stores them once',
      );
      this.onStoreFailed?.(e);
    });
    writeFileSync(pidPath(this.dataDir), `${process.pid}\n`);
    // notifications first: they follow every commit from the collectors' first one on
    this.notify = new NotifyManager(this.store, this.cfg, this.log);
    try {
      await this.notify.start();
    } catch (e) {
      throw new StartError(`notifications: ${(e as Error).message}`);
    }
    const notify = this.notify;
    this.server = new QueryServer(socketPath(this.dataDir), {
      store: this.store,
      daemon: () => this.info(),
      notify: () => notify.status(),
      testNotify: (sink) => notify.testNotify(sink),
    });
    await this.server.listen();
    await this.startCollectors();
    this.schedulePrune();
    this.log.info(`raslogd ready (pid ${process.pid}, data dir ${this.dataDir}, boot ${this.boot?.currentBoot()})`);
  }

  private async startCollectors(): Promise<void> {
    const c = this.cfg;
    const store = this.store;
    this.boot = new BootCollector({
      store,
      bootIdPath: c.boot.boot_id,
      uptimePath: c.boot.uptime,
      regionPath: c.kmod.enabled ? c.kmod.device : '',
      logger: this.log,
    });
    this.collectors = [this.boot];
    await this.boot.init();
    if (c.kmod.enabled) {
      const k = new KmodCollector({
        store,
        path: c.kmod.device,
        intervalMs: c.kmod.poll_interval_ms,
        holeSettleMs: c.kmod.hole_settle_ms,
        logger: this.log,
      });
      this.collectors.push(k);
      await k.start();
    }
    await this.boot.finish();
    await this.startOptional();
  }

  private async startOptional(): Promise<void> {
    const c = this.cfg;
    const cur = () => this.boot?.currentBoot() ?? null;
    if (c.pstore.enabled) {
      const p = new PstoreCollector({
        store: this.store,
        dir: c.pstore.dir,
        deleteAfterImport: c.pstore.delete_after_import,
        rescanMs: c.pstore.rescan_interval * 1000,
        currentBoot: cur,
        logger: this.log,
      });
      this.collectors.push(p);
      await p.start();
    }
    if (c.netstats.enabled) {
      const n = new NetstatsCollector({
        store: this.store,
        path: c.netstats.path,
        intervalSec: c.netstats.interval,
        interfaces: c.netstats.interfaces ?? undefined,
        currentBoot: cur,
        logger: this.log,
      });
      this.collectors.push(n);
      await n.start();
    }
  }

  private schedulePrune(): void {
    this.pruneTask = cron.schedule(this.cfg.store.prune_schedule, () => void this.prune(), { name: 'retention', noOverlap: true });
  }

  async prune(): Promise<void> {
    try {
      // passes of at most 200k events, so that other writes interleave
      for (let pass = 0; pass < 100; pass++) {
        const r = await prune(this.store, { retention: this.cfg.retention, bootForCheckpoint: this.boot?.currentBoot() ?? undefined });
        if (r.pruned) this.log.info(`retention: pruned ${r.pruned} event(s)`, { by_type: r.byType });
        if (r.pruned < 200_000) break;
      }
    } catch (e) {
      this.log.error(`retention failed: ${(e as Error).message}`);
    }
  }

  /** SIGHUP: re-read the config; restart the collectors whose settings changed. */
  async reload(): Promise<void> {
    let next: Config;
    try {
      next = loadConfig(this.configFile);
    } catch (e) {
      this.log.error(`reload: ${(e as Error).message}; keeping the running configuration`);
      return;
    }
    if (next.data_dir !== this.cfg.data_dir) this.log.warn('reload: data_dir changes need a restart; ignored');
    const old = this.cfg;
    this.cfg = { ...next, data_dir: old.data_dir };
    this.wlog.level = next.log_level;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(old.kmod, next.kmod)) {
      const k = this.collectors.find((x) => x.name === 'kmod');
      if (k) await k.stop();
      this.collectors = this.collectors.filter((x) => x !== k);
      if (next.kmod.enabled) {
        const nk = new KmodCollector({
          store: this.store,
          path: next.kmod.device,
          intervalMs: next.kmod.poll_interval_ms,
          holeSettleMs: next.kmod.hole_settle_ms,
          logger: this.log,
        });
        this.collectors.push(nk);
        await nk.start();
      }
    }
    if (!same(old.pstore, next.pstore) || !same(old.netstats, next.netstats)) {
      for (const x of this.collectors.filter((c) => c.name === 'pstore' || c.name === 'netstats')) await x.stop();
      this.collectors = this.collectors.filter((c) => c.name !== 'pstore' && c.name !== 'netstats');
      await this.startOptional();
    }
    await this.notify?.reload(this.cfg);
    if (old.store.prune_schedule !== next.store.prune_schedule) {
      await this.pruneTask?.destroy();
      this.schedulePrune();
    }
    this.log.info(`configuration reloaded from ${next.path ?? 'defaults'}`);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.store) return; // never started: nothing to stop, nothing to say
      this.log.info('raslogd stopping');
      await this.pruneTask?.destroy();
      for (const c of [...this.collectors].reverse()) await c.stop().catch(() => undefined);
      await this.notify?.stop().catch((e: Error) => this.log.error(`notifications: stop failed: ${e.message}`));
      await this.server?.close();
      await this.store?.close();
      try {
        if (readPid(this.dataDir) === process.pid) unlinkSync(pidPath(this.dataDir));
      } catch {
        /* gone */
      }
      this.log.info('raslogd stopped');
    })();
    return this.stopping;
  }
}
