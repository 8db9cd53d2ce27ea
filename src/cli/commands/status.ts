/* raslog status: daemon, collectors, store size and chain head, warnings. */

import { Command, Option } from 'commander';
import type { StatusReport } from '../../store/service.ts';
import { action, addDataDir, Out, withBackend } from '../common.ts';
import type { CliIO } from '../io.ts';

export function registerStatus(program: Command, io: CliIO): Command {
  const cmd = program
    .command('status')
    .description('daemon and collector state, store contents, warnings')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['short', 'json']).default('short'));
  addDataDir(cmd);
  cmd.action(action(io, async (o: { output: string; dataDir?: string }) => {
    await withBackend(io, o, async (b) => {
      const { status: s } = (await b.request({ op: 'status' })) as { status: StatusReport };
      const out = new Out(io);
      if (o.output === 'json') out.line(JSON.stringify(s, null, 2));
      else {
        const d = s.daemon;
        out.line(`data dir:   ${s.data_dir}`);
        out.line(`raslogd:    ${d.running ? `running (pid ${d.pid}, since ${d.started})${d.config ? `, config ${d.config}` : ''}` : 'not running'}`);
        if (d.memory) {
          const m = d.memory;
          out.line(`memory:     RSS ${(m.rss_bytes / 1048576).toFixed(1)} MiB, V8 heap in use ${(m.heap_used_bytes / 1048576).toFixed(1)} MiB`);
        }
        for (const c of d.collectors ?? []) out.line(`  ${c.name.padEnd(9)} ${c.state.padEnd(8)} ${c.message}`);
        out.line(`events:     ${s.store.events} in ${s.store.boots} boot(s), current boot ${s.store.current_boot ?? '-'}`);
        out.line(`span:       ${s.store.first ?? '-'} .. ${s.store.last ?? '-'}`);
        out.line(`chain head: #${s.store.head.sseq} ${s.store.head.hash}`);
        const counts = Object.entries(s.store.counts).sort();
        if (counts.length) out.line(`by type:    ${counts.map(([k, n]) => `${k}=${n}`).join(' ')}`);
        if (d.watchlist) out.line(`watch list: ${d.watchlist.state === 'ok' ? d.watchlist.message : `${d.watchlist.state}: ${d.watchlist.message}`}`);
        if (s.notify) {
          const sinks = s.notify.sinks;
          out.line(`sinks:      ${sinks.length ? `${sinks.length}${s.notify.running ? '' : ' queue(s) in the store, not delivering (raslogd is not running)'}` : 'none'}`);
          const w = Math.max(4, ...sinks.map((x) => x.sink.length));
          for (const x of sinks) {
            const what = x.configured || !s.notify.running ? (x.kind ?? '') : 'no longer configured';
            out.line(
              `  ${x.sink.padEnd(w)} ${what.padEnd(6)} backlog ${x.backlog}, delivered ${x.delivered}, last success ${x.last_success ?? '-'}, last error ${x.last_error ? `${x.last_error_at} ${x.last_error}` : '-'}`,
            );
          }
        }
        if (d.retention) out.line(`retention:  ${Object.entries(d.retention).map(([k, n]) => `${k}=${n}d`).join(' ')}`);
        for (const w of s.warnings) out.line(`warning:    ${w}`);
      }
      await out.end();
    });
  }));
  return cmd;
}
