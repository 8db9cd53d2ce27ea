/* raslog show: events from the store, journalctl style. */

import { Command, Option } from 'commander';
import { matches, resolveQuery, type QuerySpec } from '../../store/query.ts';
import { resolveDataDir } from '../../store/paths.ts';
import type { Store } from '../../store/store.ts';
import { EVENT_TYPES, type EventRow, type StoredEvent } from '../../store/types.ts';
import type { Zone } from '../../store/tz.ts';
import { action, addDataDir, checkTime, Out, UsageError, withBackend, report } from '../common.ts';
import { CSV_HEADER, csvLine, Folder, shortLine } from '../format.ts';
import type { CliIO } from '../io.ts';

const OUTPUTS = ['short', 'short-iso', 'json', 'jsonl', 'csv'] as const;
type Output = (typeof OUTPUTS)[number];

interface ShowOpts {
  since?: string;
  until?: string;
  boot?: string | true;
  type: string[];
  process?: string;
  unit?: string;
  lines?: string;
  reverse?: boolean;
  output: string;
  follow?: boolean;
  dataDir?: string;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').filter(Boolean)];
}

/** The query of show's options; io.zone names the user's zone for local-time expressions when it is not the process's. */
export function buildSpec(o: ShowOpts, io?: CliIO): QuerySpec {
  checkTime(o.since, '--since');
  checkTime(o.until, '--until');
  const spec: QuerySpec = {};
  if (o.since !== undefined) spec.since = o.since;
  if (o.until !== undefined) spec.until = o.until;
  if (io?.zone.name !== undefined && (o.since !== undefined || o.until !== undefined)) spec.tz = io.zone.name;
  if (o.boot !== undefined) {
    if (o.boot === true) spec.boot = true;
    else if (/^[+-]?\d+$/.test(o.boot)) spec.boot = Number(o.boot);
    else throw new UsageError(`-b: bad boot "${o.boot}" (a number: 0 or none = current, -1 = previous, 5 = boot 5)`);
  }
  for (const t of o.type ?? []) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) {
      throw new UsageError(`-t: unknown event type "${t}" (known: ${EVENT_TYPES.join(', ')})`);
    }
  }
  if (o.type?.length) spec.types = o.type;
  if (o.process !== undefined) spec.comm = o.process;
  if (o.unit !== undefined) spec.unit = o.unit;
  if (o.lines !== undefined) {
    if (!/^\d+$/.test(o.lines) || Number(o.lines) < 1) throw new UsageError(`-n: bad number of events "${o.lines}"`);
    spec.limit = Number(o.lines);
  }
  if (o.reverse) spec.reverse = true;
  return spec;
}

class Printer {
  private folder = new Folder();
  private n = 0;
  constructor(
    private out: Out,
    private fmt: Output,
    private follow: boolean,
    private zone: Zone,
  ) {
    if (fmt === 'csv') out.line(CSV_HEADER);
    if (fmt === 'json' && !follow) out.line('[');
  }
  event(e: StoredEvent): boolean {
    if (this.fmt === 'json' || this.fmt === 'jsonl') {
      const s = JSON.stringify(e);
      if (this.fmt === 'json' && !this.follow) return this.out.line((this.n++ ? ',' : '') + s);
      return this.out.line(s);
    }
    for (const [a, core] of this.folder.push(e)) if (!this.print(a, core)) return false;
    return !this.out.closed;
  }
  private print(e: StoredEvent, core?: StoredEvent): boolean {
    if (this.fmt === 'csv') return this.out.line(csvLine(e, core));
    return this.out.line(shortLine(e, this.fmt === 'short' ? 'local' : 'utc', core, this.zone));
  }
  /** End of a burst (follow mode): print a held death. */
  idle(): void {
    for (const [a, core] of this.folder.flush()) this.print(a, core);
    this.out.flush();
  }
  async end(): Promise<void> {
    for (const [a, core] of this.folder.flush()) this.print(a, core);
    if (this.fmt === 'json' && !this.follow) this.out.line(']');
    await this.out.end();
  }
}

async function followDirect(io: CliIO, dataDir: string, spec: QuerySpec, printer: Printer, from: number): Promise<void> {
  let last = from;
  const stop = io.interrupt();
  const q0 = { ...spec, limit: undefined, reverse: false };
  const { Store } = await import('../../store/store.ts');
  while (!stop.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    if (stop.aborted) break;
    // the daemon may have started meanwhile: it serves the rest
    let store: Store;
    try {
      store = await Store.open(dataDir, { create: false, sync: false });
    } catch {
      continue; // locked by a starting daemon or a writer: try again
    }
    try {
      const q = resolveQuery(store, q0);
      for await (const [sseq, v] of store.rows(last + 1)) {
        const e = (JSON.parse(v) as EventRow).e;
        if (matches(e, q) && !printer.event(e)) return;
        last = sseq;
      }
      printer.idle();
    } finally {
      await store.close();
    }
  }
}

export function registerShow(program: Command, io: CliIO): Command {
  const cmd = program
    .command('show')
    .description('show stored events (journalctl conventions)')
    .option('-S, --since <time>', 'from this time: ISO 8601, today, yesterday, now, -2h, "3 days ago", boot, boot-N')
    .option('-U, --until <time>', 'up to this time (same forms)')
    .option('-b, --boot [N]', 'only boot N: none/0 = current, -1 = previous, 5 = boot number 5')
    .option('-t, --type <type>', `event type, repeatable (${EVENT_TYPES.join(', ')})`, collect, [])
    .option('--process <comm>', 'only events about this process name')
    .option('--unit <unit>', 'only events of this systemd unit')
    .option('-n, --lines <N>', 'only the last N events')
    .option('-r, --reverse', 'newest first')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUTS).default('short'))
    .option('-f, --follow', 'keep printing new events');
  addDataDir(cmd);
  cmd.action(action(io, async (o: ShowOpts) => {
    let spec: QuerySpec;
    try {
      spec = buildSpec(o, io);
    } catch (e) {
      return report(io, e);
    }
    const fmt = o.output as Output;
    const out = new Out(io);
    const follow = !!o.follow;
    const printer = new Printer(out, fmt, follow, io.zone);
    let last = 0;
    let direct = false;
    await withBackend(io, o, async (b) => {
      direct = b.mode === 'direct';
      if (follow && !direct) {
        const stop = io.interrupt();
        await Promise.race([
          b.request({ op: 'show', spec, follow: true }, (item) => {
            const it = item as { event?: StoredEvent; caught_up?: boolean };
            if (it.caught_up) printer.idle();
            else if (it.event) {
              if (!printer.event(it.event)) return false;
              printer.idle();
            }
          }),
          new Promise((res) => (stop.aborted ? res(null) : stop.addEventListener('abort', res, { once: true }))),
        ]);
        return;
      }
      await b.request({ op: 'show', spec: follow && spec.limit === undefined && !spec.since && !spec.until ? { ...spec, limit: 10 } : spec }, (item) => {
        const e = (item as { event: StoredEvent }).event;
        if (e.sseq > last) last = e.sseq;
        return printer.event(e);
      });
    });
    if (io.exitCode) return;
    if (follow && direct) {
      printer.idle();
      await followDirect(io, resolveDataDir(o.dataDir, io.env), spec, printer, last);
    }
    await printer.end();
  }));
  return cmd;
}
