/*
 * Durable delivery against real peers:
 * - outage: with events flowing, every peer is stopped for a while and
 *   restarted → every event reaches every sink, none lost, duplicates only
 *   as repeats of the same idempotency key with the same content;
 * - crash: the delivering process (test/helpers/sinks-child.ts) is killed
 *   with SIGKILL mid-delivery and started again → the same.
 */

import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { createNotifier, parseLine } from '../src/sinks/index.ts';
import { OBJECT_OID } from '../src/sinks/snmp.ts';
import {
  deathEvent,
  deathKey,
  devLogPrefix,
  makeTls,
  parseRsyslogLine,
  sleep,
  startHttpPeer,
  startRsyslog,
  startSnmptrapd,
  tempDir,
  waitFor,
  type HttpPeer,
  type Rsyslog,
  type Snmptrapd,
} from './helpers/peers.ts';

interface Peers {
  dir: string;
  rsyslog: Rsyslog;
  trapd: Snmptrapd;
  http: HttpPeer;
  https: HttpPeer;
  caFile: string;
  execOut: string;
  execFail: string;
  syslogPrefix: string[];
  config: unknown;
  stopAll(): Promise<void>;
}

async function startPeers(): Promise<Peers> {
  const dir = tempDir('raslog-outage-');
  const tls = makeTls();
  const rsyslog = await startRsyslog();
  const trapd = await startSnmptrapd();
  const http = await startHttpPeer();
  const https = await startHttpPeer(tls);
  const execOut = join(dir, 'exec.out');
  const execFail = join(dir, 'exec.fail');
  const script = join(dir, 'notify.sh');
  writeFileSync(script, `#!/bin/sh\n[ -e ${execFail} ] && exit 75\necho "$RASLOG_KEY $RASLOG_PID" >> ${execOut}\n`, { mode: 0o755 });
  const config = {
    sinks: [
      { name: 'syslog', kind: 'syslog', ident: 'raslogd-outage', facility: 'local5', timeout_ms: 2000 },
      { name: 'nms', kind: 'snmp', mode: 'inform', managers: [{ host: '127.0.0.1', port: trapd.port }], timeout_ms: 1000, retries: 0 },
      { name: 'console', kind: 'http', url: http.url, timeout_ms: 1000 },
      { name: 'console-tls', kind: 'http', url: https.url, ca_file: tls.caFile, hmac_secret: 'x', timeout_ms: 1000 },
      { name: 'cmd', kind: 'exec', command: [script], timeout_ms: 2000 },
    ],
    routes: [{ sinks: ['*'] }],
    retry: { min_ms: 50, max_ms: 500 },
    suppress: { enabled: false },
  };
  return {
    dir,
    rsyslog,
    trapd,
    http,
    https,
    caFile: tls.caFile,
    execOut,
    execFail,
    syslogPrefix: devLogPrefix(rsyslog.dir, rsyslog.sock),
    config,
    async stopAll() {
      await Promise.all([rsyslog.stop(), trapd.stop(), http.stop(), https.stop()]);
    },
  };
}

/** What each peer received: key → list of (content fingerprint). */
function received(p: Peers): Record<string, Map<string, string[]>> {
  const add = (m: Map<string, string[]>, key: string, fp: string) => m.set(key, [...(m.get(key) ?? []), fp]);
  const syslog = new Map<string, string[]>();
  for (const l of p.rsyslog.lines()) {
    if (!l.includes('raslogd-outage')) continue;
    const f = parseLine(parseRsyslogLine(l).msg).fields;
    add(syslog, f.key!, `${f.pid}`);
  }
  const snmp = new Map<string, string[]>();
  for (const vbs of p.trapd.received()) {
    const get = (sub: number) => vbs.find((v) => v.oid === `.${OBJECT_OID}.${sub}.0`)?.value ?? '';
    add(snmp, get(1), get(9));
  }
  const http = new Map<string, string[]>();
  for (const a of p.http.accepted) add(http, String(a.json.key), String((a.json.event as { pid: number }).pid));
  const https = new Map<string, string[]>();
  for (const a of p.https.accepted) add(https, String(a.json.key), String((a.json.event as { pid: number }).pid));
  const exec = new Map<string, string[]>();
  if (existsSync(p.execOut)) {
    for (const l of readFileSync(p.execOut, 'utf8').split('\n').filter(Boolean)) {
      const [k, pid] = l.split(' ');
      add(exec, k!, pid!);
    }
  }
  return { syslog, snmp, http, https, exec };
}

