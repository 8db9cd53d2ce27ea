/*
 * raslog export: events with their chain hashes, in chain (sseq) order, as
 * JSON lines {"sseq","prev_hash","hash","event"} or CSV. docs/store.md shows
 * how a third party checks them with jq + sha256sum.
 */

import { Command, Option } from 'commander';
import { canonicalJson } from '../../store/chain.ts';
import type { EventRow } from '../../store/types.ts';
import { action, addDataDir, checkTime, Out, report, withBackend } from '../common.ts';
import { csvCell } from '../format.ts';
import type { CliIO } from '../io.ts';

export function registerExport(program: Command, io: CliIO): Command {
  const cmd = program
    .command('export')
    .description('export events with their chain hashes (verifiable by a third party)')
    .option('-S, --since <time>', 'from this time (same forms as show)')
    .option('-U, --until <time>', 'up to this time')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'));
  addDataDir(cmd);
  cmd.action(action(io, async (o: { since?: string; until?: string; format: string; dataDir?: string }) => {
    try {
      checkTime(o.since, '--since');
      checkTime(o.until, '--until');
    } catch (e) {
      return report(io, e);
    }
    const spec = {
      ...(o.since ? { since: o.since } : {}),
      ...(o.until ? { until: o.until } : {}),
      ...((o.since || o.until) && io.zone.name !== undefined ? { tz: io.zone.name } : {}),
    };
    await withBackend(io, o, async (b) => {
      const out = new Out(io);
      if (o.format === 'csv') out.line('sseq,time,boot,type,prev_hash,hash,event');
      await b.request({ op: 'export', spec }, (item) => {
        const r = (item as { row: EventRow }).row;
        const ev = canonicalJson(r.e);
        if (o.format === 'csv') return out.line([r.e.sseq, r.e.time, r.e.boot, r.e.type, r.p, r.h, ev].map(csvCell).join(','));
        return out.line(`{"sseq":${r.e.sseq},"prev_hash":"${r.p}","hash":"${r.h}","event":${ev}}`);
      });
      await out.end();
    });
  }));
  return cmd;
}
