/*
 * Real peers for the sink tests, on loopback, started and stopped by the
 * tests: rsyslogd (private config; imuxsock on a private socket that a
 * helper process sees as /dev/log through a private mount namespace, plus
 * imtcp/imudp), snmptrapd (v2c, disableAuthorization), and node http/https
 * servers (self-signed certificate made with openssl).
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/* peers still running when the process exits (a crashed test or bench) are killed */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});
function track(c: ChildProcess): ChildProcess {
  live.add(c);
  c.once('exit', () => live.delete(c));
  return c;
}

export function tempDir(prefix = 'raslog-sinks-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition', pollMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** A free loopback port (tcp or udp). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * A free loopback UDP port. Separate from freePort: a port free for TCP can
 * be held by a UDP client socket of another test process (net-snmp binds an
 * ephemeral UDP port), and then rsyslogd's imudp silently fails to bind.
 */
export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** True once a datagram sent to 127.0.0.1:port shows up via `seen`. */
async function udpAnswers(port: number, payload: string, seen: () => boolean): Promise<boolean> {
  const s = createSocket('udp4');
  s.on('error', () => undefined);
  try {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((res) => s.send(payload, port, '127.0.0.1', () => res()));
      await sleep(25);
      if (seen()) return true;
    }
    return false;
  } finally {
    s.close();
  }
}

