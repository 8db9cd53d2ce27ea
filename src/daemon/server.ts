/*
 * The query socket: raslogd answers CLI requests on a unix socket in the
 * data dir (raslogd.sock, mode 0600: same access as the database). One
 * request per connection: the client writes one JSON line; the server writes
 * JSON lines — {"item": …} for each streamed item, then {"result": …} or
 * {"error": "…", "code": "…"}. Closing the connection ends a follow.
 * {"op":"cli",…} (the native client, src/daemon/cli.ts) runs the CLI here
 * and answers in binary frames instead.
 */

import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { StoreError } from '../store/errors.ts';
import { handle, type Context, type Request } from '../store/service.ts';
import { serveCli, warmUp, type CliRequest } from './cli.ts';

/** What the server is doing (raslog status -o json: daemon.queries). */
export interface QueryStats {
  /** Open connections. */
  connections: number;
  /** Requests being answered (a follow counts until its client goes). */
  active: number;
  /** Native-client runs of the CLI served since the start. */
  cli_runs: number;
}

export class QueryServer {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private active = 0;
  private cliRuns = 0;
  constructor(
    private path: string,
    private ctx: Context,
  ) {}

  async listen(): Promise<void> {
    if (existsSync(this.path)) unlinkSync(this.path); // stale: we hold the store lock, so no other daemon owns it
    // half-open: a native client shuts down its side to forward SIGINT (show -f) and still reads the end
    this.server = createServer({ allowHalfOpen: true }, (sock) => this.serve(sock));
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.path, () => res());
    });
    chmodSync(this.path, 0o600);
    setImmediate(() => void warmUp(this.ctx).catch(() => undefined));
  }

  stats(): QueryStats {
    return { connections: this.sockets.size, active: this.active, cli_runs: this.cliRuns };
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    const ac = new AbortController();
    let buf = '';
    let started = false;
    let cli = false;
    sock.setEncoding('utf8');
    const write = (o: unknown): boolean => {
      if (sock.destroyed) return false;
      sock.write(JSON.stringify(o) + '\n');
      return true;
    };
    sock.on('close', () => {
      ac.abort();
      this.sockets.delete(sock);
    });
    sock.on('error', () => ac.abort());
    // the client shut down its side: a JSON request ends (as before half-open sockets: a client that
    // is gone), a CLI run reads it as SIGINT forwarded (src/daemon/cli.ts)
    sock.on('end', () => {
      if (cli) return;
      ac.abort();
      sock.end();
    });
    sock.on('data', (d: string) => {
      if (started) return;
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      started = true;
      let req: Request;
      try {
        req = JSON.parse(buf.slice(0, nl)) as Request;
      } catch {
        write({ error: 'bad request', code: 'bad_query' });
        sock.end();
        return;
      }
      this.active++;
      if ((req as { op: string }).op === 'cli') {
        cli = true;
        this.cliRuns++;
        void serveCli(sock, req as unknown as CliRequest, this.ctx, ac.signal).finally(() => this.active--);
        return;
      }
      handle(this.ctx, req, (item) => write({ item }), ac.signal)
        .then((result) => write({ result }))
        .catch((e: unknown) => {
          const code = e instanceof StoreError ? e.code : 'io';
          write({ error: (e as Error).message, code });
        })
        .finally(() => {
          this.active--;
          sock.end();
        });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.server = null;
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}
