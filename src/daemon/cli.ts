/*
 * raslogd's side of the native client (src/client/raslog-client.c): the
 * client forwards its argv and the parts of its environment the CLI reads;
 * raslogd runs the very same program (src/cli/program.ts) in-process, on its
 * open store (no round trip through its own socket), and streams the output
 * back. The client writes it and exits with the code; when raslogd answers
 * that it cannot run a request as the client's own Node CLI would (a command
 * that reads the client's files or sends notifications, a TZ that only a
 * process started with it can reproduce, a data dir that is not this
 * daemon's), the client runs the Node CLI itself.
 *
 * Request: one JSON line on the query socket (src/daemon/server.ts)
 *   {"op":"cli","v":1,"argv":[...],"cwd":"/home/x","socket":"<path the client connected to>",
 *    "env":{"TZ":..,"RASLOG_DATA_DIR":..,"RASLOG_SOCKET":..,"RASLOG_DEBUG":..},   (only those set)
 *    "stdout":{"tty":true,"columns":120},"stderr":{"tty":false}}
 * Answer: frames of a type byte, a payload length (uint32, big-endian) and the payload:
 *   'O' bytes for stdout, 'E' bytes for stderr, in the order written;
 *   'I' (empty) the command now ends cleanly on SIGINT/SIGTERM (show -f): the client forwards
 *       one by shutting down its writing side; until then those signals just end the client;
 *   'X' the exit code (int32), last;
 *   'F' run the Node CLI yourself (payload: why), instead of any other frame.
 * The connection closing (client killed, its stdout closed) ends the request: the query stops.
 */

import { readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import type { Backend } from '../cli/backend.ts';
import type { CliEnv, CliIO, Writer } from '../cli/io.ts';
import { runCli } from '../cli/program.ts';
import { StoreError } from '../store/errors.ts';
import { socketPath } from '../store/paths.ts';
import { handle, type Context, type Request } from '../store/service.ts';
import { PROCESS_ZONE, zoneOrNull, type Zone } from '../store/tz.ts';

/** The commands run for the client: the read-only store commands. */
export const FORWARDED: ReadonlySet<string> = new Set(['show', 'boots', 'status', 'verify', 'export', 'netstats']);

export interface CliRequest {
  op: 'cli';
  v?: number;
  argv: string[];
  cwd?: string;
  socket?: string;
  env?: Record<string, string>;
  stdout?: { tty?: boolean; columns?: number };
  stderr?: { tty?: boolean; columns?: number };
}

const zones = new Map<string, Zone | null>();

/**
 * The zone a Node CLI started by this client would have: its TZ (an IANA name), else the system's
 * (/etc/localtime, read now: it may have changed since raslogd started). null: only such a
 * process can tell (a POSIX TZ rule, a file path; /etc/localtime not a link while raslogd has a TZ).
 */
export function clientZone(tz: string | undefined): Zone | null {
  let name = tz;
  if (name === undefined) {
    let target = '';
    try {
      target = readlinkSync('/etc/localtime');
    } catch {
      /* absent or not a link */
    }
    const m = /(?:^|\/)zoneinfo\/(.+)$/.exec(target);
    if (m && zoneOrNull(m[1]!)) name = m[1]!;
    else return process.env.TZ === undefined ? PROCESS_ZONE : null;
  }
  let z = zones.get(name);
  if (z === undefined) {
    z = zoneOrNull(name);
    if (zones.size > 64) zones.clear();
    zones.set(name, z);
  }
  return z;
}

/** Why the request must run in the client's own Node CLI, or null when raslogd can run it. */
function refusal(req: CliRequest): string | null {
  if (req.v !== 1) return `protocol version ${String(req.v)}`;
  if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) return 'bad argv';
  if (!FORWARDED.has(req.argv[0] ?? '')) return `command "${req.argv[0] ?? ''}" is run by the Node CLI`;
  if (typeof req.cwd !== 'string' || typeof req.socket !== 'string') return 'no cwd or socket';
  return null;
}

const enc = (n: number) => {
  const h = Buffer.allocUnsafe(5);
  h.writeUInt32BE(n, 1);
  return h;
};

/** The frames of one answer. Held until the request is known to be served here (commit). */
class Frames {
  private pending: Buffer[] | null = [];
  constructor(
    private sock: Socket,
    private gone: AbortSignal,
  ) {}
  get closed(): boolean {
    return this.gone.aborted || this.sock.destroyed || !this.sock.writable;
  }
  get needsDrain(): boolean {
    return this.pending === null && this.sock.writableNeedDrain;
  }
  send(type: string, payload: Buffer = Buffer.alloc(0)): void {
    if (this.closed) return;
    const h = enc(payload.length);
    h[0] = type.charCodeAt(0);
    if (this.pending) {
      this.pending.push(h, payload);
      return;
    }
    this.sock.cork();
    this.sock.write(h);
    if (payload.length) this.sock.write(payload);
    this.sock.uncork();
  }
  commit(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.length && !this.closed) this.sock.write(Buffer.concat(p));
  }
  discard(): void {
    if (this.pending) this.pending = [];
  }
  drained(): Promise<void> {
    return new Promise((res) => {
      if (this.closed || !this.sock.writableNeedDrain) return res();
      const done = () => {
        this.sock.off('drain', done);
        this.sock.off('close', done);
        res();
      };
      this.sock.on('drain', done);
      this.sock.on('close', done);
    });
  }
  writer(type: 'O' | 'E', tty: { tty?: boolean; columns?: number } | undefined): Writer {
    const frames = this; // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      write: (s) => frames.send(type, Buffer.from(s, 'utf8')),
      get closed() {
        return frames.closed;
      },
      drained: () => this.drained(),
      isTTY: tty?.tty === true,
      columns: typeof tty?.columns === 'number' && tty.columns > 0 ? tty.columns : undefined,
    };
  }
}

