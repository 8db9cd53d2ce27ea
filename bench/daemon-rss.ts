/*
 * raslogd memory: RSS after start-up with a full 1 MiB region replayed, and
 * over a period of following it (200 ms polls) while records keep arriving
 * and netstats samples every second.
 *   node --import=tsx bench/daemon-rss.ts [seconds=30]
 */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkimage } from '../test/region-helpers.ts';
import { RegionWriter } from '../test/store-fixtures.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECS = Number(process.argv[2] ?? 30);
const base = mkdtempSync(join(tmpdir(), 'raslog-rss-'));

// a full region from the C writer (the kernel's commit code), 1 MiB, wrapped
const img = mkimage(['--size', '1M', '--records', '6000', '--seed', '9']);
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

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// first a daemon that replays the C-written full region, then one that follows `live`
const confFull = conf.replace('.conf', '-full.conf');
writeFileSync(confFull, readFileSync(conf, 'utf8').replace(`device = ${dev}`, `device = ${img.path}`));
const t0 = Date.now();
const full = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', confFull, '--data-dir', join(base, 'data-full')], { stdio: ['ignore', 'pipe', 'inherit'] });
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
await new Promise((r) => setTimeout(r, 1000));
console.log(`raslogd with a full 1 MiB region (${img.manifest.records.length} records replayed): ready in ~${Date.now() - t0 - 1000} ms, RSS ${(rssKiB(full.pid!) / 1024).toFixed(1)} MiB`);
full.kill('SIGTERM');
await new Promise((r) => full.on('exit', r));

const d = spawn(process.execPath, [join(ROOT, 'bin/raslogd.js'), '--config', conf], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => setTimeout(r, 3000));
const samples: number[] = [];
let pid = 9000;
for (let s = 0; s < SECS; s++) {
  for (let k = 0; k < 20; k++) live.death({ pid: pid++, comm: 'worker', signo: 9, sender: { pid: 1, uid: 0, comm: 'systemd' } });
  live.save(dev);
  await new Promise((r) => setTimeout(r, 1000));
  samples.push(rssKiB(d.pid!));
}
const mib = (k: number) => (k / 1024).toFixed(1);
console.log(`following for ${SECS} s (20 records/s, 200 ms polls, netstats every 1 s): RSS first ${mib(samples[0]!)} MiB, max ${mib(Math.max(...samples))} MiB, last ${mib(samples[samples.length - 1]!)} MiB`);
d.kill('SIGTERM');
await new Promise((r) => d.on('exit', r));
