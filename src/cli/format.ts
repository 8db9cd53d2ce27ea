/* Text forms of stored events for `raslog show`: short lines, CSV, with coredumps folded into their deaths. */

import { PROCESS_ZONE, type Zone } from '../store/tz.ts';
import type { StoredEvent } from '../store/types.ts';

type E = StoredEvent & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function micro(ns: string): string {
  // the 6 digits below the millisecond of a plain decimal ns count; BigInt for anything else
  if (ns.length >= 10 && ns.length <= 19 && ns.charCodeAt(0) !== 45 /* - */) return ns.slice(-9, -3);
  return ((BigInt(ns) / 1000n) % 1_000_000n).toString().padStart(6, '0');
}

function msOf(ns: string): number {
  return ns.length >= 10 && ns.length <= 19 && ns.charCodeAt(0) !== 45 ? Number(ns.slice(0, -6)) : Number(BigInt(ns) / 1_000_000n);
}

/** Local time in `zone` (default: the process's), ISO 8601 with microseconds and the UTC offset: 2026-11-22T10:14:12.226245+09:00 */
export function localIso(ns: string, zone: Zone = PROCESS_ZONE): string {
  const ms = msOf(ns);
  const off = zone.offsetMinutes(ms);
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${local}.${micro(ns)}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function utcIso(ns: string): string {
  const d = new Date(msOf(ns));
  return `${d.toISOString().slice(0, 19)}.${micro(ns)}Z`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const who = (t: any): string => (t ? `${t.comm ?? '?'}[${t.pid ?? '?'}]` : '?');

function coreText(c: E): string {
  const lim = c.limit === 'unlimited' ? 'unlimited' : String(c.limit);
  const err = c.error ? ` ${c.error}` : '';
  if (c.dumped && c.reason === 'dumped') return `dumped to ${c.target} (${c.written} bytes)`;
  switch (c.reason) {
    case 'core_limit':
      return `not dumped (core limit ${lim})`;
    case 'not_dumpable':
      return 'not dumped (not dumpable)';
    case 'empty_pattern':
      return 'not dumped (core_pattern empty)';
    case 'pipe_failed':
      return `not dumped (pipe helper ${c.target} failed${err})`;
    case 'write_error':
      return `${c.dumped ? 'incomplete' : 'not dumped'} (write error${err}, ${c.written} bytes written to ${c.target})`;
    case 'truncated':
      return `truncated at ${c.written} bytes (core limit ${lim}) in ${c.target}`;
    case 'open_failed':
      return `not dumped (cannot create ${c.target}${err})`;
    case 'unsupported':
      return 'not dumped (binary format cannot dump)';
    case 'interrupted':
      return `not dumped (interrupted by a fatal signal)`;
    default:
      return `${c.dumped ? 'dumped' : 'not dumped'} (${c.reason}${err})`;
  }
}

function deathText(e: E): string {
  let s = `${who(e)} `;
  if (!e.signal) s += `exited with status ${e.exit_code ?? 0}`;
  else {
    switch (e.cause) {
      case 'process':
        s += `${e.signal} from ${who(e.sender)} uid=${e.sender?.uid}`;
        break;
      case 'self':
        s += `${e.signal} sent by itself`;
        break;
      case 'fault':
        s += `${e.signal} fault at ${e.fault_addr}`;
        break;
      case 'oom':
        s += `${e.signal} by the OOM killer`;
        break;
      case 'kernel':
        s += `${e.signal} from the kernel`;
        break;
      default:
        s += `${e.signal}`;
    }
  }
  if (e.unit) s += ` unit=${e.unit}`;
  return s;
}

const ENDINGS: Record<string, string> = {
  clean: 'cleanly',
  panic: 'in a panic',
  dump_button: 'by the dump button',
  unexpected: 'unexpectedly',
  unknown: 'in an unknown way',
  running: 'not yet',
};

export function message(e: E): string {
  switch (e.type) {
    case 'process_death':
      return deathText(e);
    case 'coredump':
      return `${who(e)} ${e.signal ?? ''} core: ${coreText(e)}`.replace('  ', ' ');
    case 'shutdown': {
      const anc = (e.ancestors as { comm: string; pid: number }[] | undefined)?.map(who).join(' < ');
      return `${e.action} requested by ${who(e.initiator)} uid=${e.initiator?.uid}${anc ? ` (parents ${anc})` : ''}${e.command ? ` command="${e.command}"` : ''}`;
    }
    case 'panic':
      return `panic in ${who(e.task)}: ${e.message}`;
    case 'dump_button':
      return `dump button (NMI) on CPU ${e.cpu}, interrupted ${who(e.task)} at ${e.ip}${e.user_mode ? ' (user mode)' : ''}`;
    case 'module_load': {
      const how = e.formatted ? 'formatted the region' : e.repaired ? 'repaired the header' : e.reformatted ? 'reformatted the region' : `adopted ${e.adopted_records} record(s)`;
      return `raslog module ${e.version} loaded, ${how}${e.invalid_records ? `, ${e.invalid_records} invalid slot(s)` : ''}`;
    }
    case 'module_unload':
      return `raslog module ${e.version} unloaded`;
    case 'boot': {
      const p = e.previous as { boot: number; ended: string } | null;
      return `boot ${e.boot} started (kernel ${e.kernel}${e.boot_id ? `, boot_id ${e.boot_id}` : ''})${p ? `; boot ${p.boot} ended ${ENDINGS[p.ended] ?? p.ended}` : ''}`;
    }
    case 'unexpected_shutdown':
      return `boot ${e.boot} ended unexpectedly: no shutdown, panic or dump-button record (reset, power loss or hang)`;
    case 'records_lost':
      return `${e.count} record(s) lost (seq ${e.first_seq}..${e.last_seq}) in lane ${e.lane ?? ((e.lanes as string[] | undefined)?.join('/') || 'unknown')}`;
    case 'pstore':
      return `pstore ${e.name} imported (${e.size} bytes${e.truncated ? ', truncated' : ''})`;
    case 'netstats': {
      const d = (e.deltas ?? null) as Record<string, Record<string, number>> | null;
      const ifs = Object.keys((e.interfaces ?? {}) as object);
      if (!ifs.length) return 'no network interface to sample (lo is left out unless configured)';
      if (!d) return `first sample of ${ifs.join(' ')}`;
      return Object.entries(d)
        .map(([n, part]) => [n, { rx_bytes: 0, rx_packets: 0, tx_bytes: 0, tx_packets: 0, rx_errs: 0, tx_errs: 0, rx_drop: 0, tx_drop: 0, ...part }] as const)
        .map(([n, c]) => `${n} rx ${c.rx_bytes}B/${c.rx_packets}p tx ${c.tx_bytes}B/${c.tx_packets}p${c.rx_errs || c.tx_errs || c.rx_drop || c.tx_drop ? ` errs ${c.rx_errs}/${c.tx_errs} drop ${c.rx_drop}/${c.tx_drop}` : ''}`)
        .join('; ');
    }
    case 'checkpoint':
      return `retention pruned ${e.pruned} event(s) (sseq ${e.first_sseq}..${e.last_sseq}: ${Object.entries((e.pruned_types ?? {}) as Record<string, number>)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ')}); last pruned hash ${String(e.last_hash).slice(0, 16)}…`;
    default:
      return JSON.stringify(e);
  }
}

export function shortLine(e: E, iso: 'local' | 'utc', core?: E, zone: Zone = PROCESS_ZONE): string {
  const t = iso === 'local' ? localIso(e.time_ns, zone) : utcIso(e.time_ns);
  let s = `${t} boot ${e.boot} ${e.type} ${message(e)}`;
  if (core) s += `; core: ${coreText(core)}`;
  return s;
}

/** Is c the coredump record of death d (same pid, next seq of the same region)? */
export function isLinkedCore(d: E, c: E): boolean {
  if (d.type !== 'process_death' || c.type !== 'coredump') return false;
  if (d.region_id !== c.region_id) return false;
  if (c.death_seq !== undefined) return c.death_seq === d.seq;
  return c.seq === d.seq + 1 && (c.pid === d.pid || c.tgid === d.tgid);
}

/**
 * Streaming folder: emits [event, linked coredump?] pairs. A death is held
 * until the next event shows whether its coredump follows (either order, so
 * that -r works).
 */
export class Folder {
  private held: E | null = null;
  push(e: E): [E, E | undefined][] {
    const h = this.held;
    if (h) {
      if (isLinkedCore(h, e)) {
        this.held = null;
        return [[h, e]];
      }
      if (isLinkedCore(e, h)) {
        this.held = null;
        return [[e, h]];
      }
    }
    const out: [E, E | undefined][] = h ? [[h, undefined]] : [];
    this.held = e.type === 'process_death' || e.type === 'coredump' ? e : null;
    if (!this.held) out.push([e, undefined]);
    return out;
  }
  flush(): [E, E | undefined][] {
    const h = this.held;
    this.held = null;
    return h ? [[h, undefined]] : [];
  }
}

export const CSV_HEADER = 'time,boot,type,sseq,seq,comm,pid,unit,message';

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(e: E, core?: E): string {
  const msg = message(e) + (core ? `; core: ${coreText(core)}` : '');
  const comm = e.comm ?? e.initiator?.comm ?? e.task?.comm ?? '';
  const pid = e.pid ?? e.initiator?.pid ?? e.task?.pid ?? '';
  return [utcIso(e.time_ns), e.boot, e.type, e.sseq, e.seq ?? '', comm, pid, e.unit ?? '', msg].map(csvCell).join(',');
}