/** Where the output goes, as the backend sees it: to stop on a closed reader, to wait on a slow one. */
interface Sink {
  readonly closed: boolean;
  readonly needsDrain: boolean;
  drained(): Promise<void>;
}

/** The store as the CLI sees it inside raslogd: the daemon's query service, called directly. */
class InDaemonBackend implements Backend {
  mode = 'daemon' as const;
  private ac = new AbortController();
  private signal: AbortSignal;
  constructor(
    private ctx: Context,
    private frames: Sink,
    gone: AbortSignal,
  ) {
    this.signal = AbortSignal.any([gone, this.ac.signal]);
  }
  request(req: Request, onItem?: (item: unknown) => boolean | void): Promise<unknown> {
    const { frames, signal } = this;
    return handle(
      this.ctx,
      req,
      (item) => {
        if (signal.aborted || frames.closed) return false;
        if (onItem && onItem(item) === false) return false;
        // a slow reader (a pager, a slow pipe): wait instead of buffering the store in memory
        if (frames.needsDrain) return frames.drained().then(() => !signal.aborted && !frames.closed);
      },
      signal,
    );
  }
  async close(): Promise<void> {
    this.ac.abort(); // a follow still waiting for events ends
  }
}

/**
 * Serve one client: run the program, stream its output as frames, end the connection.
 * gone: aborted when the connection closes.
 */
export async function serveCli(sock: Socket, req: CliRequest, ctx: Context, gone: AbortSignal): Promise<void> {
  const frames = new Frames(sock, gone);
  const fallback = (why: string) => {
    frames.discard();
    frames.commit();
    frames.send('F', Buffer.from(why, 'utf8'));
  };
  try {
    const why = refusal(req);
    if (why) return fallback(why);
    const env: CliEnv = {};
    for (const k of ['RASLOG_DATA_DIR', 'RASLOG_SOCKET', 'RASLOG_DEBUG'] as const) {
      if (typeof req.env?.[k] === 'string') env[k] = req.env[k];
    }
    const zone = clientZone(typeof req.env?.TZ === 'string' ? req.env.TZ : undefined);
    if (!zone) return fallback(`time zone TZ=${req.env?.TZ ?? '(system)'}`);
    const cwd = req.cwd!;
    let elsewhere: string | null = null;
    // a half-close from the client: it got SIGINT/SIGTERM while a command handles them (show -f)
    const interrupted = new AbortController();
    const onEnd = () => interrupted.abort();
    sock.once('end', onEnd);
    gone.addEventListener('abort', onEnd, { once: true });
    let announced = false;
    const backend = new InDaemonBackend(ctx, frames, gone);
    const io: CliIO = {
      stdout: frames.writer('O', req.stdout),
      stderr: frames.writer('E', req.stderr),
      exitCode: 0,
      env,
      zone,
      async openBackend(dataDir) {
        // the client connected to the socket of the data dir it found in its argv and env; the
        // program parsed them for real: if it names another socket, the Node CLI answers
        if (resolve(cwd, socketPath(dataDir, env)) !== resolve(cwd, req.socket!)) {
          elsewhere = `data dir ${dataDir} is not served here`;
          throw new StoreError('io', elsewhere);
        }
        frames.commit();
        return backend;
      },
      interrupt() {
        if (!announced) {
          announced = true;
          frames.send('I');
        }
        return interrupted.signal;
      },
    };
    let code: number;
    try {
      code = await runCli(req.argv, io);
    } finally {
      sock.off('end', onEnd);
      gone.removeEventListener('abort', onEnd);
      await backend.close();
    }
    if (elsewhere) return fallback(elsewhere);
    frames.commit();
    const x = Buffer.alloc(4);
    x.writeInt32BE(code);
    frames.send('X', x);
  } catch (e) {
    // runCli maps every error to a message and a code: this is a bug in this file
    frames.commit();
    frames.send('E', Buffer.from(`raslog: internal error: ${(e as Error).message}\n`));
    const x = Buffer.alloc(4);
    x.writeInt32BE(70);
    frames.send('X', x);
  } finally {
    if (!sock.destroyed) sock.end();
  }
}

/**
 * Run the CLI once with its output discarded, right after raslogd starts: the first client would
 * otherwise wait for the CLI's code to be compiled (~50-100 ms instead of a few).
 */
export async function warmUp(ctx: Context): Promise<void> {
  const none = { closed: false, needsDrain: false, drained: async () => undefined };
  const discard: Writer = { write: () => undefined, closed: false, drained: async () => undefined, isTTY: false, columns: undefined };
  const backend = new InDaemonBackend(ctx, none, new AbortController().signal);
  for (const argv of [['show', '-n', '20'], ['show', '--since', 'boot', '-n', '1', '-o', 'csv'], ['boots']]) {
    await runCli(argv, {
      stdout: discard,
      stderr: discard,
      exitCode: 0,
      env: {},
      zone: PROCESS_ZONE,
      openBackend: async () => backend,
      interrupt: () => new AbortController().signal,
    }).catch(() => undefined);
  }
}
