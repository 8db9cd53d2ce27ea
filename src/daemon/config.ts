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
};

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
}

export function defaultConfig(): Config {
  return {
    path: null,
    data_dir: '/var/lib/raslog',
    log_level: 'info',
    kmod: { enabled: true, device: '/dev/raslog', poll_interval_ms: 200, hole_settle_ms: 1000 },
    boot: { boot_id: '/proc/sys/kernel/random/boot_id', uptime: '/proc/uptime' },
    pstore: { enabled: true, dir: '/sys/fs/pstore', delete_after_import: false, rescan_interval: 300 },
    netstats: { enabled: true, path: '/proc/net/dev', interval: 60, interfaces: null },
    store: { sync: true, prune_schedule: '17 3 * * *' },
    retention: { ...DEFAULT_RETENTION },
  };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** Parse and validate config text. `name` is used in messages (file path). */
export function parseConfig(text: string, name: string): Config {
  const cfg = defaultConfig();
  cfg.path = name;
  let section = '';
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const no = i + 1;
    const raw = lines[i]!;
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const where = `${name}:${no}`;
    const sec = /^\[\s*([a-z_]+)\s*\]$/.exec(line);
    if (sec) {
      if (!(sec[1]! in SCHEMA) || sec[1] === '') {
        throw new ConfigError(`${where}: unknown section [${sec[1]}] (known: ${Object.keys(SCHEMA).filter(Boolean).map((s) => `[${s}]`).join(', ')})`);
      }
      section = sec[1]!;
      continue;
    }
    const kv = /^([a-z_][a-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new ConfigError(`${where}: expected "key = value", "[section]" or a comment`);
    const key = kv[1]!;
    const value = unquote(kv[2]!.replace(/\s+#.*$/, '').trim());
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
    } else (cfg as unknown as Record<string, Record<string, unknown>>)[section]![key] = v;
  }
  return cfg;
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
