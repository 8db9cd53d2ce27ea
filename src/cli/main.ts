/*
 * raslog CLI entry (bin/raslog.js registers tsx and imports this file): the
 * program (src/cli/program.ts) run in this process.
 * Exit codes: 0 ok, 1 the input could not be read or is not a raslog region,
 * 2 usage error (unknown option, bad value), 70 internal error.
 */

import { processIO } from './io.ts';
import { runCli } from './program.ts';

export async function main(argv: string[] = process.argv): Promise<number> {
  const io = processIO();
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(io.exitCode);
  });
  return runCli(argv.slice(2), io);
}

const code = await main();
// a failure ends the process here (after the store was closed), so that nothing left pending can delay it
if (code) process.exit(code);
process.exitCode = code;
