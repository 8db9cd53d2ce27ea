// bench/kmod-overhead: in one guest boot, a fork+exit+wait loop, a kill loop (SIGUSR1 to a
// handler) and a kill storm (SIGKILL to children), alternating without and with raslog.ko.
// Prints medians, the with/without ratios, the per-death recording cost and the storm rate.
// Usage: node --import=tsx bench/kmod-overhead.ts [rounds=5] [forks=3000] [kills=200000] [storm=3000]
//        node --import=tsx bench/kmod-overhead.ts --parse console.log   (re-analyse an earlier run)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, buildInitramfs, Vm } from '../test/vm/rig.ts';
import { overheadScenario } from '../test/vm/scenarios.ts';

const parseOnly = process.argv[2] === '--parse' ? process.argv[3] : null;
const [rounds, forks, kills, storm] = [5, 3000, 200_000, 3000].map((d, i) => Number((!parseOnly && process.argv[2 + i]) || d));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function runGuest(): Promise<{ lines: string[]; kver: string }> {
  const art = prepare();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raslog-bench-'));
  const initrd = buildInitramfs(art, overheadScenario(forks, kills, storm, rounds), path.join(dir, 'initrd.cpio'));
  const vm = new Vm({ art, initrd, ramFile: path.join(dir, 'ram.img'), dir, timeoutMs: 1_500_000, icount: true });
  try {
    await vm.waitFor(/BENCH-DONE/, 1_450_000);
  } finally {
    await vm.stop();
  }
  console.log(`guest console: ${dir}/console.log`);
  return { lines: vm.lines, kver: art.kver };
}
const { lines, kver } = parseOnly
  ? { lines: fs.readFileSync(parseOnly, 'utf8').split('\n'), kver: 'a recorded run' }
  : await runGuest();

// samples[mode][with|without] = ns per op (storm: ns per kill)
const samples: Record<string, Record<'with' | 'without', number[]>> = {};
let phase: 'with' | 'without' = 'without';
for (const line of lines) {
  let m = /^ROUND \d+ (without|with)$/.exec(line);
  if (m) phase = m[1] as 'with' | 'without';
  m = /^LOOP (\w+) \d+ ([\d.]+)/.exec(line);
  const s = /^STORM-DONE (\d+) kills in ([\d.]+) s/.exec(line);
  const [mode, ns] = m ? [m[1], Number(m[2])] : s ? ['storm', (Number(s[2]) * 1e9) / Number(s[1])] : [null, 0];
  if (!mode) continue;
  samples[mode] ??= { with: [], without: [] };
  samples[mode][phase].push(ns);
}
console.log(`raslog.ko overhead, Debian ${kver} under qemu TCG with -icount (guest time = instructions), alternating rounds without/with the module (medians)`);
for (const [mode, label] of [['fork', 'fork+exit+wait'], ['kill', 'kill(SIGUSR1) to handler'], ['storm', 'SIGKILL a child + reap']]) {
  const s = samples[mode];
  if (!s || !s.with.length || !s.without.length) {
    console.log(`${label}: no samples`);
    continue;
  }
  const a = median(s.without), b = median(s.with);
  console.log(`${label.padEnd(26)} without ${a.toFixed(1).padStart(9)} ns  with ${b.toFixed(1).padStart(9)} ns  ratio ${(b / a).toFixed(4)}`);
}
const st = samples.storm;
if (st?.with.length && st.without.length) {
  const cost = median(st.with) - median(st.without);
  console.log(`recording one death (tracepoints + commit): ${cost.toFixed(0)} ns median extra per kill`);
  console.log(`storm sustained with the module: ${(1e9 / median(st.with)).toFixed(0)} deaths/s recorded`);
}
