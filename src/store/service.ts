/*
 * The query service: one function answering every CLI request against a
 * store. raslogd runs it behind its unix socket (src/daemon/server.ts); the
 * CLI runs it in-process on the database when no daemon is running. Requests
 * and answers are plain JSON, so both paths produce the same output.
 */

import { statfsSync } from 'node:fs';
import type { SinkStatus } from '../sinks/outbox.ts';
import { StoreError } from './errors.ts';
import { bootSummaries, matches, queryEvents, resolveQuery, showEvents, type BootSummary, type QuerySpec } from './query.ts';
import { EVENT_PREFIX, HIGH, eventKey } from './keys.ts';
import type { Store } from './store.ts';
import type { EventRow, StoredEvent } from './types.ts';
import { verifyChain, type VerifyResult } from './verify.ts';

export type Request =
  | { op: 'show'; spec: QuerySpec; follow?: boolean }
  | { op: 'boots' }
  | { op: 'status' }
  | { op: 'verify' }
  | { op: 'export'; spec: QuerySpec }
  | { op: 'test-notify'; sink?: string };

/** What the daemon adds to status (the CLI alone reports daemon.running = false). */
export interface DaemonInfo {
  running: boolean;
  pid?: number;
  started?: string;
  config?: string | null;
  current_boot?: number | null;
  collectors?: { name: string; state: string; message: string; [k: string]: unknown }[];
  retention?: Record<string, number>;
  /** raslogd's memory: resident set and V8 heap in use. */
  memory?: { rss_bytes: number; heap_used_bytes: number };
  /** The module watch list (important processes): written at start and on SIGHUP. */
  watchlist?: { state: string; message: string; path: string; entries: number; written_at: string | null };
  /** The query socket: open connections, requests being answered (this one included), CLI runs. */
  queries?: { connections: number; active: number; cli_runs: number };
}


export interface NotifyInfo {
  /** false: read from the database while raslogd is not running (nothing is being delivered). */
  running: boolean;
  sinks: SinkStatus[];
}

export interface TestNotifyInfo {
  sink: string;
  kind: string;
  ok: boolean;
  error: string | null;
  ms: number;
  key: string;
}

export interface StatusReport {
  data_dir: string;
  daemon: DaemonInfo;
  store: {
    events: number;
    boots: number;
    current_boot: number | null;
    first: string | null;
    last: string | null;
    head: { sseq: number; hash: string };
    counts: Record<string, number>;
  };
  /** Notification sinks: backlog, last success, last error (absent when they cannot be read). */
  notify?: NotifyInfo;
  warnings: string[];
}

export interface Context {
  store: Store;
  daemon: () => DaemonInfo;
  /** Sink status (raslogd: the running outbox; the CLI alone: the outbox in the database). */
  notify?: () => Promise<NotifyInfo>;
  /** raslog test-notify (raslogd only). */
  testNotify?: (sink?: string) => Promise<TestNotifyInfo[]>;
}

/**
 * Receives each streamed item: false stops the stream; a promise (the reader is slow: wait for
 * it to drain) holds the stream until it resolves, to false or not.
 */
export type Emit = (item: unknown) => boolean | void | Promise<boolean | void>;

/** emit, waiting when it asks to: false when the stream is to stop. */
async function put(emit: Emit, item: unknown): Promise<boolean> {
  let r = emit(item);
  if (r instanceof Promise) r = await r;
  return r !== false;
}

function requireEvents(store: Store): void {
  if (store.head().sseq === 0) throw new StoreError('empty', `the store in ${store.dataDir} holds no events yet`);
}

async function firstLast(store: Store): Promise<[string | null, string | null]> {
  const a = await store.db.keys({ gte: 't\x00', lt: 't\x00' + HIGH, limit: 1 }).all();
  const b = await store.db.keys({ gte: 't\x00', lt: 't\x00' + HIGH, limit: 1, reverse: true }).all();
  const iso = async (k: string | undefined) => {
    if (!k) return null;
    const row = await store.getRow(parseInt(k.slice(-16), 16));
    return row?.e.time ?? null;
  };
  return [await iso(a[0]), await iso(b[0])];
}

