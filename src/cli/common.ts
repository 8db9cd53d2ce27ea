/* Shared plumbing of the store commands: data dir option, one-line errors, buffered stdout. */

import { Command, Option } from 'commander';
import { RegionError } from '../region/errors.ts';
import { StoreError } from '../store/errors.ts';
import { resolveDataDir } from '../store/paths.ts';
import { parseTimeExpr } from '../store/timeexpr.ts';
import { openBackend, type Backend } from './backend.ts';

export class UsageError extends Error {}

export function addDataDir(cmd: Command): Command {
  return cmd.addOption(
    new Option('--data-dir <dir>', 'data directory (default: $RASLOG_DATA_DIR or /var/lib/raslog)'),
  );
}

/** Print one line to stderr and set a non-zero exit code; never a stack trace. */
export function fail(msg: string, code = 1): void {
  process.stderr.write(`raslog: ${msg}\n`);
  process.exitCode = code;
}

/** Run a command action with a backend, mapping every error to one line. */
export async function withBackend(
  opts: { dataDir?: string },
  fn: (b: Backend) => Promise<void>,
): Promise<void> {
  let b: Backend | null = null;
  try {
    b = await openBackend(resolveDataDir(opts.dataDir));
    await fn(b);
  } catch (e) {
    report(e);
  } finally {
    await b?.close().catch(() => undefined);
  }
}

/**
 * Exit codes (as src/cli/main.ts): 1 the store cannot be read (missing data
 * dir, empty store, locked), 2 usage (bad option value, bad time expression,
 * no such boot), 3 verify found tampering, 70 internal error.
 */
export function report(e: unknown): void {
  if (e instanceof UsageError) fail(e.message, 2);
  else if (e instanceof StoreError) fail(e.message, e.code === 'bad_query' ? 2 : 1);
  else if (e instanceof RegionError) fail(e.message, 1);
  else if (e instanceof Error) fail(`internal error: ${e.message.split('\n')[0]!}`, 70);
  else fail(String(e), 70);
}

/**
 * Wrap a command action: errors become one line; a non-zero exit code ends
 * the process here (after the store was closed), so that no caller can turn
 * it into 0.
 */
export function action<A extends unknown[]>(fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      report(e);
    }
    if (process.exitCode) process.exit(process.exitCode);
  };
}

export function checkTime(expr: string | undefined, opt: string): void {
  if (expr === undefined) return;
  try {
    parseTimeExpr(expr);
  } catch (e) {
    throw new UsageError(`${opt}: ${(e as Error).message}`);
  }
}

/** stdout with a buffer: first line at once, then 64 KiB chunks; quiet on EPIPE (| head). */
export class Out {
  private buf: string[] = [];
  private size = 0;
  private first = true;
  closed = false;
  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
    });
  }
  line(s: string): boolean {
    if (this.closed) return false;
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.first || this.size > 65536) this.flush();
    this.first = false;
    return !this.closed;
  }
  flush(): void {
    if (!this.buf.length || this.closed) return;
    process.stdout.write(this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
  async end(): Promise<void> {
    this.flush();
    if (this.closed) return;
    await new Promise<void>((res) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => res()) : res()));
  }
}
