/*
 * raslog test-notify [--sink NAME]: send a test notification to every sink
 * (or the named one) and print each sink's success or error. Through raslogd
 * when it runs (its sinks, its running configuration); else one-shot from the
 * configuration file (--config, default /etc/raslog.conf). Exit 0 only when
 * every sink confirmed; 1 when one failed (or none is configured); 2 usage
 * (no such sink).
 */

import { Command, Option } from 'commander';
import type { Config } from '../../daemon/config.ts';
import { StoreError } from '../../store/errors.ts';
import { resolveDataDir } from '../../store/paths.ts';
import type { TestNotifyInfo } from '../../store/service.ts';
import { daemonBackend } from '../backend.ts';
import { action, addDataDir, fail, Out, UsageError } from '../common.ts';
import type { CliIO } from '../io.ts';

async function oneShot(cfg: Config, sink: string | undefined): Promise<TestNotifyInfo[]> {
  const { createSinks, testNotify } = await import('../../sinks/index.ts');
  const { sinks } = createSinks(cfg.notify);
  if (!sinks.length) throw new StoreError('missing', `no notification sinks are configured in ${cfg.path ?? 'the default configuration'}`);
  try {
    return await testNotify(sinks, sink);
  } catch (e) {
    throw new UsageError((e as Error).message);
  } finally {
    await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
  }
}

export function registerTestNotify(program: Command, io: CliIO): Command {
  const cmd = program
    .command('test-notify')
    .description('send a test notification to every sink (or --sink NAME); exit 0 only if all succeeded')
    .option('--sink <name>', 'only this sink (an SNMP sink: all its managers, or one as NAME/HOST:PORT)')
    .option('-c, --config <file>', 'configuration to take the sinks from when raslogd is not running (default /etc/raslog.conf)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['short', 'json']).default('short'));
  addDataDir(cmd);
  cmd.action(
    action(io, async (o: { sink?: string; config?: string; output: string; dataDir?: string }) => {
      let cfg: Config | null = null;
      // loaded on demand: the config schema (zod) costs the other commands' start-up ~100 ms
      const { ConfigError, loadConfig } = await import('../../daemon/config.ts');
      const config = () => {
        try {
          return (cfg ??= loadConfig(o.config));
        } catch (e) {
          if (e instanceof ConfigError) throw new StoreError('missing', e.message);
          throw e;
        }
      };
      // the data dir (where the daemon's socket is): --data-dir, $RASLOG_DATA_DIR, else the config's
      const dataDir = o.dataDir || io.env.RASLOG_DATA_DIR || (o.config ? config().data_dir : resolveDataDir(undefined, io.env));
      const b = await daemonBackend(dataDir);
      let results: TestNotifyInfo[];
      let via: string;
      if (b) {
        via = 'sent by raslogd';
        try {
          results = ((await b.request({ op: 'test-notify', ...(o.sink !== undefined ? { sink: o.sink } : {}) })) as { results: TestNotifyInfo[] }).results;
        } finally {
          await b.close();
        }
      } else {
        const c = config();
        via = `raslogd not running: sent with the sinks of ${c.path ?? 'the default configuration'}`;
        results = await oneShot(c, o.sink);
      }
      const out = new Out(io);
      if (o.output === 'json') out.line(JSON.stringify({ via, results }, null, 2));
      else {
        const w = Math.max(4, ...results.map((r) => r.sink.length));
        for (const r of results) {
          out.line(`${r.sink.padEnd(w)}  ${r.kind.padEnd(6)}  ${r.ok ? 'ok    ' : 'FAILED'}  ${`${r.ms} ms`.padStart(8)}  ${r.ok ? `key=${r.key}` : r.error}`);
        }
        const bad = results.filter((r) => !r.ok).length;
        out.line(bad ? `${bad} of ${results.length} sink(s) FAILED (${via})` : `all ${results.length} sink(s) ok (${via})`);
      }
      await out.end();
      if (results.some((r) => !r.ok)) fail(io, `test notification failed for ${results.filter((r) => !r.ok).map((r) => r.sink).join(', ')}`, 1);
    }),
  );
  return cmd;
}