function waitExit(c: ChildProcess, ms = 5000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/* ------------------------------------------------------------------ rsyslogd */

export interface Rsyslog {
  dir: string;
  /** imuxsock socket (what the sink's helper sees as /dev/log) */
  sock: string;
  tcpPort: number;
  udpPort: number;
  file: string;
  /** Lines written so far: "<severity> <facility> <tag> <msg>" */
  lines(): string[];
  start(): Promise<void>;
  /** SIGTERM and wait */
  stop(): Promise<void>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
  running(): boolean;
}

export async function startRsyslog(dir = tempDir('raslog-rsyslog-')): Promise<Rsyslog> {
  const sock = join(dir, 'log.sock');
  const file = join(dir, 'messages');
  const tcpPort = await freePort();
  const udpPort = await freeUdpPort();
  const conf = join(dir, 'rsyslog.conf');
  const pid = join(dir, 'rsyslogd.pid');
  mkdirSync(join(dir, 'work'), { recursive: true });
  writeFileSync(
    conf,
    `global(workDirectory="${dir}/work" maxMessageSize="16k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${sock}" CreatePath="on" RateLimit.Interval="0")
module(load="imtcp")
input(type="imtcp" port="${tcpPort}" address="127.0.0.1")
module(load="imudp")
input(type="imudp" port="${udpPort}" address="127.0.0.1")
template(name="raslogtest" type="string" string="%syslogseverity-text% %syslogfacility-text% %syslogtag% %msg%\\n")
*.* action(type="omfile" file="${file}" template="raslogtest" flushOnTXEnd="on" asyncWriting="off")
`,
  );
  let child: ChildProcess | null = null;
  const r: Rsyslog = {
    dir,
    sock,
    tcpPort,
    udpPort,
    file,
    lines() {
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter(Boolean);
    },
    async start() {
      rmSync(pid, { force: true });
      const c = track(spawn('rsyslogd', ['-n', '-f', conf, '-i', pid], { stdio: ['ignore', 'ignore', 'pipe'] }));
      let err = '';
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child = c;
      await waitFor(
        async () => {
          if (c.exitCode !== null) throw new Error(`rsyslogd exited ${c.exitCode}: ${err}`);
          if (!existsSync(sock)) return false;
          return new Promise<boolean>((res) => {
            const s = connect({ host: '127.0.0.1', port: tcpPort });
            s.on('connect', () => {
              s.destroy();
              res(true);
            });
            s.on('error', () => res(false));
          });
        },
        10_000,
        'rsyslogd to listen',
      );
      // imudp is up only when a probe datagram is written (UDP has no connect to try)
      const probe = `raslog-udp-probe-${process.pid}-${Date.now()}`;
      const seen = () => existsSync(file) && readFileSync(file, 'utf8').includes(probe);
      try {
        await waitFor(
          async () => {
            if (c.exitCode !== null) throw new Error(`rsyslogd exited ${c.exitCode}: ${err}`);
            return udpAnswers(udpPort, `<14>1 - - ${probe} - - - ready`, seen);
          },
          10_000,
          `rsyslogd imudp on 127.0.0.1:${udpPort}`,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; rsyslogd said: ${err.trim() || '(nothing)'}`);
      }
    },
    async stop() {
      const c = child;
      child = null;
      if (!c) return;
      c.kill('SIGTERM');
      await waitExit(c);
    },
    async kill() {
      const c = child;
      child = null;
      if (!c) return;
      c.kill('SIGKILL');
      await waitExit(c);
    },
    running: () => child !== null && child.exitCode === null,
  };
  await r.start();
  return r;
}

/**
 * Command prefix that runs a process with /dev/log → `sock`: a private mount
 * namespace (unshare -m, propagation private) in which /dev is replaced by a
 * small directory holding null, zero, random, urandom, full, tty (bind
 * mounts of the real ones), fd/stdin/stdout/stderr symlinks, and a `log`
 * symlink to the test's rsyslogd socket. A symlink (not a bind mount of the
 * socket) so that a restarted rsyslogd's new socket is found. The host's
 * /dev/log is never touched.
 */
export function devLogPrefix(dir: string, sock: string): string[] {
  const stage = join(dir, 'dev');
  mkdirSync(stage, { recursive: true });
  for (const f of ['null', 'zero', 'random', 'urandom', 'full', 'tty']) writeFileSync(join(stage, f), '');
  for (const [n, t] of [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['log', sock],
  ] as const) {
    rmSync(join(stage, n), { force: true });
    symlinkSync(t, join(stage, n));
  }
  const script = join(dir, 'devlog-ns.sh');
  writeFileSync(
    script,
    `set -e
stage=$1; shift
for f in null zero random urandom full tty; do mount --bind /dev/$f "$stage/$f"; done
mount --rbind "$stage" /dev
exec "$@"
`,
  );
  return ['unshare', '-m', '--propagation', 'private', 'sh', script, stage];
}

/** Parse "<sev> <fac> <tag> <msg>" lines of the test rsyslogd. */
export function parseRsyslogLine(l: string): { severity: string; facility: string; tag: string; msg: string } {
  const m = /^(\S+) (\S+) (\S+) ?(.*)$/.exec(l);
  if (!m) return { severity: '', facility: '', tag: '', msg: l };
  return { severity: m[1]!, facility: m[2]!, tag: m[3]!, msg: m[4]!.trim() };
}

/* ---------------------------------------------------------------- snmptrapd */

export interface TrapVarbind {
  oid: string;
  type: string;
  value: string;
}

export interface Snmptrapd {
  port: number;
  /** Notifications received so far (each a list of varbinds, sysUpTime first). */
  received(): TrapVarbind[][];
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

export function parseTrapLine(line: string): TrapVarbind[] {
  const body = line.replace(/^TRAP /, '');
  return body.split(/\|(?=\.\d+(?:\.\d+)* = )/).map((vb) => {
    const m = /^(\S+) = (?:([A-Za-z0-9-]+): )?(.*)$/.exec(vb);
    if (!m) return { oid: '', type: '', value: vb };
    let v = m[3]!;
    if (m[2] === 'STRING' || (m[2] === undefined && v.startsWith('"'))) {
      if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    return { oid: m[1]!, type: m[2] ?? 'STRING', value: v };
  });
}

export async function startSnmptrapd(dir = tempDir('raslog-snmptrapd-')): Promise<Snmptrapd> {
  const port = await freeUdpPort();
  const conf = join(dir, 'snmptrapd.conf');
  const pid = join(dir, 'snmptrapd.pid');
  const mibs = join(dir, 'mibs');
  mkdirSync(mibs, { recursive: true });
  writeFileSync(conf, 'disableAuthorization yes\nformat2 TRAP %V|%v\\n\n');
  let child: ChildProcess | null = null;
  let out = '';
  const t: Snmptrapd = {
    port,
    received() {
      return out
        .split('\n')
        .filter((l) => l.startsWith('TRAP '))
        .map(parseTrapLine);
    },
    async start() {
      rmSync(pid, { force: true });
      const c = track(
        spawn('snmptrapd', ['-f', '-Lo', '-C', '-c', conf, '-On', '-p', pid, `udp:127.0.0.1:${port}`], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, MIBS: '', MIBDIRS: mibs },
        }),
      );
      let started = false;
      const onData = (d: Buffer) => {
        const s = d.toString();
        out += s;
        if (!started && /NET-SNMP version/.test(out.slice(-s.length - 40))) started = true;
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      child = c;
      await waitFor(() => {
        if (c.exitCode !== null) throw new Error(`snmptrapd exited ${c.exitCode}: ${out}`);
        return started;
      }, 10_000, 'snmptrapd to start');
    },
    async stop() {
      const c = child;
      child = null;
      if (!c) return;
      c.kill('SIGTERM');
      await waitExit(c);
    },
    running: () => child !== null && child.exitCode === null,
  };
  await t.start();
  return t;
}

/* ------------------------------------------------------------- http(s) peer */

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface HttpPeer {
  port: number;
  url: string;
  requests: ReceivedRequest[];
  /** Accepted (2xx) requests' bodies, parsed. */
  accepted: { req: ReceivedRequest; json: Record<string, unknown> }[];
  /** What to answer: a status code, 'hang' (never answer), or a delay then 200. */
  mode: { status: number; hang: boolean; delayMs: number };
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

export interface TlsMaterial {
  caFile: string;
  caPem: string;
  keyPem: string;
  certPem: string;
}

/** A CA and a server certificate for 127.0.0.1/localhost, made with openssl. */
export function makeTls(dir = tempDir('raslog-tls-')): TlsMaterial {
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=raslog test CA']);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  o(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return {
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'srv.key'), 'utf8'),
    certPem: readFileSync(join(dir, 'srv.pem'), 'utf8'),
  };
}

export async function startHttpPeer(tls?: TlsMaterial, port?: number): Promise<HttpPeer> {
  const p = port ?? (await freePort());
  let server: http.Server | null = null;
  const sockets = new Set<import('node:net').Socket>();
  const peer: HttpPeer = {
    port: p,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${p}/raslog/events`,
    requests: [],
    accepted: [],
    mode: { status: 200, hang: false, delayMs: 0 },
    async start() {
      const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const r: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
          peer.requests.push(r);
          const { status, hang, delayMs } = peer.mode;
          if (hang) return; // never answer
          const answer = () => {
            if (status >= 200 && status < 300) {
              try {
                peer.accepted.push({ req: r, json: JSON.parse(r.body) as Record<string, unknown> });
              } catch {
                /* bad JSON is still answered */
              }
            }
            res.writeHead(status, { 'content-type': 'text/plain' });
            res.end(status < 300 ? 'ok' : 'unavailable');
          };
          if (delayMs) setTimeout(answer, delayMs);
          else answer();
        });
      };
      server = tls ? https.createServer({ key: tls.keyPem, cert: tls.certPem }, handler) : http.createServer(handler);
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(p, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      for (const so of sockets) so.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    running: () => server !== null,
  };
  await peer.start();
  return peer;
}

/* ------------------------------------------------------------------ events */

/** A stored process_death event as the store hands it to the outbox. */
export function deathEvent(n: number, over: Record<string, unknown> = {}): Record<string, unknown> & { type: string } {
  const ns = BigInt(Date.now()) * 1_000_000n + BigInt(n);
  return {
    type: 'process_death',
    sseq: n,
    seq: 1000 + n,
    region_id: '0123456789abcdef0123456789abcdef',
    boot: 3,
    region_boot: 3,
    time: new Date(Number(ns / 1_000_000n)).toISOString(),
    time_ns: ns.toString(),
    realtime_ns: ns.toString(),
    source: 'kmod',
    pid: 8000 + n,
    tgid: 8000 + n,
    uid: 0,
    comm: `proc${n % 7}`,
    exit_code: null,
    signal: 'SIGKILL',
    signo: 9,
    si_code: 0,
    cause: 'process',
    sender: { pid: 9001, tgid: 9001, uid: 0, comm: 'kill' },
    fault_addr: null,
    watched: false,
    core_flag: false,
    cgroup: `/system.slice/svc${n % 7}.service`,
    unit: `svc${n % 7}.service`,
    lane: 'process',
    ...over,
  };
}

/** Idempotency key of deathEvent(n). */
export const deathKey = (n: number) => `0123456789abcdef0123456789abcdef:${1000 + n}`;
