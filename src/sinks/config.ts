/*
 * Notification configuration, validated with zod. The daemon's config loader
 * builds this object (from /etc/raslog.conf) and passes it to
 * parseSinksConfig(); every field has a default, so `{}` is valid (no sinks).
 */

import { z } from 'zod';
import { SEVERITIES } from './event.ts';

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@:-]*$/, 'sink names are letters, digits and _ . @ : - (no spaces or "!")')
  .max(64);
const ms = (def: number, min = 1, max = 3_600_000) => z.number().int().min(min).max(max).default(def);
const severity = z.enum(SEVERITIES);

const common = {
  name,
  enabled: z.boolean().default(true),
  /** One delivery's timeout (ms). */
  timeout_ms: ms(5000, 10, 600_000),
  /** Deliveries in flight at once for this sink. */
  concurrency: z.number().int().min(1).max(256).optional(),
};

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

export const SyslogSinkSchema = z.object({
  ...common,
  kind: z.literal('syslog'),
  /**
   * `syslog`: syslog(3) to /dev/log (through a helper process, see syslog.ts);
   * `tcp`: RFC 5424 over TCP with octet-counting framing (RFC 6587) to host:port;
   * `udp`: RFC 5424 datagrams to host:port.
   */
  transport: z.enum(['syslog', 'tcp', 'udp']).default('syslog'),
  ident: z.string().min(1).max(48).regex(/^\S+$/).default('raslogd'),
  facility: z.enum(FACILITIES).default('daemon'),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(514),
  /** syslog transport: socket whose liveness is probed before each message (see docs/sinks.md). */
  probe_path: z.string().default('/dev/log'),
  /**
   * syslog transport: a message counts as handed over once the daemon is still
   * listening this long after syslog(3) returned (0: right after the call).
   */
  confirm_ms: z.number().int().min(0).max(10_000).default(100),
});

export const SnmpSinkSchema = z.object({
  ...common,
  kind: z.literal('snmp'),
  /** One manager per entry; each gets its own queue (sink name `<name>/<host>:<port>`). */
  managers: z
    .array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535).default(162) }))
    .min(1),
  community: z.string().min(1).default('public'),
  /** inform: acknowledged, retried until the manager answers; trap: fire and forget (cannot be confirmed). */
  mode: z.enum(['inform', 'trap']).default('inform'),
  /** net-snmp retransmissions of an inform within one delivery attempt. */
  retries: z.number().int().min(0).max(10).default(1),
});

export const HttpSinkSchema = z.object({
  ...common,
  kind: z.literal('http'),
  url: z.string().url().refine((u) => /^https?:/.test(u), 'expected an http:// or https:// URL'),
  /** PEM file of the CA(s) that sign the console's certificate (default: the system CAs). */
  ca_file: z.string().optional(),
  ca_pem: z.string().optional(),
  /** Bearer token (Authorization: Bearer …), inline or read from a file. */
  token: z.string().optional(),
  token_file: z.string().optional(),
  /** Shared secret for X-Raslog-Signature: sha256=<hex HMAC-SHA256 of the body>. */
  hmac_secret: z.string().optional(),
  hmac_secret_file: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
});

export const ExecSinkSchema = z.object({
  ...common,
  kind: z.literal('exec'),
  /** argv; the event is in RASLOG_* environment variables (and JSON on stdin). */
  command: z.array(z.string()).min(1),
  /** Extra environment (PATH etc. are inherited). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
});

export const SinkSchema = z.discriminatedUnion('kind', [SyslogSinkSchema, SnmpSinkSchema, HttpSinkSchema, ExecSinkSchema]);

export const RouteSchema = z.object({
  /** Sink names, or ["*"] for every sink. */
  sinks: z.array(z.string()).min(1),
  /** Event types (summary included); empty/absent = any. */
  types: z.array(z.string()).optional(),
  /** Only events at least this severe. */
  min_severity: severity.optional(),
  /** true: only watch-list matches (event.watched, or comm/unit in `important`); false: only non-matches. */
  watched: z.boolean().optional(),
  /** Only these comms / units (exact). */
  comm: z.array(z.string()).optional(),
  unit: z.array(z.string()).optional(),
  /** Stop at this rule when it matches (later rules are not consulted). */
  final: z.boolean().default(false),
});

