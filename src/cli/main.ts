/*
 * raslog CLI entry (bin/raslog.js registers tsx and imports this file).
 * Exit codes: 0 ok, 1 the input could not be read or is not a raslog region,
 * 2 usage error (unknown option, bad value), 70 internal error.
 */

import { Command, CommanderError, Option } from 'commander';
import { RegionError } from '../region/errors.ts';
import { MIN_REGION } from '../region/format.ts';
import { DEFAULT_DEVICE, readRegionDevice, readRegionImage } from '../region/source.ts';
import { parseSize } from './args.ts';
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

function write(text: string): void {
  process.stdout.write(text);
}

async function regionAction(opts: RegionOpts): Promise<void> {
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

export function buildProgram(): Command {
  const program = new Command('raslog');
  program
    .description('raslog: persistent RAS event recorder tools')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, w) => w(s.startsWith('error:') ? `raslog: ${s.slice(7)}` : s),
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
    .action(regionAction);
  registerStoreCommands(program); // show, boots, status, verify, export (src/cli/commands/, the store's owner)
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2; // commander already printed its one-line message
    }
    if (e instanceof UsageError) {
      process.stderr.write(`raslog: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RegionError) {
      process.stderr.write(`raslog: ${e.message}\n`);
      return 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`raslog: internal error: ${msg.split('\n')[0]}\n`);
    if (process.env.RASLOG_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 70;
  }
}

process.exitCode = await main();
