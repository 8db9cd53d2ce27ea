/*
 * raslogd configuration: an INI-like file (etc/raslog.conf), `key = value`
 * lines under `[section]` headers, `#` or `;` comments. Every value is
 * validated (zod); an unknown section or key, or a bad value, is an error
 * naming the file, the line and the key, and the daemon refuses to start (or,
 * on SIGHUP, keeps the configuration it has).
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cronFor } from '../collectors/netstats.ts';
import { DEFAULT_RETENTION } from '../store/retention.ts';
import { EVENT_TYPES } from '../store/types.ts';
import cron from 'node-cron';
import {
  ExecSinkSchema,
  HttpSinkSchema,
  ImportantSchema,
  RouteSchema,
  SnmpSinkSchema,
  SuppressSchema,
  SyslogSinkSchema,
  SinksConfigError,
  parseSinksConfig,
  type SinksConfig,
} from '../sinks/config.ts';
import { SEVERITIES } from '../sinks/event.ts';
import { WATCH_PATH } from '../sinks/watchlist.ts';

export const DEFAULT_CONFIG_PATH = '/etc/raslog.conf';

export class ConfigError extends Error {}

const bool = z
  .string()
  .transform((s, ctx) => {
    const v = s.toLowerCase();
    if (['yes', 'true', 'on', '1'].includes(v)) return true;
    if (['no', 'false', 'off', '0'].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: 'expected yes or no' });
    return z.NEVER;
  });
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const path = z.string().min(1, 'expected a path').regex(/^\//, 'expected an absolute path');
const optPath = z.string().regex(/^(\/.*)?$/, 'expected an absolute path or nothing');
const days = int(1, 36525);
/** Words separated by white space or commas. */
const list = z.string().transform((s) => s.split(/[\s,]+/).filter(Boolean));
const ms = (min: number, max: number) => int(min, max);
const nameRe = /^[A-Za-z0-9][A-Za-z0-9_.@:-]*$/;

