/*
 * Where one run of the raslog program writes, how it ends and what it may
 * read of its environment. The Node CLI (src/cli/main.ts) runs with
 * processIO(): process.stdout/stderr, process.env, the process's time zone,
 * the store through raslogd's socket or opened directly. raslogd runs the same
 * program for the native client (src/daemon/cli.ts) with an IO bound to the
 * client's connection: the client's environment and zone, the daemon's open
 * store. The CLI code uses nothing process-global (process.stdout, env,
 * exitCode, exit, signal handlers) but this object.
 */

import { PROCESS_ZONE, type Zone } from '../store/tz.ts';
import type { Backend } from './backend.ts';

export interface Writer {
  write(s: string): void;
  /** The reader is gone (EPIPE, the client disconnected): stop producing output. */
  readonly closed: boolean;
  /** Resolves once what was written has been taken by the reader (or the reader is gone). */
  drained(): Promise<void>;
  /** For commander's help width. */
  readonly isTTY: boolean;
  readonly columns: number | undefined;
}

/** The variables the CLI reads (raslogd gets them from the client). */
export interface CliEnv {
  RASLOG_DATA_DIR?: string;
  RASLOG_SOCKET?: string;
  RASLOG_DEBUG?: string;
}

export interface CliIO {
  stdout: Writer;
  stderr: Writer;
  /** The exit code so far (0 until a failure sets it). */
  exitCode: number;
  env: CliEnv;
  /** Local time of the user: printed times, and today / ISO 8601 without an offset. */
  zone: Zone;
  /** How a store command reaches the store of a data dir. */
  openBackend(dataDir: string): Promise<Backend>;
  /**
   * For commands that run until interrupted (show -f): aborted on SIGINT/SIGTERM of the Node
   * CLI, or when the native client forwards one. Until this is called, those signals keep
   * their default action (the process ends).
   */
  interrupt(): AbortSignal;
}

function processWriter(s: NodeJS.WriteStream): Writer {
  let closed = false;
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
  });
  return {
    write: (t) => void s.write(t),
    get closed() {
      return closed;
    },
    drained: () => new Promise<void>((res) => (s.writableNeedDrain && !closed ? s.once('drain', () => res()) : res())),
    get isTTY() {
      return !!s.isTTY;
    },
    get columns() {
      return s.columns;
    },
  };
}

/** The IO of the Node CLI process. */
export function processIO(): CliIO {
  let ac: AbortController | null = null;
  return {
    stdout: processWriter(process.stdout),
    stderr: processWriter(process.stderr),
    exitCode: 0,
    env: process.env,
    zone: PROCESS_ZONE,
    async openBackend(dataDir) {
      return (await import('./backend.ts')).openBackend(dataDir);
    },
    interrupt() {
      if (!ac) {
        const c = (ac = new AbortController());
        process.once('SIGINT', () => c.abort());
        process.once('SIGTERM', () => c.abort());
      }
      return ac.signal;
    },
  };
}
