/*
 * syslog sink.
 *
 * transport `syslog` (default): syslog(3) through the posix module, with the
 * configured ident and facility, to /dev/log — whatever owns it (rsyslogd,
 * journald). The call runs in a helper child process (syslog-helper.cjs) so
 * a stuck syslog daemon cannot block raslogd; the helper probes /dev/log
 * before and after each message, so "no syslog daemon" is a retried failure
 * rather than a silent drop. syslog(3) has no acknowledgement: a message
 * handed to a live daemon counts as delivered (docs/sinks.md).
 *
 * transport `tcp`: RFC 5424 with octet-counting framing (RFC 6587) to
 * host:port (e.g. rsyslog imtcp); `udp`: RFC 5424 datagrams. Neither has an
 * application-level acknowledgement either.
 *
 * The message is formatLine(): `process_death comm=nginx pid=8877 … key=<region>:<seq>`.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FACILITIES, type SyslogSinkConfig } from './config.ts';
import { eventKey, formatLine, severityOf, SEVERITIES } from './event.ts';
import { DeliveryError, type Delivery, type Sink } from './types.ts';

export const HELPER_PATH = fileURLToPath(new URL('./syslog-helper.cjs', import.meta.url));

const FACILITY_CODE: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export interface SyslogSinkOptions {
  /**
   * Command prefix the helper is started under (tests run it in a private
   * mount namespace whose /dev/log is the test's rsyslogd). Default: none.
   */
  helperPrefix?: string[];
}

type Pending = { resolve: () => void; reject: (e: Error) => void };

/** The syslog(3) helper process. */
class Helper {
  private child: ChildProcess | null = null;
  private id = 0;
  private readonly waiting = new Map<number, Pending>();

  constructor(
    private readonly cfg: SyslogSinkConfig,
    private readonly prefix: string[],
  ) {}

  /** The helper process, started now if there is none (a node start: ~50 ms, seconds under emulation). */
  start(): ChildProcess {
    if (this.child) return this.child;
    const argv = [...this.prefix, process.execPath, HELPER_PATH, this.cfg.ident, this.cfg.facility, this.cfg.probe_path, String(this.cfg.confirm_ms)];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let r: { id: number; ok: boolean; error?: string };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        return;
      }
      const p = this.waiting.get(r.id);
      if (!p) return;
      this.waiting.delete(r.id);
      if (r.ok) p.resolve();
      else p.reject(new DeliveryError(r.error ?? 'syslog helper failed'));
    });
    child.on('exit', (code, sig) => {
      if (this.child === child) this.child = null;
      for (const p of this.waiting.values()) p.reject(new DeliveryError(`syslog helper exited (${sig ?? code})`));
      this.waiting.clear();
    });
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    this.child = child;
    return child;
  }

  send(level: string, msg: string, signal: AbortSignal): Promise<void> {
    const child = this.start();
    const id = ++this.id;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(id);
        // a syslog(3) call that does not return: the daemon is stuck; start a fresh helper next time
        this.kill();
        reject(signal.reason instanceof Error ? signal.reason : new DeliveryError('syslog(3) timed out'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      child.stdin!.write(`${JSON.stringify({ id, level, msg })}\n`);
    });
  }

  kill(): void {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGKILL');
  }

  async close(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 2000);
      c.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.stdin!.end();
    });
  }
}

