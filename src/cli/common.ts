/* Shared plumbing of the store commands: data dir option, one-line errors, buffered stdout. */

import { Command, Option } from 'commander';
import { RegionError } from '../region/errors.ts';
import { StoreError } from '../store/errors.ts';
import { resolveDataDir } from '../store/paths.ts';
import { parseTimeExpr } from '../store/timeexpr.ts';
import type { Backend } from './backend.ts';
import type { CliIO, Writer } from './io.ts';

export class UsageError extends Error {}

export function addDataDir(cmd: Command): Command {
  return cmd.addOption(
    new Option('--data-dir <dir>', 'data directory (default: $RASLOG_DATA_DIR or /var/lib/raslog)'),
  );
}

/** Print one line to stderr and set a non-zero exit code; never a stack trace. */
export function fail(io: CliIO, msg: string, code = 1): void {
  io.stderr.write(`raslog: ${msg}\n`);
  io.exitCode = code;
}

/** Run a command action with a backend, mapping every error to one line. */
export async function withBackend(
  io: CliIO,
  opts: { dataDir?: string },
  fn: (b: Backend) => Promise<void>,
): Promise<void> {
  let b: Backend | null = null;
  try {
    b = await io.openBackend(resolveDataDir(opts.dataDir, io.env));
    await fn(b);
  } catch (e) {
    report(io, e);
  } finally {
    await b?.close().catch(() => undefined);
  }
}

/**
 * Exit codes (as src/cli/main.ts): 1 the store cannot be read (missing data
 * dir, empty store, locked), 2 usage (bad option value, bad time expression,
 * no such boot), 3 verify found tampering, 70 internal error.
 */
export function report(io: CliIO, e: unknown): void {
  if (e instanceof UsageError) fail(io, e.message, 2);
  else if (e instanceof StoreError) fail(io, e.message, e.code === 'bad_query' ? 2 : 1);
  else if (e instanceof RegionError) fail(io, e.message, 1);
  else if (e instanceof Error) fail(io, `internal error: ${e.message.split('\n')[0]!}`, 70);
  else fail(io, String(e), 70);
}

/**
 * Wrap a command action: errors become one line on stderr and an exit code in
 * io.exitCode, which the program's runner returns (src/cli/program.ts).
 */
export function action<A extends unknown[]>(io: CliIO, fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      report(io, e);
    }
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
  private w: Writer;
  constructor(io: CliIO) {
    this.w = io.stdout;
  }
  /** The reader is gone: nothing more is printed. */
  get closed(): boolean {
    return this.w.closed;
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
    this.w.write(this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
  async end(): Promise<void> {
    this.flush();
    if (this.closed) return;
    await this.w.drained();
  }
}
