/*
 * The native client on a large output: a reader that stops early
 * (`raslog export | head -1`) ends the request in raslogd, and a reader that
 * stalls makes raslogd wait instead of buffering the whole output in memory.
 * A real raslogd on a store of 100,000 events (~40 MiB of JSON lines).
 */

import test from 'ava';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../src/store/store.ts';
import type { NewEvent } from '../src/store/types.ts';
import { ROOT } from './region-helpers.ts';
import { fakeProc, tempDir } from './store-fixtures.ts';

const N = 100_000;
const base = tempDir('thin-stream');
const CLIENT = join(base, 'raslog-client');
const NO_FALLBACK = join(base, 'no-fallback.sh');
const data = join(base, 'data');
let daemon: ChildProcess & { lines: string[] };

const env = { ...process.env, RASLOG_DATA_DIR: data, RASLOG_SOCKET: '', RASLOG_NODE_CLI: NO_FALLBACK, TZ: 'UTC' };

interface Status {
  queries: { connections: number; active: number };
  memory: { rss_bytes: number };
  events: number;
}
function status(): Status {
  const r = spawnSync(CLIENT, ['status', '-o', 'json'], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`status: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as { daemon: Omit<Status, 'events'>; store: { events: number } };
  return { ...s.daemon, events: s.store.events };
}

async function until(what: string, pred: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.before(async () => {
  execFileSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-O2', '-o', CLIENT, join(ROOT, 'src/client/raslog-client.c')]);
  writeFileSync(NO_FALLBACK, '#!/bin/sh\necho "fell back to the Node CLI: $*" >&2\nexit 99\n', { mode: 0o755 });
  mkdirSync(data);
  const store = await Store.open(data, { create: true, sync: false });
  const t0 = 1795861234000000000n;
  for (let i = 0; i < N; i += 5000) {
    const evs: NewEvent[] = [];
    for (let j = i; j < i + 5000; j++) {
      evs.push({
        type: 'process_death', boot: 1, time_ns: (t0 + BigInt(j) * 1_000_000n).toString(), source: 'kmod',
        pid: 1000 + j, tgid: 1000 + j, uid: 0, comm: `worker${j % 10}`, signal: 'SIGKILL', signo: 9, cause: 'process',
        sender: { pid: 1, tgid: 1, uid: 0, comm: 'systemd' }, cgroup: '/system.slice/work.service', unit: 'work.service',
      } as NewEvent);
    }
    await store.append(evs);
  }
  await store.close();
  const proc = fakeProc('boot-id-stream');
  const conf = join(base, 'raslog.conf');
  writeFileSync(conf, `data_dir = ${data}\n[kmod]\nenabled = no\n[boot]\nboot_id = ${proc.bootIdPath}\nuptime = ${proc.uptimePath}\n[pstore]\nenabled = no\n[netstats]\nenabled = no\n`);
  daemon = spawn(join(ROOT, 'bin/raslogd.js'), ['--config', conf], { stdio: ['ignore', 'pipe', 'pipe'], env }) as ChildProcess & { lines: string[] };
  daemon.lines = [];
  for (const s of [daemon.stdout!, daemon.stderr!]) s.on('data', (d: Buffer) => daemon.lines.push(...d.toString().split('\n')));
  await until('raslogd ready', () => daemon.lines.some((l) => /raslogd ready/.test(l)), 30000);
});

test.after.always(() => {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
});

test.serial('raslog export | head -1: the closed pipe ends the export in raslogd', async (t) => {
  const r = spawnSync('sh', ['-c', `"${CLIENT}" export --format jsonl | head -n 1`], { encoding: 'utf8', env, timeout: 20000 });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.split('\n').filter(Boolean).length, 1);
  t.regex(r.stdout, /"sseq":1\b/);
  t.is(r.stderr, '');
  // the export stopped: only the status request itself is left
  await until('raslogd ends the export', () => status().queries.connections === 1);
  t.like(status().queries, { connections: 1, active: 1 });
});

test.serial('a stalled reader: raslogd waits for it instead of buffering the output, then everything arrives', async (t) => {
  const s0 = status();
  const rss0 = s0.memory.rss_bytes;
  t.true(s0.events > N); // the deaths and raslogd's boot event
  const c = spawn(CLIENT, ['show', '-o', 'jsonl'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let lines = 0;
  let err = '';
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const onData = (d: Buffer) => {
    bytes += d.length;
    for (const b of d) if (b === 10) lines++;
  };
  c.stdout.once('data', (d: Buffer) => {
    onData(d);
    c.stdout.pause(); // stall after the first chunk
  });
  await until('the first output', () => bytes > 0);
  await new Promise((r) => setTimeout(r, 2500));
  const during = status();
  t.like(during.queries, { active: 2 }, 'the show request is still running, waiting for the reader');
  const grew = (during.memory.rss_bytes - rss0) / 1048576;
  t.log(`raslogd RSS while the reader stalls: +${grew.toFixed(1)} MiB (the whole output is ~${Math.round((N * 420) / 1048576)} MiB)`);
  t.true(grew < 20, `raslogd grew ${grew.toFixed(1)} MiB while the reader stalled`);
  const code = new Promise<number | null>((res) => c.on('close', res));
  c.stdout.on('data', onData);
  c.stdout.resume();
  t.is(await code, 0, err);
  t.is(lines, s0.events);
  await until('raslogd ends the request', () => status().queries.connections === 1);
});
