/*
 * A raslogd stand-in for the crash tests: opens the outbox at $dir, builds the
 * sinks from the JSON config, enqueues deathEvent(1..count) (a restart
 * enqueues them again: the watermark skips them), delivers, and prints
 * "drained <status JSON>" when every queue is empty. Killed with SIGKILL by
 * test/sinks-outage.test.ts.
 */
import { join } from 'node:path';
import { Level } from 'level';
import { createNotifier } from '../../src/sinks/index.ts';
import { deathEvent } from './peers.ts';

const arg = JSON.parse(process.env.RASLOG_SINKS_CHILD ?? '{}') as { dir: string; config: unknown; syslogPrefix?: string[]; count: number };
const db = new Level<string, string>(join(arg.dir, 'outbox'));
await db.open();
const n = await createNotifier(db, arg.config, { syslog: { helperPrefix: arg.syslogPrefix } });
n.outbox.on('delivered', (d: { sink: string; key: string }) => process.stdout.write(`delivered ${d.sink} ${d.key}\n`));
n.outbox.start();
const queued = await n.outbox.enqueue(Array.from({ length: arg.count }, (_, i) => deathEvent(i + 1)));
process.stdout.write(`queued ${queued}\n`);
await n.outbox.drained(120_000);
process.stdout.write(`drained ${JSON.stringify(await n.outbox.status())}\n`);
await n.close();
await db.close();
