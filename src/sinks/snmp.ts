/*
 * SNMP sink: SNMPv2c informs (default: acknowledged by the manager, retried
 * until it answers) or traps (fire and forget: a trap to nobody "succeeds")
 * to one manager per sink instance. Notifications and varbinds are those of
 * etc/mib/RASLOG-MIB.txt (OIDs under enterprises.32473, the RFC 5612
 * documentation PEN — see docs/sinks.md).
 */

import { hostname } from 'node:os';
import type { Session, Varbind } from 'net-snmp';
import type { SnmpSinkConfig } from './config.ts';
import { coreSummary, formatLine, severityOf, SEVERITIES, type SinkEvent } from './event.ts';
import { DeliveryError, type Delivery, type Sink } from './types.ts';

/** RASLOG-MIB::raslogMIB */
export const RASLOG_OID = '1.3.6.1.4.1.32473.7';
export const NOTIFY_OID = `${RASLOG_OID}.0`;
export const OBJECT_OID = `${RASLOG_OID}.1`;

type VType = 'str' | 'int' | 'uint';

type NetSnmp = typeof import('net-snmp').default;
let netSnmp: Promise<NetSnmp> | null = null;
/**
 * net-snmp, loaded at the first SNMP sink: it costs raslogd ~3-6 MiB of memory
 * (its MIB parser, BER codec), for nothing when no SNMP sink is configured.
 */
export function loadNetSnmp(): Promise<NetSnmp> {
  netSnmp ??= import('net-snmp').then((m) => m.default);
  return netSnmp;
}

/** raslogObjects: name → [sub-id, type, value]. Order is the MIB's. */
export const OBJECTS: Record<string, [number, VType, (ev: SinkEvent, key: string, host: string) => unknown]> = {
  raslogEventKey: [1, 'str', (_e, k) => k],
  raslogEventType: [2, 'str', (e) => e.type],
  raslogEventSeverity: [3, 'int', (e) => SEVERITIES.indexOf(severityOf(e))],
  raslogEventTime: [4, 'str', (e) => e.time ?? ''],
  raslogEventBoot: [5, 'uint', (e) => e.boot ?? 0],
  raslogEventHost: [6, 'str', (_e, _k, h) => h],
  raslogEventText: [7, 'str', (e) => formatLine(e)],
  raslogProcComm: [8, 'str', (e) => e.comm ?? ''],
  raslogProcPid: [9, 'uint', (e) => e.tgid ?? e.pid ?? 0],
  raslogProcUid: [10, 'uint', (e) => e.uid ?? 0],
  raslogProcUnit: [11, 'str', (e) => e.unit ?? ''],
  raslogProcSignal: [12, 'str', (e) => e.signal ?? ''],
  raslogProcCause: [13, 'str', (e) => e.cause ?? ''],
  raslogProcExitCode: [14, 'int', (e) => (typeof e.exit_code === 'number' ? e.exit_code : -1)],
  raslogProcWatched: [15, 'int', (e) => (e.watched === true ? 1 : 2)],
  raslogSenderComm: [16, 'str', (e) => (e.sender as { comm?: string } | null)?.comm ?? ''],
  raslogSenderPid: [17, 'uint', (e) => (e.sender as { tgid?: number; pid?: number } | null)?.tgid ?? (e.sender as { pid?: number } | null)?.pid ?? 0],
  raslogCoreOutcome: [18, 'str', (e) =>
    e.type === 'coredump' ? coreSummary(e) : e.core && typeof e.core === 'object' ? coreSummary(e.core as object) : e.core_flag ? 'dumped' : ''],
  raslogShutdownAction: [19, 'str', (e) => e.action ?? ''],
  raslogInitiatorComm: [20, 'str', (e) => (e.initiator as { comm?: string } | null)?.comm ?? (e.task as { comm?: string } | null)?.comm ?? ''],
  raslogInitiatorPid: [21, 'uint', (e) => (e.initiator as { tgid?: number } | null)?.tgid ?? (e.task as { pid?: number } | null)?.pid ?? 0],
  raslogPanicMessage: [22, 'str', (e) => e.message ?? ''],
  raslogCpu: [23, 'uint', (e) => e.cpu ?? 0],
  raslogLostCount: [24, 'uint', (e) => e.count ?? 0],
  raslogSummaryCount: [25, 'uint', (e) => e.count ?? 0],
  raslogSummaryFolded: [26, 'uint', (e) => e.folded ?? 0],
  raslogSenderUid: [27, 'uint', (e) => (e.sender as { uid?: number } | null)?.uid ?? 0],
};

const COMMON = ['raslogEventKey', 'raslogEventType', 'raslogEventSeverity', 'raslogEventTime', 'raslogEventBoot', 'raslogEventHost', 'raslogEventText'];

