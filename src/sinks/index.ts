/*
 * Notification sinks: entry points for the daemon and the CLI.
 *
 *   const n = await createNotifier(db.sublevel('outbox'), rawConfig, { logger });
 *   n.outbox.start();
 *   // after each store commit:
 *   await n.outbox.enqueue(storedEvents);
 *   // at start, re-enqueue what was stored but not queued before a crash:
 *   //   events with sseq > n.outbox.afterSseq()
 *   await n.close();
 *
 *   testNotify(n.sinks, 'console')   → per-sink success/error
 *   n.outbox.status()               → per-sink backlog, last success, last error
 *   applyWatchList(cfg.important)    → /sys/kernel/raslog/watch
 */

import { hostname } from 'node:os';
import { parseSinksConfig, type SinkConfig, type SinksConfig } from './config.ts';
import { eventKey, type SinkEvent } from './event.ts';
import { ExecSink } from './exec.ts';
import { HttpSink } from './http.ts';
import { Outbox, type OutboxDB } from './outbox.ts';
import { DEFAULT_ROUTES, Router } from './routing.ts';
import { SnmpSink } from './snmp.ts';
import { SyslogSink, type SyslogSinkOptions } from './syslog.ts';
import type { Sink } from './types.ts';

export * from './config.ts';
export * from './event.ts';
export { Outbox, pairCoredumps, type SinkStatus, type DeliveredInfo, type OutboxDB } from './outbox.ts';
export { Router } from './routing.ts';
export { suppress, flushDue, emptySuppressState, type SuppressState } from './suppress.ts';
export { applyWatchList, watchListLines, importantComms, importantCgroups, WATCH_PATH } from './watchlist.ts';
export type { Sink, Delivery } from './types.ts';
export { DeliveryError } from './types.ts';

export interface CreateOptions {
  syslog?: SyslogSinkOptions;
  logger?: { warn(msg: string): void; info?(msg: string): void; debug?(msg: string): void };
  /** See OutboxOptions.onStorageFailure. */
  onStorageFailure?: (e: unknown) => void;
}

/** Sink instances for one configured sink (SNMP: one per manager). */
export function instancesFor(c: SinkConfig, host: string, opts: CreateOptions = {}): Sink[] {
  switch (c.kind) {
    case 'syslog':
      return [new SyslogSink(c, opts.syslog)];
    case 'http':
      return [new HttpSink(c, host)];
    case 'exec':
      return [new ExecSink(c, host)];
    case 'snmp':
      return c.managers.map((m) =>
        new SnmpSink(c, m, c.managers.length === 1 ? c.name : `${c.name}/${m.host}:${m.port}`, host),
      );
  }
}

export interface Notifier {
  config: SinksConfig;
  sinks: Sink[];
  router: Router;
  outbox: Outbox;
  close(): Promise<void>;
}

export function createSinks(cfg: SinksConfig, opts: CreateOptions = {}): { sinks: Sink[]; instances: Map<string, string[]> } {
  const host = cfg.hostname ?? hostname();
  const sinks: Sink[] = [];
  const instances = new Map<string, string[]>();
  for (const c of cfg.sinks) {
    if (!c.enabled) continue;
    const list = instancesFor(c, host, opts);
    sinks.push(...list);
    instances.set(c.name, list.map((s) => s.name));
  }
  return { sinks, instances };
}

/** Validate the config, build the sinks, router and outbox (not started). */
export async function createNotifier(db: OutboxDB, rawConfig: unknown, opts: CreateOptions = {}): Promise<Notifier> {
  const config = parseSinksConfig(rawConfig);
  const { sinks, instances } = createSinks(config, opts);
  const router = new Router(config.routes ?? DEFAULT_ROUTES, instances, config.important);
  const outbox = await Outbox.open(db, {
    sinks,
    route: (ev) => router.route(ev),
    retry: config.retry,
    sync: config.sync,
    suppress: config.suppress.enabled ? config.suppress : undefined,
    isWatched: (ev) => router.isWatched(ev),
    logger: opts.logger,
    onStorageFailure: opts.onStorageFailure,
  });
  return {
    config,
    sinks,
    router,
    outbox,
    async close() {
      await outbox.stop();
      await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
    },
  };
}

export interface TestNotifyResult {
  sink: string;
  kind: string;
  ok: boolean;
  error: string | null;
  ms: number;
  key: string;
}

/** A `test` event (what `raslog test-notify` sends). */
export function testEvent(host = hostname(), now = new Date()): SinkEvent {
  return {
    type: 'test',
    key: `test:${host}:${now.getTime()}`,
    time: now.toISOString(),
    host,
    message: 'raslog test notification',
    severity: 'notice',
  };
}

/**
 * `raslog test-notify [--sink NAME]`: send one test event straight to each
 * sink (or the named one; an SNMP sink with several managers matches by its
 * configured name or an instance name), bypassing routing and the outbox.
 */
export async function testNotify(sinks: Sink[], name?: string): Promise<TestNotifyResult[]> {
  const chosen = name === undefined ? sinks : sinks.filter((s) => s.name === name || s.name.startsWith(`${name}/`));
  if (name !== undefined && !chosen.length) {
    throw new Error(`no sink named "${name}" (configured: ${sinks.map((s) => s.name).join(', ') || 'none'})`);
  }
  const ev = testEvent();
  return Promise.all(
    chosen.map(async (s) => {
      const t0 = performance.now();
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error(`timed out after ${s.timeoutMs} ms`)), s.timeoutMs);
      try {
        await Promise.race([
          s.send({ key: eventKey(ev), event: ev, attempts: 0, enqueued: Date.now() }, ac.signal),
          new Promise((_, rej) => ac.signal.addEventListener('abort', () => rej(ac.signal.reason as Error), { once: true })),
        ]);
        return { sink: s.name, kind: s.kind, ok: true, error: null, ms: Math.round(performance.now() - t0), key: eventKey(ev) };
      } catch (e) {
        return { sink: s.name, kind: s.kind, ok: false, error: (e as Error).message, ms: Math.round(performance.now() - t0), key: eventKey(ev) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
