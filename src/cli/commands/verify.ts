/* raslog verify: recompute the hash chain; exit 0 when intact, 3 naming the first bad event. */

import { Command } from 'commander';
import type { VerifyResult } from '../../store/verify.ts';
import { action, addDataDir, fail, Out, withBackend } from '../common.ts';
import type { CliIO } from '../io.ts';

export function registerVerify(program: Command, io: CliIO): Command {
  const cmd = program.command('verify').description('verify the hash chain of the store (exit 3 when tampered with)');
  addDataDir(cmd);
  cmd.action(action(io, async (o: { dataDir?: string }) => {
    await withBackend(io, o, async (b) => {
      const { verify: r } = (await b.request({ op: 'verify' })) as { verify: VerifyResult };
      if (!r.ok) {
        const at = r.bad!.time ? ` (${r.bad!.time} ${r.bad!.type})` : '';
        fail(io, `verify FAILED at event #${r.bad!.sseq}${at}: ${r.bad!.message}`, 3);
        return;
      }
      const out = new Out(io);
      out.line(
        `ok: ${r.events} event(s) verified${r.pruned ? `, ${r.pruned} pruned by retention (accounted by checkpoints)` : ''}; chain head #${r.head.sseq} ${r.head.hash}`,
      );
      await out.end();
    });
  }));
  return cmd;
}
