/*
 * netstats collector: samples /proc/net/dev every `intervalSec` seconds
 * (node-cron; intervals that divide a minute or an hour) into `netstats`
 * events: per interface the kernel counters and the deltas since the
 * previous sample. Retention: its own class `netstats` (default 30 days),
 * pruned by the daemon's retention job.
 */

import { readFile } from 'node:fs/promises';
import cron, { type ScheduledTask } from 'node-cron';
import type { Store } from '../store/store.ts';
import { nowNs, nullLogger, type Collector, type CollectorStatus, type Logger } from './types.ts';

const FIELDS = [
  'rx_bytes', 'rx_packets', 'rx_errs', 'rx_drop', 'rx_fifo', 'rx_frame', 'rx_compressed', 'rx_multicast',
  'tx_bytes', 'tx_packets', 'tx_errs', 'tx_drop', 'tx_fifo', 'tx_colls', 'tx_carrier', 'tx_compressed',
] as const;

export type IfCounters = Record<(typeof FIELDS)[number], number>;

export function parseNetDev(text: string): Record<string, IfCounters> {
  const out: Record<string, IfCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const nums = line.slice(i + 1).trim().split(/\s+/).map(Number);
    if (nums.length < 16 || nums.some((n) => !Number.isFinite(n))) continue;
    const c = {} as IfCounters;
    FIELDS.forEach((f, k) => (c[f] = nums[k]!));
    out[name] = c;
  }
  return out;
}

/** node-cron expression (with seconds) for an interval, or null when it cannot be expressed. */
export function cronFor(sec: number): string | null {
  if (!Number.isInteger(sec) || sec < 1) return null;
  if (sec < 60 && 60 % sec === 0) return `*/${sec} * * * * *`;
  if (sec % 60 === 0 && sec < 3600 && 60 % (sec / 60) === 0) return `0 */${sec / 60} * * * *`;
  if (sec % 3600 === 0 && sec <= 86400 && 24 % (sec / 3600) === 0) return `0 0 */${sec / 3600} * * *`;
  return null;
}

export interface NetstatsOptions {
  store: Store;
  intervalSec?: number;
  path?: string;
  /** Interfaces to record (default: all but lo). */
  interfaces?: string[];
  currentBoot: () => number | null;
  logger?: Logger;
}

export class NetstatsCollector implements Collector {
  readonly name = 'netstats';
  private o: Required<Omit<NetstatsOptions, 'logger' | 'interfaces'>> & { logger: Logger; interfaces: string[] | null };
  private task: ScheduledTask | null = null;
  private prev: Record<string, IfCounters> | null = null;
  private st: CollectorStatus = { name: 'netstats', state: 'starting', message: 'not started' };
  private samples = 0;

  constructor(opts: NetstatsOptions) {
    this.o = { intervalSec: 60, path: '/proc/net/dev', logger: nullLogger, ...opts, interfaces: opts.interfaces ?? null };
  }

  status(): CollectorStatus {
    return { ...this.st, interval_sec: this.o.intervalSec, samples: this.samples };
  }

  async start(): Promise<void> {
    const expr = cronFor(this.o.intervalSec);
    if (!expr) throw new Error(`netstats interval ${this.o.intervalSec} s cannot be scheduled (use a divisor of 60 s, 1 h or 24 h)`);
    this.task = cron.schedule(expr, () => void this.sample(), { name: 'netstats', noOverlap: true });
    this.st = { name: 'netstats', state: 'ok', message: `sampling ${this.o.path} every ${this.o.intervalSec} s` };
    await this.sample();
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    await this.task?.destroy();
    this.task = null;
    this.st = { ...this.st, state: 'stopped', message: 'stopped' };
  }

  /** Take one sample now and store it. */
  async sample(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.o.path, 'utf8');
    } catch (e) {
      this.st = { name: 'netstats', state: 'warning', message: `cannot read ${this.o.path}: ${(e as Error).message}` };
      return false;
    }
    const all = parseNetDev(text);
    const ifs: Record<string, IfCounters> = {};
    for (const [n, c] of Object.entries(all)) {
      if (this.o.interfaces ? this.o.interfaces.includes(n) : n !== 'lo') ifs[n] = c;
    }
    const deltas: Record<string, Partial<IfCounters>> = {};
    if (this.prev) {
      for (const [n, c] of Object.entries(ifs)) {
        const p = this.prev[n];
        if (!p) continue;
        const d: Partial<IfCounters> = {};
        for (const f of FIELDS) d[f] = c[f] >= p[f] ? c[f] - p[f] : c[f]; // counter reset: count from 0
        deltas[n] = d;
      }
    }
    this.prev = ifs;
    const boot = this.o.currentBoot() ?? this.o.store.maxBoot();
    try {
      await this.o.store.append([
        { type: 'netstats', boot, time_ns: nowNs().toString(), source: 'netstats', interval_sec: this.o.intervalSec, interfaces: ifs, deltas: this.samples ? deltas : null },
      ]);
    } catch (e) {
      // the sample is lost (a time series, taken again next interval); raslogd handles a failed store
      this.st = { name: 'netstats', state: 'warning', message: `cannot store a sample: ${(e as Error).message}` };
      return false;
    }
    this.samples++;
    if (this.st.state !== 'ok') this.st = { name: 'netstats', state: 'ok', message: `sampling ${this.o.path} every ${this.o.intervalSec} s` };
    return true;
  }
}
