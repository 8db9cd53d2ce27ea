/*
 * Test entry: the raslog program (src/cli/program.ts) run in this process, as the Node CLI runs
 * it, for each argv of the JSON list in argv[2], one after another; stdout and stderr are
 * collected per run. Prints [{code, out, err}, ...] as JSON. The zone and the environment are
 * this process's (set TZ / RASLOG_* when spawning it).
 */
import { openBackend } from '../src/cli/backend.ts';
import type { CliIO, Writer } from '../src/cli/io.ts';
import { runCli } from '../src/cli/program.ts';
import { PROCESS_ZONE } from '../src/store/tz.ts';

const collect = (into: string[]): Writer => ({
  write: (s) => void into.push(s),
  closed: false,
  drained: async () => undefined,
  isTTY: false,
  columns: undefined,
});

const results: { code: number; out: string; err: string }[] = [];
for (const argv of JSON.parse(process.argv[2]!) as string[][]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: collect(out),
    stderr: collect(err),
    exitCode: 0,
    env: process.env,
    zone: PROCESS_ZONE,
    openBackend,
    interrupt: () => new AbortController().signal,
  };
  const code = await runCli(argv, io);
  results.push({ code, out: out.join(''), err: err.join('') });
}
process.stdout.write(JSON.stringify(results));
