/* raslog boots: one line per boot: number, first/last event, how it ended, counts by type. */

import { Command, Option } from 'commander';
import type { BootSummary } from '../../store/query.ts';
import { action, addDataDir, Out, withBackend } from '../common.ts';
import { localIso } from '../format.ts';
import type { CliIO } from '../io.ts';

export function registerBoots(program: Command, io: CliIO): Command {
  const cmd = program
    .command('boots')
    .description('list boots: number, first and last event, how each ended, events by type')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['short', 'json']).default('short'));
  addDataDir(cmd);
  cmd.action(action(io, async (o: { output: string; dataDir?: string }) => {
    await withBackend(io, o, async (b) => {
      const { boots } = (await b.request({ op: 'boots' })) as { boots: BootSummary[] };
      const out = new Out(io);
      if (o.output === 'json') {
        out.line(JSON.stringify(boots, null, 2));
      } else {
        const t = (ns: string | null) => (ns ? localIso(ns, io.zone) : '-');
        const rows = boots.map((x, i) => [
          String(i - boots.length + 1),
          String(x.boot),
          t(x.first_ns),
          t(x.last_ns),
          x.ended + (x.how ? ` (${x.how})` : ''),
          String(x.events),
          Object.entries(x.counts)
            .sort()
            .map(([k, n]) => `${k}=${n}`)
            .join(' '),
        ]);
        const head = ['IDX', 'BOOT', 'FIRST', 'LAST', 'ENDED', 'EVENTS', 'BY TYPE'];
        const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const fmt = (r: string[]) =>
          r
            .map((c, i) => (i === r.length - 1 ? c : i < 2 || i === 5 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
            .join('  ')
            .trimEnd();
        out.line(fmt(head));
        for (const r of rows) out.line(fmt(r));
      }
      await out.end();
    });
  }));
  return cmd;
}