const SCHEMA: Record<string, Record<string, z.ZodType>> = {
  '': {
    data_dir: path,
    log_level: z.enum(['error', 'warn', 'info', 'debug'], { message: 'expected error, warn, info or debug' }),
  },
  kmod: {
    enabled: bool,
    device: path,
    poll_interval_ms: int(10, 60_000),
    hole_settle_ms: int(0, 600_000),
  },
  boot: {
    boot_id: path,
    uptime: path,
  },
  pstore: {
    enabled: bool,
    dir: path,
    delete_after_import: bool,
    rescan_interval: int(0, 86_400),
  },
  netstats: {
    enabled: bool,
    path,
    interval: int(1, 86_400).refine((n) => cronFor(n) !== null, 'must divide 60 s, 1 h or 24 h (e.g. 10, 30, 60, 300)'),
    interfaces: z.string(),
  },
  store: {
    sync: bool,
    prune_schedule: z.string().refine((s) => cron.validate(s), 'expected a cron expression such as "17 3 * * *"'),
  },
  retention: Object.fromEntries(['default', ...EVENT_TYPES.filter((t) => t !== 'checkpoint')].map((t) => [t, days])),
  /* notifications (docs/sinks.md); [sink NAME] and [route] sections are parsed by parseSinkSection/parseRouteSection */
  notify: {
    hostname: z.string(),
    sync: bool,
    retry_min_ms: ms(1, 3_600_000),
    retry_max_ms: ms(1, 86_400_000),
  },
  suppress: {
    enabled: bool,
    window_s: int(1, 86_400),
    flap_threshold: int(1, 10_000),
    storm_threshold: int(1, 100_000),
  },
  important: {
    comm: list.pipe(ImportantSchema.shape.comm.unwrap()),
    exe: list.pipe(ImportantSchema.shape.exe.unwrap()),
    unit: list.pipe(ImportantSchema.shape.unit.unwrap()),
    cgroup: list.pipe(z.array(z.string().regex(/^\//, 'cgroup entries are absolute paths (/system.slice/…)'))),
    watch_list: optPath,
  },
};

/** Section headers that take a name or repeat: `[sink NAME]` (one per sink), `[route]` (one per rule, in order). */
const MULTI = ['sink', 'route'];

export interface Config {
  path: string | null;
  data_dir: string;
  log_level: 'error' | 'warn' | 'info' | 'debug';
  kmod: { enabled: boolean; device: string; poll_interval_ms: number; hole_settle_ms: number };
  boot: { boot_id: string; uptime: string };
  pstore: { enabled: boolean; dir: string; delete_after_import: boolean; rescan_interval: number };
  netstats: { enabled: boolean; path: string; interval: number; interfaces: string[] | null };
  store: { sync: boolean; prune_schedule: string };
  retention: Record<string, number>;
  /** Notification config for createNotifier() (validated by parseSinksConfig). */
  notify: SinksConfig;
  /** Where the important processes are written (the module's watch list); '' = never written. */
  watch_list: string;
}

export function defaultConfig(): Config {
  return {
    path: null,
    data_dir: '/var/lib/raslog',
    log_level: 'info',
    kmod: { enabled: true, device: '/dev/raslog', poll_interval_ms: 100, hole_settle_ms: 1000 },
    boot: { boot_id: '/proc/sys/kernel/random/boot_id', uptime: '/proc/uptime' },
    pstore: { enabled: true, dir: '/sys/fs/pstore', delete_after_import: false, rescan_interval: 300 },
    netstats: { enabled: true, path: '/proc/net/dev', interval: 60, interfaces: null },
    store: { sync: true, prune_schedule: '17 3 * * *' },
    retention: { ...DEFAULT_RETENTION },
    notify: parseSinksConfig({}),
    watch_list: WATCH_PATH,
  };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** Split a command line into words: white space separates; '…' quotes literally; "…" quotes with \" and \\ escapes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated ' quote");
      cur += s.slice(i + 1, end);
      have = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new Error('unterminated " quote');
      have = true;
      i = j;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

interface Entry {
  key: string;
  value: string;
  line: number;
}
interface MultiSection {
  kind: 'sink' | 'route';
  name: string;
  line: number;
  entries: Entry[];
}

const SINK_SCHEMAS = { syslog: SyslogSinkSchema, snmp: SnmpSinkSchema, http: HttpSinkSchema, exec: ExecSinkSchema } as const;
type SinkKind = keyof typeof SINK_SCHEMAS;
/** Keys of the sink schemas that a config file cannot set (or sets under another name). */
const SINK_HIDDEN = new Set(['name', 'kind', 'ca_pem', 'headers']);
/** Repeatable keys: `header = Name: value` (http), `env = NAME=value` (exec). */
const SINK_REPEAT: Record<string, string> = { header: 'http', env: 'exec' };
const SINK_INTS = new Set(['timeout_ms', 'concurrency', 'port', 'confirm_ms', 'retries']);
const ROUTE_TYPES = new Set<string>([...EVENT_TYPES, 'summary', 'test']);

function sinkKeys(kind: SinkKind): string[] {
  return [...Object.keys(SINK_SCHEMAS[kind].shape).filter((k) => !SINK_HIDDEN.has(k) && k !== 'env'), ...Object.keys(SINK_REPEAT).filter((k) => SINK_REPEAT[k] === kind)];
}

/** Convert a config string for a sink or route key into the schema's input type. */
function convert(key: string, value: string): unknown {
  if (key === 'enabled' || key === 'watched' || key === 'final') {
    const r = bool.safeParse(value);
    if (!r.success) throw new Error('expected yes or no');
    return r.data;
  }
  if (SINK_INTS.has(key)) {
    if (!/^\d+$/.test(value)) throw new Error('expected a whole number');
    return Number(value);
  }
  if (key === 'command') return splitWords(value);
  if (key === 'managers') {
    return value
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((m) => {
        const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(m);
        if (v6) return v6[2] ? { host: v6[1]!, port: Number(v6[2]) } : { host: v6[1]! };
        const hp = /^([^:\s\[\]]+)(?::(\d+))?$/.exec(m);
        if (!hp) throw new Error(`expected HOST or HOST:PORT (IPv6: [ADDR]:PORT), got ${JSON.stringify(m)}`);
        return hp[2] ? { host: hp[1]!, port: Number(hp[2]) } : { host: hp[1]! };
      });
  }
  if (key === 'sinks' || key === 'types' || key === 'comm' || key === 'unit') return value.split(/[\s,]+/).filter(Boolean);
  return value;
}

function zodMessage(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid value';
  const at = i.path.length ? `${i.path.join('.')}: ` : '';
  return `${at}${i.message}`;
}

/** Parse and validate config text. `name` is used in messages (file path). */
export function parseConfig(text: string, name: string): Config {
  const cfg = defaultConfig();
  cfg.path = name;
  let section = '';
  let multi: MultiSection | null = null;
  const multis: MultiSection[] = [];
  const seen = new Map<string, number>();
  // notification settings given in the file ([notify], [suppress], [important]); parseSinksConfig fills the rest
  const notify: { hostname?: string; sync?: boolean; retry?: Record<string, number> } = {};
  const suppress: Record<string, unknown> = {};
  const important: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const no = i + 1;
    const raw = lines[i]!;
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const where = `${name}:${no}`;
    const sec = /^\[\s*([a-z_]+)(?:\s+([^\]]*?))?\s*\]$/.exec(line);
    if (sec) {
      const sname = sec[1]!;
      const arg = sec[2];
      const known = () => [...Object.keys(SCHEMA).filter(Boolean).map((s) => `[${s}]`), '[sink NAME]', '[route]'].join(', ');
      if (MULTI.includes(sname)) {
        if (sname === 'sink') {
          if (!arg) throw new ConfigError(`${where}: [sink] needs a name: [sink NAME]`);
          if (!nameRe.test(arg) || arg.length > 64) {
            throw new ConfigError(`${where}: [sink ${arg}]: sink names are letters, digits and _ . @ : - (no spaces or "!")`);
          }
          const dup = multis.find((m) => m.kind === 'sink' && m.name === arg);
          if (dup) throw new ConfigError(`${where}: [sink ${arg}] already defined on line ${dup.line}`);
        } else if (arg) throw new ConfigError(`${where}: [route] takes no name`);
        multi = { kind: sname as 'sink' | 'route', name: arg ?? String(multis.filter((m) => m.kind === 'route').length + 1), line: no, entries: [] };
        multis.push(multi);
        section = sname;
        continue;
      }
      if (!(sname in SCHEMA) || sname === '' || arg !== undefined) {
        throw new ConfigError(`${where}: unknown section [${sec[1]}${arg !== undefined ? ` ${arg}` : ''}] (known: ${known()})`);
      }
      multi = null;
      section = sname;
      continue;
    }
    const kv = /^([a-z_][a-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new ConfigError(`${where}: expected "key = value", "[section]" or a comment`);
    const key = kv[1]!;
    const value = unquote(kv[2]!.replace(/\s+#.*$/, '').trim());
    if (multi) {
      const full = multi.kind === 'sink' ? `sink ${multi.name}: ${key}` : `route ${multi.name}: ${key}`;
      const prev = multi.entries.find((e) => e.key === key);
      if (prev && !(key in SINK_REPEAT)) throw new ConfigError(`${where}: ${full} already set on line ${prev.line}`);
      // command lines keep their quotes (splitWords reads them)
      multi.entries.push({ key, value: key === 'command' ? kv[2]!.replace(/\s+#.*$/, '').trim() : value, line: no });
      continue;
    }
    const full = section ? `${section}.${key}` : key;
    const schema = SCHEMA[section]![key];
    if (!schema) {
      throw new ConfigError(
        `${where}: unknown key ${full}${section ? ` in [${section}]` : ''} (known: ${Object.keys(SCHEMA[section]!).join(', ')})`,
      );
    }
    if (seen.has(full)) throw new ConfigError(`${where}: ${full} already set on line ${seen.get(full)}`);
    seen.set(full, no);
    const r = schema.safeParse(value);
    if (!r.success) {
      const msg = r.error.issues[0]?.message ?? 'invalid value';
      throw new ConfigError(`${where}: ${full} = ${JSON.stringify(value)}: ${msg}`);
    }
    const v = r.data as never;
    if (section === '') (cfg as unknown as Record<string, unknown>)[key] = v;
    else if (section === 'retention') cfg.retention[key] = v;
    else if (section === 'netstats' && key === 'interfaces') {
      const list = (v as string).split(/[\s,]+/).filter(Boolean);
      cfg.netstats.interfaces = list.length ? list : null;
    } else if (section === 'notify') {
      if (key === 'hostname') {
        if (v) notify.hostname = v;
      } else if (key === 'sync') notify.sync = v;
      else (notify.retry ??= {})[key === 'retry_min_ms' ? 'min_ms' : 'max_ms'] = v;
    } else if (section === 'suppress') suppress[key] = v;
    else if (section === 'important') {
      if (key === 'watch_list') cfg.watch_list = v;
      else important[key] = v;
    } else (cfg as unknown as Record<string, Record<string, unknown>>)[section]![key] = v;
  }
  const sinks = multis.filter((m) => m.kind === 'sink').map((m) => parseSinkSection(m, name));
  const routes = multis.filter((m) => m.kind === 'route').map((m) => parseRouteSection(m, name, sinks.map((s) => s.name as string)));
  if (notify.retry && (notify.retry.min_ms ?? 1000) > (notify.retry.max_ms ?? 300_000)) {
    throw new ConfigError(`${name}:${seen.get('notify.retry_min_ms') ?? seen.get('notify.retry_max_ms')}: notify.retry_min_ms must not exceed notify.retry_max_ms`);
  }
  try {
    cfg.notify = parseSinksConfig({ ...notify, sinks, ...(routes.length ? { routes } : {}), important, suppress });
  } catch (e) {
    if (e instanceof SinksConfigError) throw new ConfigError(`${name}: ${e.message.replace(/\n/g, ' ')}`);
    throw e;
  }
  return cfg;
}

function parseSinkSection(m: MultiSection, file: string): Record<string, unknown> {
  const head = `${file}:${m.line}: [sink ${m.name}]`;
  const kindE = m.entries.find((e) => e.key === 'kind');
  if (!kindE) throw new ConfigError(`${head}: kind = syslog, snmp, http or exec is required`);
  if (!(kindE.value in SINK_SCHEMAS)) {
    throw new ConfigError(`${file}:${kindE.line}: sink ${m.name}: kind = ${JSON.stringify(kindE.value)}: expected syslog, snmp, http or exec`);
  }
  const kind = kindE.value as SinkKind;
  const schema = SINK_SCHEMAS[kind];
  const shape = schema.shape as Record<string, z.ZodType>;
  const keys = sinkKeys(kind);
  const out: Record<string, unknown> = { name: m.name, kind };
  for (const e of m.entries) {
    if (e.key === 'kind') continue;
    const where = `${file}:${e.line}: sink ${m.name}: ${e.key} = ${JSON.stringify(e.value)}`;
    if (!keys.includes(e.key)) {
      throw new ConfigError(`${file}:${e.line}: unknown key ${e.key} for a ${kind} sink in [sink ${m.name}] (known: kind, ${keys.join(', ')})`);
    }
    if (e.value === '') continue; // empty: the default
    if (e.key === 'header' || e.key === 'env') {
      const sep = e.key === 'header' ? e.value.indexOf(':') : e.value.indexOf('=');
      const k = sep > 0 ? e.value.slice(0, sep).trim() : '';
      if (!k || (e.key === 'header' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) || (e.key === 'env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))) {
        throw new ConfigError(`${where}: expected ${e.key === 'header' ? '"Name: value"' : '"NAME=value"'}`);
      }
      const field = e.key === 'header' ? 'headers' : 'env';
      ((out[field] ??= {}) as Record<string, string>)[k] = e.value.slice(sep + 1).trim();
      continue;
    }
    let v: unknown;
    try {
      v = convert(e.key, e.value);
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
    const r = shape[e.key]!.safeParse(v);
    if (!r.success) throw new ConfigError(`${where}: ${zodMessage(r.error)}`);
    out[e.key] = v;
  }
  const r = schema.safeParse(out);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const missing = i.path.length === 1 && out[String(i.path[0])] === undefined;
    throw new ConfigError(`${head}: ${missing ? `${String(i.path[0])} is required` : zodMessage(r.error)}`);
  }
  return out;
}

function parseRouteSection(m: MultiSection, file: string, sinkNames: string[]): Record<string, unknown> {
  const shape = RouteSchema.shape as Record<string, z.ZodType>;
  const out: Record<string, unknown> = {};
  for (const e of m.entries) {
    const where = `${file}:${e.line}: route ${m.name}: ${e.key} = ${JSON.stringify(e.value)}`;
    if (!(e.key in shape)) throw new ConfigError(`${file}:${e.line}: unknown key ${e.key} in [route] (known: ${Object.keys(shape).join(', ')})`);
    if (e.value === '' && e.key !== 'sinks') continue;
    let v: unknown;
    try {
      v = convert(e.key, e.value);
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
    if (e.key === 'min_severity' && !(SEVERITIES as readonly string[]).includes(e.value)) {
      throw new ConfigError(`${where}: expected one of ${SEVERITIES.join(', ')}`);
    }
    const r = shape[e.key]!.safeParse(v);
    if (!r.success) throw new ConfigError(`${where}: ${e.key === 'sinks' ? 'expected one or more sink names (or *)' : zodMessage(r.error)}`);
    if (e.key === 'sinks') {
      const bad = (v as string[]).find((n) => n !== '*' && !sinkNames.includes(n));
      if (bad !== undefined) {
        throw new ConfigError(`${where}: no sink named "${bad}" (configured: ${sinkNames.join(', ') || 'none'})`);
      }
    }
    if (e.key === 'types') {
      const bad = (v as string[]).find((t) => !ROUTE_TYPES.has(t));
      if (bad !== undefined) throw new ConfigError(`${where}: unknown event type "${bad}" (known: ${[...ROUTE_TYPES].join(', ')})`);
    }
    out[e.key] = v;
  }
  if (!out.sinks) throw new ConfigError(`${file}:${m.line}: [route] (rule ${m.name}): sinks is required`);
  return out;
}

/** Load a config file. A missing default file means the defaults; a missing explicit file is an error. */
export function loadConfig(file: string | undefined): Config {
  const p = file ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' && file === undefined) return defaultConfig();
    throw new ConfigError(`cannot read ${p}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  return parseConfig(text, p);
}