/** Every event 1..count at every sink; repeats only of the same key with the same content. */
function assertComplete(t: ExecutionContext, p: Peers, count: number): Record<string, number> {
  const dups: Record<string, number> = {};
  const want = Array.from({ length: count }, (_, i) => deathKey(i + 1));
  for (const [sink, m] of Object.entries(received(p))) {
    const missing = want.filter((k) => !m.has(k));
    t.deepEqual(missing, [], `${sink}: ${missing.length} of ${count} events never arrived`);
    const extra = [...m.keys()].filter((k) => !want.includes(k));
    t.deepEqual(extra, [], `${sink}: unknown keys`);
    let n = 0;
    for (const [k, fps] of m) {
      const i = want.indexOf(k) + 1;
      for (const fp of fps) t.is(fp, String(8000 + i), `${sink}: ${k} carried another event's content`);
      n += fps.length - 1;
    }
    dups[sink] = n;
  }
  return dups;
}

test('outage: every peer stopped while events flow, then restarted → nothing lost', async (t) => {
  const p = await startPeers();
  const db = new Level<string, string>(join(p.dir, 'outbox'));
  await db.open();
  const n = await createNotifier(db, p.config, { syslog: { helperPrefix: p.syslogPrefix } });
  n.outbox.start();
  const COUNT = 90;
  try {
    for (let i = 1; i <= COUNT; i++) {
      await n.outbox.enqueue([deathEvent(i)]);
      if (i === 30) {
        // outage: every peer goes away (rsyslogd and snmptrapd stopped, servers closed, command failing)
        writeFileSync(p.execFail, '');
        await Promise.all([p.rsyslog.stop(), p.trapd.stop(), p.http.stop(), p.https.stop()]);
      }
      if (i === 65) {
        // every sink has noticed the outage (its first attempt failed or timed out)
        await waitFor(async () => (await n.outbox.status()).every((s) => s.last_error), 15_000, 'every sink to report an error');
        for (const s of await n.outbox.status()) t.true(s.backlog > 0, `${s.sink} should have a backlog during the outage`);
        rmSync(p.execFail);
        await Promise.all([p.rsyslog.start(), p.trapd.start(), p.http.start(), p.https.start()]);
      }
      await sleep(15);
    }
    try {
      await n.outbox.drained(60_000);
    } catch (e) {
      t.log(JSON.stringify(await n.outbox.status(), null, 1));
      throw e;
    }
    await sleep(300); // rsyslogd writes its file asynchronously
    const dups = assertComplete(t, p, COUNT);
    t.log(`duplicates (same key, same content): ${JSON.stringify(dups)}`);
    const st = await n.outbox.status();
    for (const s of st) {
      t.is(s.backlog, 0);
      t.true(s.delivered >= COUNT, `${s.sink} delivered ${s.delivered}`);
    }
  } finally {
    await n.close();
    await db.close();
    await p.stopAll();
  }
});

function runChild(p: Peers, count: number): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const env = { ...process.env, RASLOG_SINKS_CHILD: JSON.stringify({ dir: p.dir, config: p.config, syslogPrefix: p.syslogPrefix, count }) };
  const child = spawn(process.execPath, ['--import=tsx', join(import.meta.dirname, 'helpers', 'sinks-child.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

test('crash: the delivering process is killed with SIGKILL mid-delivery, restarted → nothing lost', async (t) => {
  const p = await startPeers();
  const COUNT = 80;
  // slow consoles so that the kill lands in the middle of the deliveries
  p.http.mode.delayMs = 40;
  p.https.mode.delayMs = 40;
  try {
    const first = runChild(p, COUNT);
    await waitFor(() => /queued \d+/.test(first.out()), 30_000, 'child to enqueue');
    t.regex(first.out(), new RegExp(`queued ${COUNT * 5}\\b`));
    await waitFor(() => p.http.accepted.length >= 15, 30_000, 'some deliveries');
    first.child.kill('SIGKILL');
    await first.exited;
    const at = received(p);
    const partial = Object.fromEntries(Object.entries(at).map(([k, m]) => [k, m.size]));
    t.log(`delivered before SIGKILL: ${JSON.stringify(partial)}`);
    t.true(at.http!.size < COUNT, 'the kill must land mid-delivery');
    p.http.mode.delayMs = 0;
    p.https.mode.delayMs = 0;
    const second = runChild(p, COUNT);
    await waitFor(() => second.out().includes('drained ') || second.child.exitCode !== null, 60_000, 'restarted child to drain');
    t.regex(second.out(), /queued 0\b/, 'the restart re-enqueued nothing (watermark)');
    t.regex(second.out(), /drained /, second.out().slice(-2000));
    await second.exited;
    await sleep(300);
    const dups = assertComplete(t, p, COUNT);
    t.log(`duplicates after the crash (same key, same content): ${JSON.stringify(dups)}`);
  } finally {
    await p.stopAll();
  }
});
