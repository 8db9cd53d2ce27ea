/* Files in the data dir (--data-dir, $RASLOG_DATA_DIR, default /var/lib/raslog). */

import { join } from 'node:path';

export const DEFAULT_DATA_DIR = '/var/lib/raslog';

export function resolveDataDir(opt?: string): string {
  return opt || process.env.RASLOG_DATA_DIR || DEFAULT_DATA_DIR;
}

export const dbDir = (dataDir: string): string => join(dataDir, 'db');
/** $RASLOG_SOCKET moves the query socket off the data dir (e.g. when that is on a filesystem without sockets). */
export const socketPath = (dataDir: string): string => process.env.RASLOG_SOCKET || join(dataDir, 'raslogd.sock');
export const pidPath = (dataDir: string): string => join(dataDir, 'raslogd.pid');
