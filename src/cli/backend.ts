/*
 * How the CLI reaches the store: through raslogd's query socket when the
 * daemon runs (the daemon holds the LevelDB lock), else by opening the
 * database itself (read-only use; it is closed again right after).
 */

import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { StoreError } from '../store/errors.ts';
import { pidPath, socketPath } from '../store/paths.ts';
import { zoneOrNull } from '../store/tz.ts';
import type { Request, handle as Handle } from '../store/service.ts';
import type { Store } from '../store/store.ts';

export interface Backend {
  mode: 'daemon' | 'direct';
  /** Send a request; items are passed to onItem (return false to stop); resolves with the result. */
  request(req: Request, onItem?: (item: unknown) => boolean | void): Promise<unknown>;
  close(): Promise<void>;
}

function trySocket(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(null);
    const s = netConnect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

/**
 * Local-time expressions (today, ISO 8601 without an offset) are the user's: a query sent to
 * raslogd names this process's zone (raslogd's own may differ), when Intl can name it.
 */
function withZone(req: Request): Request {
  if (!('spec' in req) || req.spec.tz !== undefined || (req.spec.since === undefined && req.spec.until === undefined)) return req;
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return tz && zoneOrNull(tz) ? { ...req, spec: { ...req.spec, tz } } : req;
}

class SocketBackend implements Backend {
  mode = 'daemon' as const;
  private open = new Set<Socket>();
  constructor(private path: string) {}
  async request(req0: Request, onItem?: (item: unknown) => boolean | void): Promise<unknown> {
    const req = withZone(req0);
    const s = await trySocket(this.path);
    if (!s) throw new StoreError('io', `raslogd does not answer on ${this.path}`);
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    return new Promise((resolve, reject) => {
      let buf = '';
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        s.destroy();
        f();
      };
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const msg = JSON.parse(line) as { item?: unknown; result?: unknown; error?: string; code?: string };
          if (msg.error !== undefined) return finish(() => reject(new StoreError((msg.code as never) ?? 'io', msg.error!)));
          if ('result' in msg) return finish(() => resolve(msg.result));
          if (onItem && onItem(msg.item) === false) return finish(() => resolve({ done: true }));
        }
      });
      s.on('error', (e) => finish(() => reject(new StoreError('io', `raslogd connection failed: ${e.message}`))));
      s.on('close', () => finish(() => reject(new StoreError('io', 'raslogd closed the connection'))));
      s.write(JSON.stringify(req) + '\n');
    });
  }
  /** Ends the requests still open (show -f interrupted): raslogd stops them, the process can exit. */
  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
  }
}

class DirectBackend implements Backend {
  mode = 'direct' as const;
  constructor(
    private store: Store,
    private handle: typeof Handle,
  ) {}
  request(req: Request, onItem?: (item: unknown) => boolean | void): Promise<unknown> {
    const { store, handle } = this;
    const notify = async () => (await import('../daemon/notify.ts')).offlineNotifyStatus(store);
    return handle({ store, daemon: () => ({ running: false }), notify }, { ...req, ...('follow' in req ? { follow: false } : {}) } as Request, (item) =>
      onItem ? onItem(item) : undefined,
    );
  }
  close(): Promise<void> {
    return this.store.close();
  }
}

export function daemonPid(dataDir: string): number | null {
  try {
    const pid = parseInt(readFileSync(pidPath(dataDir), 'utf8').trim(), 10);
    if (!pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 0 : null;
  }
}

/** The running daemon's backend, or null when no raslogd answers on the socket. */
export async function daemonBackend(dataDir: string): Promise<Backend | null> {
  const sp = socketPath(dataDir);
  const s = await trySocket(sp);
  if (!s) return null;
  s.destroy();
  return new SocketBackend(sp);
}

export async function openBackend(dataDir: string): Promise<Backend> {
  const sp = socketPath(dataDir);
  const s = await trySocket(sp);
  if (s) {
    s.destroy();
    return new SocketBackend(sp);
  }
  if (!existsSync(dataDir)) throw new StoreError('missing', `data dir ${dataDir} does not exist (use --data-dir or RASLOG_DATA_DIR)`);
  // the store and LevelDB are loaded only here: a CLI talking to raslogd does without them
  const [{ Store }, { handle }] = await Promise.all([import('../store/store.ts'), import('../store/service.ts')]);
  try {
    return new DirectBackend(await Store.open(dataDir, { create: false, sync: false }), handle);
  } catch (e) {
    if (e instanceof StoreError && e.code === 'locked') {
      const pid = daemonPid(dataDir);
      throw new StoreError(
        'locked',
        pid ? `the store is locked by raslogd (pid ${pid}) but it does not answer on ${sp}` : `the store in ${dataDir} is locked by another process`,
      );
    }
    throw e;
  }
}