/** RFC 5424 line: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [raslog@32473 key=".." type=".."] MSG */
export function rfc5424(cfg: SyslogSinkConfig, d: Delivery, host = hostname()): string {
  const sev = SEVERITIES.indexOf(severityOf(d.event));
  const pri = FACILITY_CODE[cfg.facility]! * 8 + sev;
  const esc = (s: string) => s.replace(/["\\\]]/g, (c) => `\\${c}`);
  const sd = `[raslog@32473 key="${esc(d.key)}" type="${esc(d.event.type)}"]`;
  return `<${pri}>1 ${new Date().toISOString()} ${host || '-'} ${cfg.ident} ${process.pid} ${d.event.type} ${sd} ${formatLine(d.event)}`;
}

export class SyslogSink implements Sink {
  readonly kind = 'syslog' as const;
  readonly name: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  private helper: Helper | null = null;
  private tcp: Socket | null = null;
  private tcpReady: Promise<Socket> | null = null;
  private udp: UdpSocket | null = null;

  constructor(
    readonly cfg: SyslogSinkConfig,
    opts: SyslogSinkOptions = {},
  ) {
    if (!FACILITIES.includes(cfg.facility)) throw new Error(`bad facility ${cfg.facility}`);
    this.name = cfg.name;
    this.timeoutMs = cfg.timeout_ms;
    // the helper and a TCP stream keep the order; each syslog(3) message waits confirm_ms for its
    // confirmation, so the window must be wide for throughput (512 / 100 ms ≈ 5000 messages/s)
    this.concurrency = cfg.concurrency ?? (cfg.transport === 'syslog' ? 512 : cfg.transport === 'udp' ? 8 : 1);
    if (cfg.transport === 'syslog') this.helper = new Helper(cfg, opts.helperPrefix ?? []);
  }

  /**
   * Start the syslog(3) helper ahead of the first message (Outbox.start()): a watched
   * process's death must not wait for a process start (issue 4 §4: notified within 1 s).
   */
  start(): void {
    this.helper?.start();
  }

  /** The line sent (without syslog header). */
  message(d: Delivery): string {
    return formatLine(d.key === eventKey(d.event) ? d.event : { ...d.event, key: d.key });
  }

  async send(d: Delivery, signal: AbortSignal): Promise<void> {
    switch (this.cfg.transport) {
      case 'syslog':
        return this.helper!.send(severityOf(d.event), this.message(d), signal);
      case 'tcp':
        return this.sendTcp(rfc5424(this.cfg, d), signal);
      case 'udp':
        return this.sendUdp(rfc5424(this.cfg, d));
    }
  }

  private connectTcp(signal: AbortSignal): Promise<Socket> {
    if (this.tcp && !this.tcp.destroyed && this.tcp.writable) return Promise.resolve(this.tcp);
    if (this.tcpReady) return this.tcpReady;
    this.tcpReady = new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.cfg.host, port: this.cfg.port });
      s.setNoDelay(true);
      const fail = (e: Error) => {
        this.tcpReady = null;
        s.destroy();
        reject(new DeliveryError(`syslog tcp ${this.cfg.host}:${this.cfg.port}: ${e.message}`));
      };
      s.once('error', fail);
      signal.addEventListener('abort', () => fail(new Error('connect timed out')), { once: true });
      s.once('connect', () => {
        s.off('error', fail);
        s.on('error', () => s.destroy());
        s.on('end', () => s.destroy());
        s.on('close', () => {
          if (this.tcp === s) this.tcp = null;
        });
        s.resume(); // the server sends nothing; notice FIN promptly
        this.tcp = s;
        this.tcpReady = null;
        resolve(s);
      });
    });
    return this.tcpReady;
  }

  private async sendTcp(line: string, signal: AbortSignal): Promise<void> {
    const s = await this.connectTcp(signal);
    const frame = `${Buffer.byteLength(line)} ${line}`;
    await new Promise<void>((resolve, reject) => {
      s.write(frame, (err) => (err ? reject(new DeliveryError(`syslog tcp: ${err.message}`)) : resolve()));
    });
  }

  private sendUdp(line: string): Promise<void> {
    if (!this.udp) {
      this.udp = createSocket(this.cfg.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.on('error', () => undefined);
      this.udp.unref();
    }
    const u = this.udp;
    return new Promise((resolve, reject) => {
      u.send(line, this.cfg.port, this.cfg.host, (err) => (err ? reject(new DeliveryError(`syslog udp: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    await this.helper?.close();
    this.tcp?.end();
    this.tcp?.destroy();
    this.tcp = null;
    this.udp?.close();
    this.udp = null;
  }
}
