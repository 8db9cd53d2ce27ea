/*
 * Notification latency: from outbox.enqueue() (the store has committed) to
 * (a) the HTTP console receiving the POST and (b) the line appearing in a real
 * rsyslogd's output file (syslog(3) through /dev/log → the test rsyslogd, as
 * in test/sinks.test.ts). One event at a time, spaced, so each measures an
 * idle pipeline; then a burst. Goal: p99 < 100 ms.
 *
 *   node --import=tsx bench/sinks-latency.ts [--events 300] [--gap-ms 20]
 */

import { watch } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { createNotifier, parseLine } from '../src/sinks/index.ts';
import { deathEvent, devLogPrefix, sleep, startHttpPeer, startRsyslog, tempDir, waitFor } from '../test/helpers/peers.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const EVENTS = opt('events', 300);
const GAP = opt('gap-ms', 20);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const fmt = (xs: number[]) =>
  `n=${xs.length} p50=${pct(xs, 50).toFixed(1)} ms p90=${pct(xs, 90).toFixed(1)} ms p99=${pct(xs, 99).toFixed(1)} ms max=${Math.max(...xs).toFixed(1)} ms`;

const dir = tempDir('raslog-bench-lat-');
const rs = await startRsyslog();
const http = await startHttpPeer();
const db = new Level<string, string>(join(dir, 'outbox'));
await db.open();
const n = await createNotifier(
  db,
  {
    sinks: [
      { name: 'syslog', kind: 'syslog', ident: 'raslogd-bench', facility: 'local6' },
      { name: 'console', kind: 'http', url: http.url },
    ],
    routes: [{ sinks: ['*'] }],
    suppress: { enabled: false },
  },
  { syslog: { helperPrefix: devLogPrefix(rs.dir, rs.sock) } },
);
n.outbox.start();

const enq = new Map<string, number>();
const httpLat: number[] = [];
const syslogLat: number[] = [];
const seenHttp = new Set<string>();
const seenSyslog = new Set<string>();

// HTTP receipt: the peer records each request as it arrives
const origPush = http.requests.push.bind(http.requests);
http.requests.push = (...rs2) => {
  const now = performance.now();
  for (const r of rs2) {
    const k = String(r.headers['idempotency-key']);
    const t0 = enq.get(k);
    if (t0 !== undefined && !seenHttp.has(k)) {
      seenHttp.add(k);
      httpLat.push(now - t0);
    }
  }
  return origPush(...rs2);
};

// rsyslogd's file: tail it with fs.watch
await waitFor(async () => {
  try {
    await (await open(rs.file, 'r')).close();
    return true;
  } catch {
    return false;
  }
}, 5000, 'rsyslog file').catch(() => undefined);
let pos = 0;
let buf = '';
const fh = await open(rs.file, 'a+');
const readMore = async () => {
  for (;;) {
    const b = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(b, 0, b.length, pos);
    if (!bytesRead) break;
    pos += bytesRead;
    buf += b.subarray(0, bytesRead).toString('utf8');
  }
  const now = performance.now();
  const lines = buf.split('\n');
  buf = lines.pop()!;
  for (const l of lines) {
    const k = parseLine(l).fields.key;
    if (!k) continue;
    const t0 = enq.get(k);
    if (t0 !== undefined && !seenSyslog.has(k)) {
      seenSyslog.add(k);
      syslogLat.push(now - t0);
    }
  }
};
let reading = Promise.resolve();
const w = watch(rs.file, () => {
  reading = reading.then(readMore);
});
const poll = setInterval(() => {
  reading = reading.then(readMore);
}, 5);

async function run(count: number, gap: number, base: number) {
  for (let i = 0; i < count; i++) {
    const ev = deathEvent(base + i);
    enq.set(`${ev.region_id}:${ev.seq}`, performance.now());
    await n.outbox.enqueue([ev]);
    if (gap) await sleep(gap);
  }
  await waitFor(() => seenHttp.size >= base + count - 1 && seenSyslog.size >= base + count - 1, 60_000, 'all deliveries');
}

// warm-up (helper start, TLS-less keep-alive connection)
await run(5, 20, 1);
httpLat.length = 0;
syslogLat.length = 0;
await run(EVENTS, GAP, 6);
console.log(`spaced (${GAP} ms apart), enqueue → receipt:`);
console.log(`  http   ${fmt(httpLat)}`);
console.log(`  syslog ${fmt(syslogLat)}  (line in rsyslogd's file)`);
const h1 = httpLat.length;
const s1 = syslogLat.length;
await run(1000, 0, 6 + EVENTS);
console.log('burst of 1000 enqueued back to back, enqueue → receipt:');
console.log(`  http   ${fmt(httpLat.slice(h1))}`);
console.log(`  syslog ${fmt(syslogLat.slice(s1))}`);
console.log(`goal p99 < 100 ms (spaced): http ${pct(httpLat.slice(0, h1), 99) < 100 ? 'met' : 'NOT met'}, syslog ${pct(syslogLat.slice(0, s1), 99) < 100 ? 'met' : 'NOT met'}`);

clearInterval(poll);
w.close();
await fh.close();
await n.close();
await db.close();
await http.stop();
await rs.stop();
