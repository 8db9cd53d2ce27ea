/* Files in the data dir (--data-dir, $RASLOG_DATA_DIR, default /var/lib/raslog). */

import { join } from 'node:path';

export const DEFAULT_DATA_DIR = '/var/lib/raslog';

/** The variables that place the data dir and the socket (raslogd passes a client's own, src/daemon/cli.ts). */
export interface PathEnv {
  RASLOG_DATA_DIR?: string;
  RASLOG_SOCKET?: string;
}

export function resolveDataDir(opt?: string, env: PathEnv = process.env): string {
  return opt || env.RASLOG_DATA_DIR || DEFAULT_DATA_DIR;
}

export const dbDir = (dataDir: string): string => join(dataDir, 'db');
/** $RASLOG_SOCKET moves the query socket off the data dir (e.g. when that is on a filesystem without sockets). */
export const socketPath = (dataDir: string, env: PathEnv = process.env): string => env.RASLOG_SOCKET || join(dataDir, 'raslogd.sock');
export const pidPath = (dataDir: string): string => join(dataDir, 'raslogd.pid');
