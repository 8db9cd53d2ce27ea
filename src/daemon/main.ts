/*
 * raslogd entry (bin/raslogd.js). Runs in the foreground, logs to stdout.
 *   raslogd [--config FILE] [--data-dir DIR] [--check-config]
 * Exit codes: 0 clean stop, 1 cannot start (bad config, already running,
 * store cannot be opened), 2 usage.
 */

import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config.ts';
import { Daemon, StartError } from './daemon.ts';
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
    if (e instanceof StartError || e instanceof ConfigError) die(e.message);
    die(`cannot start: ${(e as Error).message.split('\n')[0]}`);
  }
}

await main();
