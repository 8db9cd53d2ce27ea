/*
 * raslog netstats: the network interface samples of the netstats collector as a time series
 * (rates per second between samples), to look at the network before an incident:
 *   raslog netstats --since boot-1 [--interface eth0]
 */

import { Command, Option } from 'commander';
import type { QuerySpec } from '../../store/query.ts';
import type { StoredEvent } from '../../store/types.ts';
import type { Zone } from '../../store/tz.ts';
import { action, addDataDir, Out, report, withBackend } from '../common.ts';
import { csvCell, localIso, utcIso } from '../format.ts';
import type { CliIO } from '../io.ts';
import { buildSpec } from './show.ts';

const OUTPUTS = ['short', 'short-iso', 'json', 'jsonl', 'csv'] as const;
const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errs', 'tx_errs', 'rx_drop', 'tx_drop'] as const;
type Counter = (typeof COUNTERS)[number];

/** One interface in one sample: the deltas since the previous sample and the rates they give. */
export interface NetRow {
  time: string;
  time_ns: string;
  boot: number;
  interface: string;
  /** seconds since the previous sample of the same boot (the configured interval for the first) */
  seconds: number;
  deltas: Record<Counter, number>;
  rx_bytes_per_s: number;
  tx_bytes_per_s: number;
  rx_packets_per_s: number;
  tx_packets_per_s: number;
}

/** Rows of the samples that have deltas (the first sample after a start has none), in time order. */
export function netRows(samples: StoredEvent[], only: string[]): NetRow[] {
  const rows: NetRow[] = [];
  let prev: StoredEvent | null = null;
  for (const e of samples) {
    const deltas = e.deltas as Record<string, Partial<Record<Counter, number>>> | null;
    const sameBoot = prev !== null && prev.boot === e.boot;
    const seconds = sameBoot ? Number(BigInt(e.time_ns) - BigInt(prev!.time_ns)) / 1e9 : Number(e.interval_sec) || 0;
    prev = e;
    if (!deltas) continue;
    for (const [name, d] of Object.entries(deltas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (only.length && !only.includes(name)) continue;
      const full = Object.fromEntries(COUNTERS.map((c) => [c, d[c] ?? 0])) as Record<Counter, number>;
      const rate = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 10) / 10 : 0);
      rows.push({
        time: e.time,
        time_ns: e.time_ns,
        boot: e.boot,
        interface: name,
        seconds: Math.round(seconds * 1000) / 1000,
        deltas: full,
        rx_bytes_per_s: rate(full.rx_bytes),
        tx_bytes_per_s: rate(full.tx_bytes),
        rx_packets_per_s: rate(full.rx_packets),
        tx_packets_per_s: rate(full.tx_packets),
      });
    }
  }
  return rows;
}

function human(bytesPerS: number): string {
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let v = bytesPerS;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function table(rows: NetRow[], iso: 'local' | 'utc', zone: Zone): string[] {
  const head = ['TIME', 'BOOT', 'IFACE', 'RX', 'TX', 'RX PKT/S', 'TX PKT/S', 'ERRS RX/TX', 'DROP RX/TX'];
  const cells = rows.map((r) => [
    iso === 'local' ? localIso(r.time_ns, zone) : utcIso(r.time_ns),
    String(r.boot),
    r.interface,
    human(r.rx_bytes_per_s),
    human(r.tx_bytes_per_s),
    String(r.rx_packets_per_s),
    String(r.tx_packets_per_s),
    `${r.deltas.rx_errs}/${r.deltas.tx_errs}`,
    `${r.deltas.rx_drop}/${r.deltas.tx_drop}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = new Set([1, 3, 4, 5, 6, 7, 8]);
  const fmt = (c: string[]) => c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
  return [fmt(head), ...cells.map(fmt)];
}

interface NetOpts {
  since?: string;
  until?: string;
  boot?: string | true;
  interface: string[];
  output: string;
  dataDir?: string;
}

export function registerNetstats(program: Command, io: CliIO): Command {
  const cmd = program
    .command('netstats')
    .description('network interface rates sampled by raslogd (the netstats collector), e.g. --since boot-1')
    .option('-S, --since <time>', 'from this time (same forms as show: boot-1, -2h, ISO 8601, ...)')
    .option('-U, --until <time>', 'up to this time')
    .option('-b, --boot [N]', 'only boot N: none/0 = current, -1 = previous')
    .option('-i, --interface <name>', 'only this interface, repeatable', (v: string, p: string[]) => [...p, v], [])
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUTS).default('short'));
  addDataDir(cmd);
  cmd.action(action(io, async (o: NetOpts) => {
    let spec: QuerySpec;
    try {
      spec = { ...buildSpec({ since: o.since, until: o.until, boot: o.boot, type: [], output: o.output }, io), types: ['netstats'] };
    } catch (e) {
      return report(io, e);
    }
    const samples: StoredEvent[] = [];
    await withBackend(io, o, async (b) => {
      await b.request({ op: 'show', spec }, (item) => {
        samples.push((item as { event: StoredEvent }).event);
      });
    });
    if (io.exitCode) return;
    const rows = netRows(samples, o.interface);
    const out = new Out(io);
    if (o.output === 'json') out.line(JSON.stringify(rows, null, 2));
    else if (o.output === 'jsonl') for (const r of rows) out.line(JSON.stringify(r));
    else if (o.output === 'csv') {
      out.line(['time', 'boot', 'interface', 'seconds', ...COUNTERS, 'rx_bytes_per_s', 'tx_bytes_per_s'].join(','));
      for (const r of rows) {
        out.line([r.time, r.boot, r.interface, r.seconds, ...COUNTERS.map((c) => r.deltas[c]), r.rx_bytes_per_s, r.tx_bytes_per_s].map(csvCell).join(','));
      }
    } else if (rows.length) for (const l of table(rows, o.output === 'short' ? 'local' : 'utc', io.zone)) out.line(l);
    else out.line('-- no network samples in this range (is [netstats] enabled in raslog.conf?) --');
    await out.end();
  }));
  return cmd;
}
