/*
 * raslogd's notifications: the sinks (src/sinks/) wired to the store.
 *
 * - The outbox lives in the store's LevelDB, in the sublevel `outbox`
 *   (its own key space, `!outbox!…`; the store's keys never start with `!`).
 * - Every batch the store commits (its 'append' event) is enqueued, in
 *   commit order: enqueues, catch-ups and notifier rebuilds run one at a time
 *   on one queue, so the outbox's watermark only moves forward in sseq order.
 * - At start (and after a failed enqueue, and after a rebuild) the stored
 *   events with sseq > outbox.afterSseq() are enqueued from the store: that
 *   covers a crash between a store commit and its enqueue. Re-enqueueing is
 *   safe (the outbox skips sseq ≤ its watermark).
 * - A fresh outbox (no watermark yet) on a store that already holds events
 *   starts at the store's head: turning notifications on for an old store
 *   does not send its whole history. The watermark is written (synced) before
 *   any collector runs, so a crash right after the first start cannot skip
 *   the events of that start.
 * - The important processes are written to the module's watch list at start
 *   and on every reload (SIGHUP); a missing module is a warning in status.
 *   The daemon leaves the kernel's list alone while `[important]` is empty
 *   (a list set by hand survives), except that emptying it on a reload
 *   clears the list the daemon wrote.
 */

import type { Logger } from '../collectors/types.ts';
import { applyWatchList, createNotifier, testNotify, watchListLines, type Notifier, type SinkStatus, type TestNotifyResult } from '../sinks/index.ts';
import { Outbox, type OutboxDB } from '../sinks/outbox.ts';
import { StoreError } from '../store/errors.ts';
import type { Store } from '../store/store.ts';
import type { EventRow, StoredEvent } from '../store/types.ts';
import type { Config } from './config.ts';

export const OUTBOX_SUBLEVEL = 'outbox';
const CATCHUP_CHUNK = 1000;

export interface WatchListStatus {
  state: 'ok' | 'warning' | 'disabled';
  message: string;
  path: string;
  entries: number;
  written_at: string | null;
}

export interface NotifyStatus {
  /** false: read from the database while raslogd is not running (nothing is delivered). */
  running: boolean;
  sinks: SinkStatus[];
}