export async function status(ctx: Context): Promise<StatusReport> {
  const { store } = ctx;
  const counts: Record<string, number> = {};
  for (const b of store.boots()) for (const [t, n] of Object.entries(b.counts)) counts[t] = (counts[t] ?? 0) + n;
  const [first, last] = await firstLast(store);
  const d = ctx.daemon();
  const warnings: string[] = [];
  for (const c of d.collectors ?? []) if (c.state === 'warning' || c.state === 'error') warnings.push(`${c.name}: ${c.message}`);
  if (d.watchlist?.state === 'warning') warnings.push(`watch list: ${d.watchlist.message}`);
  if (!d.running) warnings.push('raslogd is not running: nothing is being collected');
  let notify: NotifyInfo | undefined;
  try {
    notify = await ctx.notify?.();
  } catch (e) {
    warnings.push(`notification status unavailable: ${(e as Error).message}`);
  }
  for (const s of notify?.sinks ?? []) {
    if (!s.configured && notify!.running) {
      if (s.backlog) warnings.push(`sink ${s.sink}: ${s.backlog} delivery(ies) queued for a sink no longer configured`);
    } else if (s.consecutive_failures > 0) {
      warnings.push(`sink ${s.sink}: ${s.backlog} waiting, failing since ${s.last_error_at ?? '?'}: ${s.last_error ?? '?'}`);
    }
  }
  try {
    const fs = statfsSync(store.dataDir);
    const free = fs.bavail * fs.bsize;
    if (free < 100 * 1024 * 1024) warnings.push(`only ${Math.round(free / 1048576)} MiB free in ${store.dataDir}`);
  } catch {
    /* not fatal */
  }
  const boots = store.boots();
  return {
    data_dir: store.dataDir,
    daemon: d,
    store: {
      events: Object.values(counts).reduce((a, c) => a + c, 0),
      boots: boots.length,
      current_boot: d.current_boot ?? (boots.length ? boots[boots.length - 1]!.boot : null),
      first,
      last,
      head: store.head(),
      counts,
    },
    ...(notify ? { notify } : {}),
    warnings,
  };
}

/**
 * Answer one request. Streams items through emit (events for show, rows for
 * export) and returns the final result. For show with follow, keeps emitting
 * new events until `signal` aborts.
 */
export async function handle(ctx: Context, req: Request, emit: Emit, signal?: AbortSignal): Promise<unknown> {
  const { store } = ctx;
  switch (req.op) {
    case 'show': {
      requireEvents(store);
      const q = resolveQuery(store, req.spec);
      if (req.follow && q.limit === undefined && !req.spec.since && !req.spec.until) q.limit = 10;
      const queue: StoredEvent[] = [];
      let wake: (() => void) | null = null;
      const onAppend = (evs: StoredEvent[]) => {
        for (const e of evs) if (matches(e, { ...q, limit: undefined, until_ns: q.until_ns })) queue.push(e);
        wake?.();
      };
      const onAbort = () => wake?.();
      if (req.follow) {
        store.on('append', onAppend);
        signal?.addEventListener('abort', onAbort);
      }
      try {
        let last = 0;
        for await (const e of showEvents(store, q)) {
          if (!(await put(emit, { event: e }))) return { done: true };
          if (e.sseq > last) last = e.sseq;
        }
        if (!req.follow) return { done: true };
        if (!(await put(emit, { caught_up: true }))) return { done: true };
        while (!signal?.aborted) {
          while (queue.length) {
            const e = queue.shift()!;
            if (e.sseq <= last) continue;
            if (!(await put(emit, { event: e }))) return { done: true };
          }
          if (signal?.aborted) break;
          await new Promise<void>((res) => (wake = res));
          wake = null;
        }
        return { done: true };
      } finally {
        if (req.follow) {
          store.off('append', onAppend);
          signal?.removeEventListener('abort', onAbort);
        }
      }
    }
    case 'boots': {
      if (!store.boots().length) throw new StoreError('empty', `the store in ${store.dataDir} holds no boots yet`);
      return { boots: bootSummaries(store, ctx.daemon().current_boot ?? null) satisfies BootSummary[] };
    }
    case 'status':
      return { status: await status(ctx) };
    case 'verify': {
      requireEvents(store);
      return { verify: (await verifyChain(store, signal)) satisfies VerifyResult };
    }
    case 'export': {
      requireEvents(store);
      const q = resolveQuery(store, req.spec);
      let count = 0;
      const emitRow = (row: EventRow) => {
        count++;
        return put(emit, { row });
      };
      if (q.since_ns === undefined && q.until_ns === undefined && q.boot === undefined && !q.types && q.comm === undefined && q.unit === undefined) {
        for await (const [, v] of store.rows()) if (!(await emitRow(JSON.parse(v) as EventRow))) break;
      } else {
        // chain order (sseq) for the events that match, so consecutive rows link
        const sseqs: number[] = [];
        for await (const e of queryEvents(store, { ...q, limit: undefined, reverse: false })) {
          if (signal?.aborted) return { count };
          sseqs.push(e.sseq);
        }
        sseqs.sort((a, b) => a - b);
        for (let i = 0; i < sseqs.length; i += 1000) {
          const rows = await store.db.getMany(sseqs.slice(i, i + 1000).map(eventKey));
          for (const v of rows) if (v !== undefined && !(await emitRow(JSON.parse(v) as EventRow))) return { count };
        }
      }
      return { count, head: store.head() };
    }
    case 'test-notify': {
      if (!ctx.testNotify) throw new StoreError('bad_query', 'test-notify is answered by raslogd only');
      return { results: await ctx.testNotify(req.sink) };
    }
    default:
      throw new StoreError('bad_query', `unknown request ${(req as { op: string }).op}`);
  }
}

export { EVENT_PREFIX };
