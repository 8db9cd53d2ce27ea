/*
 * What every sink says about an event: its idempotency key, its severity, one
 * readable and key=value-parseable line, and the environment of the exec sink.
 * Events are the store's (StoredEvent: `type`, `sseq`, `boot`, `time`, plus
 * the record fields of docs/events.md); summaries come from suppress.ts.
 */

import { hostname } from 'node:os';

/** An event as handed to the outbox: a stored event, or a summary made by the suppressor. */
export interface SinkEvent {
  type: string;
  [field: string]: unknown;
}

/** syslog(3) severities, most severe first (index = syslog level). */
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityLevel(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at least as severe as `min`. */
export function atLeast(s: Severity, min: Severity): boolean {
  return severityLevel(s) <= severityLevel(min);
}

/**
 * Idempotency key: `key` when the event carries one (summaries do), else
 * `<region_id>:<seq>` for kernel records (the same record always gets the
 * same key, whichever daemon run delivers it), else `<type>:<boot>:<sseq>`
 * (store sequence, stable for the store's life).
 */
export function eventKey(ev: SinkEvent): string {
  if (typeof ev.key === 'string' && ev.key) return ev.key;
  if (typeof ev.region_id === 'string' && typeof ev.seq === 'number') {
    if (ev.type === 'records_lost') return `${ev.region_id}:lost:${ev.first_seq}-${ev.last_seq}`;
    return `${ev.region_id}:${ev.seq}`;
  }
  if (typeof ev.sseq === 'number') return `store:${ev.sseq}`;
  return `${ev.type}:${ev.boot ?? 0}:${ev.time_ns ?? ev.time ?? 0}`;
}

/**
 * Severity of an event:
 * - a watched process's death: crit;
 * - unexpected_shutdown, dump_button, panic: alert;
 * - records_lost: warning (data is missing);
 * - summaries: as the events they fold (`severity` field);
 * - an abnormal (signal, fault, OOM) death, a failed core dump, a shutdown: notice;
 * - everything else (normal exits, dumped cores, module load/unload, boot, pstore): info;
 * - netstats: debug.
 */
export function severityOf(ev: SinkEvent): Severity {
  if (typeof ev.severity === 'string' && (SEVERITIES as readonly string[]).includes(ev.severity)) return ev.severity as Severity;
  switch (ev.type) {
    case 'process_death':
      if (ev.watched === true) return 'crit';
      return ev.cause && ev.cause !== 'none' ? 'notice' : 'info';
    case 'unexpected_shutdown':
    case 'dump_button':
    case 'panic':
      return 'alert';
    case 'records_lost':
      return 'warning';
    case 'coredump':
      return ev.dumped === true ? 'info' : 'notice';
    case 'shutdown':
      return 'notice';
    case 'netstats':
      return 'debug';
    default:
      return 'info';
  }
}

function task(t: unknown): string | null {
  if (!t || typeof t !== 'object') return null;
  const o = t as { comm?: unknown; pid?: unknown; tgid?: unknown };
  return `${String(o.comm ?? '?')}[${String(o.tgid ?? o.pid ?? '?')}]`;
}

/** A value as it appears after `key=`: bare when safe, else JSON-quoted. */
export function kvValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  if (s === '') return '""';
  return /^[^\s"=\\]+$/.test(s) ? s : JSON.stringify(s);
}

/** Coredump outcome in short: `dumped`, `not_dumped(core_limit)`, `not_dumped(write_error:ENOSPC)`. */
export function coreSummary(c: { dumped?: unknown; reason?: unknown; error?: unknown } | SinkEvent): string {
  if (c.dumped === true) return 'dumped';
  const why = [c.reason, c.error].filter((x) => typeof x === 'string' && x).join(':');
  return `not_dumped(${why || 'unknown'})`;
}

/** The fields shown for an event, in order; null/undefined values are left out. */
export function eventFields(ev: SinkEvent): [string, unknown][] {
  const f: [string, unknown][] = [];
  const add = (k: string, v: unknown) => {
    if (v !== null && v !== undefined) f.push([k, v]);
  };
  switch (ev.type) {
    case 'process_death': {
      add('comm', ev.comm);
      add('pid', ev.tgid ?? ev.pid);
      if (ev.signal) add('signal', ev.signal);
      else add('exit', ev.exit_code);
      if (ev.cause && ev.cause !== 'process' && ev.cause !== 'none') add('cause', ev.cause);
      add('sender', task(ev.sender));
      // who killed it: the sender's uid, not only the dead process's (uid=)
      if (ev.sender && typeof ev.sender === 'object') add('sender_uid', (ev.sender as { uid?: unknown }).uid);
      add('fault_addr', ev.fault_addr);
      add('uid', ev.uid);
      add('unit', ev.unit);
      if (ev.watched === true) add('watched', 'yes');
      if (ev.core && typeof ev.core === 'object') add('core', coreSummary(ev.core as object));
      else if (ev.core_flag === true) add('core', 'dumped');
      break;
    }
    case 'coredump':
      add('comm', ev.comm);
      add('pid', ev.tgid ?? ev.pid);
      add('signal', ev.signal);
      add('core', coreSummary(ev));
      add('limit', ev.limit);
      add('written', ev.written);
      if (ev.target) add('target', ev.target);
      add('unit', ev.unit);
      break;
    case 'shutdown':
      add('action', ev.action);
      add('by', task(ev.initiator));
      if (Array.isArray(ev.ancestors) && ev.ancestors.length) add('ancestors', ev.ancestors.map(task).join(','));
      if (ev.command) add('command', ev.command);
      break;
    case 'panic':
      add('task', task(ev.task));
      add('message', ev.message);
      break;
    case 'dump_button':
      add('cpu', ev.cpu);
      add('task', task(ev.task));
      add('ip', ev.ip);
      add('user_mode', ev.user_mode);
      break;
    case 'unexpected_shutdown':
      add('ended_boot', ev.boot);
      add('last_event', ev.last_event);
      add('detected_in_boot', ev.detected_in_boot);
      break;
    case 'records_lost':
      add('count', ev.count);
      add('first_seq', ev.first_seq);
      add('last_seq', ev.last_seq);
      add('lane', ev.lane);
      break;
    case 'module_load':
    case 'module_unload':
      add('version', ev.version);
      add('region_addr', ev.region_addr);
      add('adopted_records', ev.adopted_records);
      add('invalid_records', ev.invalid_records);
      break;
    case 'boot':
      add('kernel', ev.kernel);
      if (ev.previous && typeof ev.previous === 'object') add('previous_ended', (ev.previous as { ended?: unknown }).ended);
      break;
    case 'summary':
      add('kind', ev.kind);
      add('what', ev.what);
      add('count', ev.count);
      add('folded', ev.folded);
      add('window_s', ev.window_s);
      add('first_key', ev.first_key);
      add('last_key', ev.last_key);
      break;
    default:
      for (const [k, v] of Object.entries(ev)) {
        if (['type', 'sseq', 'boot', 'time', 'time_ns', 'source', 'key', 'severity', 'region_id'].includes(k)) continue;
        if (v !== null && typeof v !== 'object') add(k, v);
      }
  }
  if (typeof ev.boot === 'number' && ev.type !== 'unexpected_shutdown') add('boot', ev.boot);
  if (ev.time) add('time', ev.time);
  return f;
}

/**
 * One line: `<type> k=v k=v … key=<key>`, e.g.
 * `process_death comm=nginx pid=8877 signal=SIGKILL sender=kill[9001] sender_uid=0 uid=0 unit=nginx.service core=not_dumped(core_limit) boot=3 time=… key=<region>:<seq>`.
 * A summary starts with its human text: `summary: nginx.service died 37 times in 5 min (34 folded) kind=flap …`.
 */
export function formatLine(ev: SinkEvent): string {
  const parts: string[] = [ev.type === 'summary' && typeof ev.text === 'string' ? `summary: ${ev.text}` : ev.type];
  for (const [k, v] of eventFields(ev)) parts.push(`${k}=${kvValue(v)}`);
  parts.push(`key=${kvValue(eventKey(ev))}`);
  return parts.join(' ');
}

/** Parse a formatLine() line back into its fields (for tests and scripts). */
export function parseLine(line: string): { type: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) fields[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  return { type: line.split(' ', 1)[0]!.replace(/:$/, ''), fields };
}

/**
 * Environment for the exec sink, like AIX errnotify's $1..$9 but named:
 * RASLOG_TYPE, RASLOG_KEY, RASLOG_SEVERITY, RASLOG_SEQ, RASLOG_SSEQ, RASLOG_BOOT,
 * RASLOG_TIME, RASLOG_HOST, RASLOG_MESSAGE (the formatLine), RASLOG_JSON (the whole event)
 * and RASLOG_<FIELD> for every scalar field (RASLOG_COMM, RASLOG_PID, RASLOG_SIGNAL, RASLOG_UNIT, …)
 * and nested task fields (RASLOG_SENDER_PID, RASLOG_SENDER_COMM, RASLOG_CORE_REASON, …).
 */
export function eventEnv(ev: SinkEvent, host = hostname()): Record<string, string> {
  const env: Record<string, string> = {};
  const put = (prefix: string, o: Record<string, unknown>, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      const name = `${prefix}${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      if (v === null || v === undefined) continue;
      if (typeof v === 'object' && !Array.isArray(v)) {
        if (depth < 2) put(`${name}_`, v as Record<string, unknown>, depth + 1);
      } else if (Array.isArray(v)) env[name] = JSON.stringify(v);
      else env[name] = String(v);
    }
  };
  put('RASLOG_', ev, 0);
  env.RASLOG_TYPE = ev.type;
  env.RASLOG_KEY = eventKey(ev);
  env.RASLOG_SEVERITY = severityOf(ev);
  env.RASLOG_HOST = host;
  env.RASLOG_MESSAGE = formatLine(ev);
  env.RASLOG_JSON = JSON.stringify(ev);
  return env;
}