/** Notifications: event type → [name, sub-id under raslogNotifications, extra objects]. */
export const NOTIFICATIONS: Record<string, [string, number, string[]]> = {
  process_death: ['raslogProcessDeath', 1, ['raslogProcComm', 'raslogProcPid', 'raslogProcUid', 'raslogProcUnit', 'raslogProcSignal', 'raslogProcCause', 'raslogProcExitCode', 'raslogProcWatched', 'raslogSenderComm', 'raslogSenderPid', 'raslogCoreOutcome', 'raslogSenderUid']],
  coredump: ['raslogCoredump', 2, ['raslogProcComm', 'raslogProcPid', 'raslogProcUnit', 'raslogProcSignal', 'raslogCoreOutcome']],
  shutdown: ['raslogShutdown', 3, ['raslogShutdownAction', 'raslogInitiatorComm', 'raslogInitiatorPid']],
  panic: ['raslogPanic', 4, ['raslogInitiatorComm', 'raslogInitiatorPid', 'raslogPanicMessage']],
  dump_button: ['raslogDumpButton', 5, ['raslogCpu', 'raslogInitiatorComm', 'raslogInitiatorPid']],
  unexpected_shutdown: ['raslogUnexpectedShutdown', 6, []],
  records_lost: ['raslogRecordsLost', 7, ['raslogLostCount']],
  summary: ['raslogEventSummary', 8, ['raslogProcComm', 'raslogProcUnit', 'raslogSummaryCount', 'raslogSummaryFolded']],
  test: ['raslogTestNotification', 9, []],
  '*': ['raslogEvent', 10, []],
};

export function notificationFor(type: string): [string, number, string[]] {
  return NOTIFICATIONS[type] ?? NOTIFICATIONS['*']!;
}

/** The notification OID and varbinds (after sysUpTime and snmpTrapOID, which net-snmp adds). */
export async function varbindsFor(ev: SinkEvent, key: string, host = hostname()): Promise<{ oid: string; varbinds: Varbind[] }> {
  const snmp = await loadNetSnmp();
  const [, sub, extra] = notificationFor(ev.type);
  const varbinds: Varbind[] = [];
  for (const name of [...COMMON, ...extra]) {
    const [id, t, get] = OBJECTS[name]!;
    const v = get(ev, key, host);
    const oid = `${OBJECT_OID}.${id}.0`;
    if (t === 'str') {
      let s = typeof v === 'string' ? v : String(v ?? '');
      if (Buffer.byteLength(s) > 1024) s = Buffer.from(s).subarray(0, 1024).toString('utf8');
      varbinds.push({ oid, type: snmp.ObjectType.OctetString, value: s });
    } else {
      let n = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
      if (t === 'uint') n = Math.min(Math.max(n, 0), 0xffffffff);
      else n = Math.min(Math.max(n, -0x80000000), 0x7fffffff);
      varbinds.push({ oid, type: t === 'uint' ? snmp.ObjectType.Gauge : snmp.ObjectType.Integer, value: n });
    }
  }
  return { oid: `${NOTIFY_OID}.${sub}`, varbinds };
}

export class SnmpSink implements Sink {
  readonly kind = 'snmp' as const;
  readonly name: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  private session: Session | null = null;

  constructor(
    readonly cfg: SnmpSinkConfig,
    readonly manager: { host: string; port: number },
    name: string,
    private readonly host = hostname(),
  ) {
    this.name = name;
    this.timeoutMs = cfg.timeout_ms;
    this.concurrency = cfg.concurrency ?? 4;
    loadNetSnmp().catch(() => undefined); // ready by the first delivery (a failure surfaces there)
  }

  private sess(snmp: NetSnmp): Session {
    if (!this.session) {
      const per = Math.max(50, Math.floor(this.cfg.timeout_ms / (this.cfg.retries + 1)) - 10);
      this.session = snmp.createSession(this.manager.host, this.cfg.community, {
        version: snmp.Version2c,
        trapPort: this.manager.port,
        retries: this.cfg.retries,
        timeout: per,
        transport: this.manager.host.includes(':') ? 'udp6' : 'udp4',
      });
      this.session.on('error', () => undefined);
    }
    return this.session;
  }

  async send(d: Delivery, signal: AbortSignal): Promise<void> {
    const { oid, varbinds } = await varbindsFor(d.event, d.key, this.host);
    const s = this.sess(await loadNetSnmp());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new DeliveryError(`snmp ${this.cfg.mode} to ${this.manager.host}:${this.manager.port} timed out`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (err: Error | null) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(new DeliveryError(`snmp ${this.cfg.mode} to ${this.manager.host}:${this.manager.port}: ${err.message}`));
        else resolve();
      };
      try {
        if (this.cfg.mode === 'inform') s.inform(oid, varbinds, {}, (err) => done(err));
        else s.trap(oid, varbinds, {}, (err) => done(err));
      } catch (e) {
        done(e as Error);
      }
    });
  }

  async close(): Promise<void> {
    try {
      this.session?.close();
    } catch {
      /* already closed */
    }
    this.session = null;
  }
}
