/*
 * raslogd memory (goal < 80 MB): RSS sampled every 20 ms during the replay of
 * a region of 20,000 records (max), after it (idle), and over a period of
 * following a live region (200 ms polls) while records keep arriving and
 * netstats samples every second. raslogd is started as systemd does
 * (ExecStart=/usr/bin/raslogd: the executable bin/raslogd.js, its shebang's
 * node flags apply).
 *   node --import=tsx bench/daemon-rss.ts [seconds=30] [records=20000]
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkimage } from '../test/region-helpers.ts';
import { RegionWriter } from '../test/store-fixtures.ts';
// @ts-expect-error: plain JS module without types
import { buildIsFresh } from '../bin/entry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// bin/raslogd.js runs dist/ only when it is fresh, else the sources through tsx (~15 MiB more RSS)
if (!buildIsFresh()) {
  console.log('dist/ is stale: building (node tools/build.mjs)…');
  execFileSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { stdio: 'inherit' });
}
const SECS = Number(process.argv[2] ?? 30);
const RECORDS = Number(process.argv[3] ?? 20_000);
const base = mkdtempSync(join(tmpdir(), 'raslog-rss-'));

// a region from the C writer (the kernel's commit code) holding RECORDS records (~4,000 per MiB)
const img = mkimage(['--size', `${Math.ceil(RECORDS / 3500)}M`, '--records', String(RECORDS), '--seed', '9']);
// plus a live region the test keeps appending to
const live = new RegionWriter(1024 * 1024, 0x42);
live.newBoot();
const dev = live.save(join(base, 'raslog'));
writeFileSync(join(base, 'boot_id'), 'rss-bench\n');
writeFileSync(join(base, 'uptime'), '10.0 0\n');
mkdirSync(join(base, 'pstore'));
const conf = join(base, 'raslog.conf');
writeFileSync(
  conf,
  `data_dir = ${join(base, 'data')}\nlog_level = warn\n[kmod]\ndevice = ${dev}\n[boot]\nboot_id = ${join(base, 'boot_id')}\nuptime = ${join(base, 'uptime')}\n[pstore]\ndir = ${join(base, 'pstore')}\n[netstats]\ninterval = 1\n`,
);

function rssKiB(pid: number, what = 'VmRSS'): number {
  const m = new RegExp(`${what}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
/** RssAnon: the process's own memory; VmRSS adds file pages, mostly the node binary's (~45-50 MiB, shared). */
const anonKiB = (pid: number) => rssKiB(pid, 'RssAnon');

// first a daemon that replays the C-written full region, then one that follows `live`
const confFull = conf.replace('.conf', '-full.conf');
writeFileSync(confFull, readFileSync(conf, 'utf8').replace(`device = ${dev}`, `device = ${img.path}`));
const t0 = Date.now();
const full = spawn(join(ROOT, 'bin/raslogd.js'), ['--config', confFull, '--data-dir', join(base, 'data-full')], { stdio: ['ignore', 'pipe', 'inherit'] });
let replayMax = 0;
let replayAnonMax = 0;
const sampler = setInterval(() => {
  try {
    replayMax = Math.max(replayMax, rssKiB(full.pid!));
    replayAnonMax = Math.max(replayAnonMax, anonKiB(full.pid!));
  } catch {
    /* not started yet */
  }
}, 20);
await new Promise<void>((res) => {
  const check = setInterval(() => {
    try {
      readFileSync(join(base, 'data-full', 'raslogd.sock'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        clearInterval(check);
        res();
      }
    }
  }, 50);
});
// the socket opens before the replay: wait for the store to hold every record (raslog status)
const ready = Date.now();
for (;;) {
  const st = spawnSync(join(ROOT, 'bin/raslog.js'), ['status', '-o', 'json', '--data-dir', join(base, 'data-full')], { encoding: 'utf8' });
  try {
    if ((JSON.parse(st.stdout) as { store: { events: number } }).store.events >= img.manifest.records.length) break;
  } catch {
    /* not yet */
  }
  if (Date.now() - ready > 120_000) throw new Error('replay did not finish in 120 s');
  await new Promise((r) => setTimeout(r, 250));
}
const replayMs = Date.now() - t0;
const during = replayMax;
await new Promise((r) => setTimeout(r, 2000));
clearInterval(sampler);
console.log(
  `raslogd replaying a ${Math.ceil(RECORDS / 3500)} MiB region (${img.manifest.records.length} records): stored in ~${replayMs} ms, ` +
    `RSS max during the replay ${(during / 1024).toFixed(1)} MiB (anonymous ${(replayAnonMax / 1024).toFixed(1)}), ` +
    `idle 2 s after ${(rssKiB(full.pid!) / 1024).toFixed(1)} MiB (anonymous ${(anonKiB(full.pid!) / 1024).toFixed(1)}); VmHWM ${(rssKiB(full.pid!, 'VmHWM') / 1024).toFixed(1)} MiB`,
);
full.kill('SIGTERM');
await new Promise((r) => full.on('exit', r));

const d = spawn(join(ROOT, 'bin/raslogd.js'), ['--config', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => setTimeout(r, 3000));
const samples: number[] = [];
const anon: number[] = [];
let pid = 9000;
for (let s = 0; s < SECS; s++) {
  for (let k = 0; k < 20; k++) live.death({ pid: pid++, comm: 'worker', signo: 9, sender: { pid: 1, uid: 0, comm: 'systemd' } });
  live.save(dev);
  await new Promise((r) => setTimeout(r, 1000));
  samples.push(rssKiB(d.pid!));
  anon.push(anonKiB(d.pid!));
}
const mib = (k: number) => (k / 1024).toFixed(1);
console.log(`following for ${SECS} s (20 records/s, 200 ms polls, netstats every 1 s): RSS first ${mib(samples[0]!)} MiB, max ${mib(Math.max(...samples))} MiB, last ${mib(samples[samples.length - 1]!)} MiB; anonymous max ${mib(Math.max(...anon))} MiB, last ${mib(anon[anon.length - 1]!)} MiB; VmHWM ${mib(rssKiB(d.pid!, 'VmHWM'))} MiB`);
d.kill('SIGTERM');
await new Promise((r) => d.on('exit', r));
