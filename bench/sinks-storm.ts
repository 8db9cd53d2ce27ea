/*
 * A storm: 10,000 process deaths with every sink on (syslog(3) → a real
 * rsyslogd, SNMP informs → a real snmptrapd, HTTP and HTTPS consoles, an exec
 * command), all routed everywhere.
 *
 * Two runs:
 *  - suppression off: every death is delivered to every sink (50,000
 *    deliveries): enqueue throughput, backlog drain time per sink, RSS;
 *  - suppression on (defaults): the storm is folded: how many notifications
 *    actually leave, and how fast.
 *
 *   node --import=tsx bench/sinks-storm.ts [--events 10000] [--batch 500] [--no-exec]
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { createNotifier } from '../src/sinks/index.ts';
import { deathEvent, devLogPrefix, makeTls, startHttpPeer, startRsyslog, startSnmptrapd, tempDir, waitFor } from '../test/helpers/peers.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const EVENTS = opt('events', 10_000);
const BATCH = opt('batch', 500);
const EXEC = !argv.includes('--no-exec');
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;

const tls = makeTls();
const rs = await startRsyslog();
const trapd = await startSnmptrapd();
const http = await startHttpPeer();
const https = await startHttpPeer(tls);
const dir = tempDir('raslog-bench-storm-');
const script = join(dir, 'notify.sh');
writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });

async function run(label: string, suppress: boolean) {
  const db = new Level<string, string>(join(tempDir('raslog-bench-storm-db-'), 'outbox'));
  await db.open();
  const sinks: unknown[] = [
    { name: 'syslog', kind: 'syslog', ident: 'raslogd-storm', facility: 'local7' },
    { name: 'nms', kind: 'snmp', managers: [{ host: '127.0.0.1', port: trapd.port }], concurrency: 16 },
    { name: 'console', kind: 'http', url: http.url, concurrency: 16 },
    { name: 'console-tls', kind: 'http', url: https.url, ca_file: tls.caFile, hmac_secret: 'k', concurrency: 16 },
  ];
  if (EXEC) sinks.push({ name: 'cmd', kind: 'exec', command: [script], concurrency: 8 });
  const n = await createNotifier(
    db,
    { sinks, routes: [{ sinks: ['*'] }], suppress: suppress ? {} : { enabled: false } },
    { syslog: { helperPrefix: devLogPrefix(rs.dir, rs.sock) } },
  );
  const done = new Map<string, number>();
  const counts = new Map<string, number>();
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  n.outbox.on('delivered', (d: { sink: string }) => {
    counts.set(d.sink, (counts.get(d.sink) ?? 0) + 1);
    if (n.outbox.pending(d.sink) === 0) done.set(d.sink, performance.now() - t0);
  });
  n.outbox.start();
  let queued = 0;
  const now = Date.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const evs = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      evs.push(deathEvent(j + 1, { time_ns: (BigInt(now) * 1_000_000n + BigInt(j) * 1000n).toString(), comm: `worker${j % 13}` }));
    }
    queued += await n.outbox.enqueue(evs);
  }
  const tEnq = performance.now() - t0;
  const maxBacklog = n.outbox.pending();
  await n.outbox.drained(600_000, 10);
  const tDrain = performance.now() - t0;
  clearInterval(rssTimer);
  console.log(`\n${label}: ${EVENTS} deaths, ${queued} deliveries queued to ${n.sinks.length} sinks`);
  console.log(`  enqueue: ${tEnq.toFixed(0)} ms (${((EVENTS / tEnq) * 1000).toFixed(0)} events/s, batches of ${BATCH}, fsync on)`);
  console.log(`  backlog right after enqueue: ${maxBacklog}; all drained after ${(tDrain / 1000).toFixed(2)} s (${((queued / tDrain) * 1000).toFixed(0)} deliveries/s overall)`);
  await n.close();
  for (const s of n.sinks) {
    const c = counts.get(s.name) ?? 0;
    const t = done.get(s.name) ?? tDrain;
    console.log(`    ${s.name.padEnd(12)} ${String(c).padStart(6)} delivered, drained at ${(t / 1000).toFixed(2)} s (${((c / t) * 1000).toFixed(0)}/s)`);
  }
  console.log(`  RSS max ${mb(rssMax)} (heap used now ${mb(process.memoryUsage().heapUsed)})`);
  await db.close();
}

await run('suppression off', false);
await run('suppression on (window 300 s, storm threshold 20)', true);
await waitFor(() => true, 10);
console.log(`\nrsyslogd lines: ${rs.lines().filter((l) => l.includes('raslogd-storm')).length}, snmptrapd notifications: ${trapd.received().length}, http: ${http.accepted.length}, https: ${https.accepted.length}`);
await rs.stop();
await trapd.stop();
await http.stop();
await https.stop();
