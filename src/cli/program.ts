/*
 * The raslog program: its commands, and one run of it with an IO
 * (src/cli/io.ts). The Node CLI runs it in its process (src/cli/main.ts);
 * raslogd runs it for the native client (src/daemon/cli.ts).
 * Exit codes: 0 ok, 1 the input could not be read or is not a raslog region,
 * 2 usage error (unknown option, bad value), 70 internal error.
 */

import { Command, CommanderError, Option } from 'commander';
import { RegionError } from '../region/errors.ts';
import { MIN_REGION } from '../region/format.ts';
import { DEFAULT_DEVICE, readRegionDevice, readRegionImage } from '../region/source.ts';
import { parseSize } from './args.ts';
import type { CliIO } from './io.ts';
import { registerStoreCommands } from './store-commands.ts';
import { renderText } from './text.ts';

export class UsageError extends Error {}

interface RegionOpts {
  image?: string;
  device?: string | true;
  offset?: number;
  size?: number;
  output: 'text' | 'json';
}

async function regionAction(io: CliIO, opts: RegionOpts): Promise<void> {
  const write = (text: string) => io.stdout.write(text);
  if (opts.image !== undefined && opts.device !== undefined) {
    throw new UsageError('give either --image FILE or --device [PATH], not both');
  }
  if (opts.size !== undefined && opts.size < MIN_REGION) {
    throw new UsageError(`--size ${opts.size} is below the minimum region size ${MIN_REGION} (64K)`);
  }
  let rep;
  if (opts.image !== undefined) {
    rep = await readRegionImage(opts.image, opts.offset ?? 0, opts.size);
  } else {
    if (opts.offset !== undefined || opts.size !== undefined) {
      throw new UsageError('--offset and --size apply to --image only');
    }
    rep = await readRegionDevice(typeof opts.device === 'string' ? opts.device : DEFAULT_DEVICE);
  }
  if (opts.output === 'json') {
    const { region, lanes, records, gaps, problems } = rep;
    write(JSON.stringify({ region, lanes, records, gaps, problems }, null, 2) + '\n');
  } else {
    write(renderText(rep));
  }
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('raslog');
  program
    .description('raslog: persistent RAS event recorder tools')
    // commander never calls process.exit: every end (help, version, usage error) throws here
    .exitOverride((e) => {
      throw e;
    })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, w) => w(s.startsWith('error:') ? `raslog: ${s.slice(7)}` : s),
      // as commander's own: the terminal's width, else its default (80); undefined is what it expects
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) as number,
    })
    .showSuggestionAfterError(true);

  program
    .command('region')
    .description('decode a raslog region from an image file or the raslog device')
    .option('--image <file>', 'file holding the region (qemu RAM file, memory dump, mkimage output)')
    .option('--device [path]', `read the raslog device (default ${DEFAULT_DEVICE})`)
    .option('--offset <n>', 'offset of the region in the image (0x hex, decimal, K/M/G)', parseSize)
    .option('--size <n>', 'region size (needed when the header is damaged); default: from the header', parseSize)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts: RegionOpts) => regionAction(io, opts));
  registerStoreCommands(program, io); // show, boots, status, verify, export, netstats, test-notify (src/cli/commands/)
  return program;
}

/** Run the program on the user's arguments (argv without node and the script); resolves with the exit code. */
export async function runCli(args: string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return io.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2; // commander already printed its one-line message
    }
    if (e instanceof UsageError) {
      io.stderr.write(`raslog: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RegionError) {
      io.stderr.write(`raslog: ${e.message}\n`);
      return 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(`raslog: internal error: ${msg.split('\n')[0]}\n`);
    if (io.env.RASLOG_DEBUG && e instanceof Error) io.stderr.write(`${e.stack}\n`);
    return 70;
  }
}