function outboxDb(store: Store): OutboxDB {
  return store.db.sublevel<string, string>(OUTBOX_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
}

/**
 * Sink status from the database alone (the CLI, when raslogd is not running):
 * every queue with deliveries waiting, and every sink that has a saved status.
 */
export async function offlineNotifyStatus(store: Store): Promise<NotifyStatus> {
  const db = outboxDb(store);
  const ob = await Outbox.open(db, { sinks: [], route: () => [] });
  const sinks = await ob.status(); // queues with a backlog
  const listed = new Set(sinks.map((x) => x.sink));
  for await (const [k, v] of db.iterator({ gte: 's!', lt: 's"' })) {
    const name = k.slice(2);
    if (listed.has(name)) continue;
    const st = JSON.parse(v) as Pick<SinkStatus, 'delivered' | 'failed_attempts' | 'last_success' | 'last_error' | 'last_error_at'>;
    sinks.push({ sink: name, kind: null, configured: false, backlog: 0, consecutive_failures: 0, oldest: null, next_attempt: null, ...st });
  }
  sinks.sort((a, b) => (a.sink < b.sink ? -1 : a.sink > b.sink ? 1 : 0));
  return { running: false, sinks };
}

export class NotifyManager {
  private notifier: Notifier | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private behind = false;
  private wrote = false;
  private wl: WatchListStatus;
  private readonly db: OutboxDB;
  private readonly onAppend = (evs: StoredEvent[]) => {
    void this.serial(() => this.enqueue(evs));
  };

  constructor(
    private readonly store: Store,
    private cfg: Config,
    private readonly log: Logger,
  ) {
    this.db = outboxDb(store);
    this.wl = { state: 'disabled', message: 'not written yet', path: cfg.watch_list, entries: 0, written_at: null };
  }

  /** Run fn after every enqueue/rebuild queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Build the notifier, catch up with the store, follow its commits, start delivering, write the watch list. */
  async start(): Promise<void> {
    if ((await this.db.get('m!wm')) === undefined && (await this.db.get('m!n')) === undefined) {
      const head = this.store.head().sseq;
      await this.db.put('m!wm', String(head), { sync: true } as never);
      if (head) this.log.info(`notifications: new outbox; events stored before now (up to #${head}) are not sent`);
    }
    this.notifier = await this.build(this.cfg);
    this.store.on('append', this.onAppend);
    await this.serial(() => this.catchUp());
    this.notifier.outbox.start();
    this.applyWatch(null);
  }

  private async build(cfg: Config): Promise<Notifier> {
    const n = await createNotifier(this.db, cfg.notify, {
      logger: { warn: (m) => this.log.warn(m), info: (m) => this.log.info(m), debug: (m) => this.log.debug?.(m) },
      // the outbox shares the store's LevelDB: its failed writes stop the store's too
      onStorageFailure: (e) => this.store.reportWriteError(e),
    });
    const names = n.sinks.map((s) => `${s.name} (${s.kind})`);
    this.log.info(names.length ? `notifications: ${names.length} sink(s): ${names.join(', ')}` : 'notifications: no sinks configured');
    return n;
  }

  private async enqueue(evs: StoredEvent[]): Promise<void> {
    const n = this.notifier;
    if (!n) return;
    if (this.behind) return this.catchUp();
    try {
      await n.outbox.enqueue(evs);
    } catch (e) {
      this.behind = true;
      this.log.error(`notifications: enqueue failed (retried from the store with the next commit): ${(e as Error).message}`);
    }
  }

  /** Enqueue the stored events after the outbox's watermark. */
  private async catchUp(): Promise<void> {
    const n = this.notifier;
    if (!n) return;
    const from = n.outbox.afterSseq() + 1;
    const head = this.store.head().sseq;
    if (from > head) {
      this.behind = false;
      return;
    }
    let count = 0;
    try {
      let chunk: StoredEvent[] = [];
      for await (const [, v] of this.store.rows(from, head)) {
        chunk.push((JSON.parse(v) as EventRow).e);
        if (chunk.length >= CATCHUP_CHUNK) {
          await n.outbox.enqueue(chunk);
          count += chunk.length;
          chunk = [];
        }
      }
      if (chunk.length) await n.outbox.enqueue(chunk);
      count += chunk.length;
      this.behind = false;
      this.log.info(`notifications: enqueued ${count} stored event(s) after #${from - 1}`);
    } catch (e) {
      this.behind = true;
      this.log.error(`notifications: catching up from the store failed: ${(e as Error).message}`);
    }
  }

  /** SIGHUP: rebuild the sinks from the new config (queues are kept), rewrite the watch list. */
  async reload(cfg: Config): Promise<void> {
    const prev = this.cfg;
    await this.serial(async () => {
      let next: Notifier;
      try {
        // close first: two outboxes must never run on one database
        await this.notifier?.close();
        this.notifier = null;
        next = await this.build(cfg);
      } catch (e) {
        this.log.error(`reload: notifications: ${(e as Error).message}; keeping the previous sinks`);
        next = await this.build(prev);
        cfg = { ...cfg, notify: prev.notify };
      }
      this.notifier = next;
      this.cfg = cfg;
      await this.catchUp();
      next.outbox.start();
    });
    this.applyWatch(prev);
  }

  private applyWatch(prev: Config | null): void {
    const path = this.cfg.watch_list;
    const imp = this.cfg.notify.important;
    const lines = watchListLines(imp);
    const base = { path, entries: lines.length - 1 };
    if (!path) {
      this.wl = { ...base, state: 'disabled', message: 'watch_list is empty in the configuration', written_at: null };
      return;
    }
    const wroteBefore = this.wrote && prev !== null && prev.watch_list === path;
    if (lines.length === 1 && !wroteBefore) {
      this.wl = { ...base, state: 'disabled', message: 'no important processes configured ([important]); the kernel watch list is left as it is', written_at: null };
      return;
    }
    try {
      applyWatchList(imp, path);
      this.wrote = true;
      this.wl = { ...base, state: 'ok', message: `${lines.length - 1} entr${lines.length === 2 ? 'y' : 'ies'} written to ${path}`, written_at: new Date().toISOString() };
      this.log.info(`watch list: ${lines.slice(1).join(', ') || '(cleared)'} → ${path}`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? `${path} does not exist (raslog module not loaded?)` : err.message;
      this.wl = { ...base, state: 'warning', message: `important processes not written: ${why}`, written_at: null };
      this.log.warn(`watch list: ${this.wl.message}`);
    }
  }

  watchList(): WatchListStatus {
    return { ...this.wl };
  }

  async status(): Promise<NotifyStatus> {
    await this.queue; // a rebuild in progress
    const n = this.notifier;
    const sinks = n ? await n.outbox.status() : [];
    return { running: true, sinks };
  }

  async testNotify(name?: string): Promise<TestNotifyResult[]> {
    await this.queue;
    const n = this.notifier;
    if (!n || !n.sinks.length) throw new StoreError('bad_query', 'no notification sinks are configured');
    try {
      return await testNotify(n.sinks, name);
    } catch (e) {
      throw new StoreError('bad_query', (e as Error).message);
    }
  }

  /** Let queued enqueues finish, then stop the outbox (in-flight deliveries finish or time out) and the sinks. */
  async stop(): Promise<void> {
    this.store.off('append', this.onAppend);
    await this.serial(async () => {
      await this.notifier?.close();
      this.notifier = null;
    });
  }
}
