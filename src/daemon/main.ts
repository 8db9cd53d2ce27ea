/*
 * raslogd entry (bin/raslogd.js). Runs in the foreground, logs to stdout.
 *   raslogd [--config FILE] [--data-dir DIR] [--check-config]
 * Exit codes: 0 clean stop, 1 cannot start (bad config, already running, a
 * corrupt store), 2 usage, 75 the store could not be written or opened (a
 * full disk…): the unit restarts raslogd (Restart=on-failure), which reopens
 * the store and replays the region; nothing the region holds is lost.
 */

import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config.ts';
import { Daemon, EXIT_STORE_FAILED, StartError } from './daemon.ts';
import { StoreError, isStorageFailure } from '../store/errors.ts';
import { createLogger } from './log.ts';

function die(msg: string, code = 1): never {
  process.stderr.write(msg.startsWith('raslogd ') ? `${msg}\n` : `raslogd: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const program = new Command('raslogd')
    .description('raslog service: collects RAS events into the store and serves queries')
    .option('-c, --config <file>', 'configuration file (default /etc/raslog.conf)')
    .option('--data-dir <dir>', 'data directory (overrides the config and $RASLOG_DATA_DIR)')
    .option('--check-config', 'validate the configuration and exit')
    .exitOverride()
    .configureOutput({ outputError: (s, w) => w(s.startsWith('error:') ? `raslogd: ${s.slice(7)}` : s) });
  try {
    program.parse(process.argv);
  } catch (e) {
    process.exit(e instanceof CommanderError && e.exitCode === 0 ? 0 : 2);
  }
  const o = program.opts<{ config?: string; dataDir?: string; checkConfig?: boolean }>();
  let cfg;
  try {
    cfg = loadConfig(o.config);
  } catch (e) {
    if (e instanceof ConfigError) die(e.message);
    throw e;
  }
  if (o.checkConfig) {
    process.stdout.write(`${cfg.path ?? 'defaults'}: ok\n`);
    return;
  }
  const dataDir = o.dataDir || process.env.RASLOG_DATA_DIR || cfg.data_dir;
  const log = createLogger(cfg.log_level);
  const d = new Daemon(cfg, dataDir, log, o.config);
  let storeFailed = false;
  d.onStoreFailed = () => {
    storeFailed = true;
    d.stop().finally(() => log.on('finish', () => process.exit(EXIT_STORE_FAILED)).end());
    setTimeout(() => process.exit(EXIT_STORE_FAILED), 5000).unref();
  };
  const stop = (sig: string) => {
    log.info(`${sig} received`);
    d.stop().then(
      () => log.on('finish', () => process.exit(0)).end(),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP received: reloading');
    void d.reload();
  });
  try {
    await d.start();
  } catch (e) {
    await d.stop().catch(() => undefined);
    const temporary = storeFailed || (e instanceof StartError && e.temporary) || (e instanceof StoreError && e.code === 'io') || isStorageFailure(e);
    const code = temporary ? EXIT_STORE_FAILED : 1;
    if (e instanceof StartError || e instanceof ConfigError) die(e.message, code);
    die(`cannot start: ${(e as Error).message.split('\n')[0]}`, code);
  }
}

await main();