export const ImportantSchema = z.object({
  /** Command names (≤ 15 chars, as the kernel's comm). */
  comm: z.array(z.string().min(1)).default([]),
  /** Executable paths: the basename becomes a comm entry (truncated to 15 chars). */
  exe: z.array(z.string().min(1)).default([]),
  /** systemd units: watched by cgroup prefix /system.slice/<unit>. */
  unit: z.array(z.string().min(1)).default([]),
  /** Cgroup path prefixes, verbatim. */
  cgroup: z.array(z.string().regex(/^\//)).default([]),
});

export const SuppressSchema = z.object({
  enabled: z.boolean().default(true),
  /** Window over which restart loops and storms are counted (s). */
  window_s: z.number().int().min(1).max(86_400).default(300),
  /** Deaths of one unit/comm in a window that pass through before further ones are folded. */
  flap_threshold: z.number().int().min(1).max(10_000).default(3),
  /** Unwatched deaths in a window that pass through before further ones are folded. */
  storm_threshold: z.number().int().min(1).max(100_000).default(20),
});

export const SinksConfigSchema = z.object({
  /** Host name put in every message (default: os.hostname()). */
  hostname: z.string().optional(),
  sinks: z.array(SinkSchema).default([]),
  /** Default when absent: every event of severity notice or worse to every sink. */
  routes: z.array(RouteSchema).optional(),
  important: ImportantSchema.default({ comm: [], exe: [], unit: [], cgroup: [] }),
  suppress: SuppressSchema.default({ enabled: true, window_s: 300, flap_threshold: 3, storm_threshold: 20 }),
  retry: z
    .object({
      /** First retry delay (ms); doubles per consecutive failure, with ±20 % jitter. */
      min_ms: ms(1000, 1, 3_600_000),
      max_ms: ms(300_000, 1, 86_400_000),
    })
    .default({ min_ms: 1000, max_ms: 300_000 }),
  /** fsync outbox writes (enqueue); deliveries' removals are never synced (a lost removal = a duplicate). */
  sync: z.boolean().default(true),
});

export type SyslogSinkConfig = z.infer<typeof SyslogSinkSchema>;
export type SnmpSinkConfig = z.infer<typeof SnmpSinkSchema>;
export type HttpSinkConfig = z.infer<typeof HttpSinkSchema>;
export type ExecSinkConfig = z.infer<typeof ExecSinkSchema>;
export type SinkConfig = z.infer<typeof SinkSchema>;
export type RouteConfig = z.infer<typeof RouteSchema>;
export type ImportantConfig = z.infer<typeof ImportantSchema>;
export type SuppressConfig = z.infer<typeof SuppressSchema>;
export type SinksConfig = z.infer<typeof SinksConfigSchema>;
export type SinksConfigInput = z.input<typeof SinksConfigSchema>;

export class SinksConfigError extends Error {}

/** Validate; throws SinksConfigError with a readable multi-line message. */
export function parseSinksConfig(input: unknown): SinksConfig {
  const r = SinksConfigSchema.safeParse(input ?? {});
  if (!r.success) throw new SinksConfigError(`invalid notification config:\n${z.prettifyError(r.error)}`);
  const cfg = r.data;
  const names = new Set<string>();
  for (const s of cfg.sinks) {
    if (names.has(s.name)) throw new SinksConfigError(`invalid notification config: sink name "${s.name}" used twice`);
    names.add(s.name);
  }
  for (const [i, rt] of (cfg.routes ?? []).entries()) {
    for (const n of rt.sinks) {
      if (n !== '*' && !names.has(n)) {
        throw new SinksConfigError(`invalid notification config: routes[${i}] names sink "${n}", which is not configured`);
      }
    }
  }
  return cfg;
}
