// Multi-boot VM runs shared by the tests, the demo and the benchmarks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildInitramfs, Vm, ROOT, type Artifacts } from './rig.ts';
import { EVENTS_SCENARIO, daemonScenario, notifyConfigs, notifyScenario } from './scenarios.ts';

export type ScenarioEvents = Map<string, Record<string, string>>;

/** "EV name k=v k=v" lines printed by a scenario. */
export function scenarioEvents(lines: string[]): ScenarioEvents {
  const out: ScenarioEvents = new Map();
  for (const line of lines) {
    const m = /^EV (\S+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const kv: Record<string, string> = {};
    for (const part of m[2].trim().split(/\s+/)) {
      const [k, v] = part.split('=');
      if (k) kv[k] = v ?? '';
    }
    out.set(m[1], kv);
  }
  return out;
}

/**
 * EVENTS_SCENARIO over four boots of one RAM file: boot 1 produces every process
 * event and ends with reboot -f (warm reset); boot 2 takes the dump button (NMI)
 * and halts; boot 3 powers off; boot 4 loses power (qemu killed).
 */
export async function runEventsVm(art: Artifacts, dir: string, say: (s: string) => void = () => {}) {
  const ram = path.join(dir, 'ram.img');
  const initrd = buildInitramfs(art, EVENTS_SCENARIO, path.join(dir, 'initrd.cpio'));
  const opts = { art, initrd, ramFile: ram, dir, timeoutMs: 150_000 };
  let ev: ScenarioEvents;
  let poweroffExit: number | null;
  let vm = new Vm(opts);
  try {
    say('boot 1: killed, crashed and OOM-killed processes, then reboot -f');
    await vm.waitFor(/STAGE-DONE 1/, 120_000);
    ev = scenarioEvents(vm.lines);
    const { index } = await vm.waitFor(/READY-NMI/, 60_000);
    say('boot 2: dump button (NMI via the qemu monitor), then halt -f');
    await vm.nmi();
    await vm.waitFor(/NMI-SEEN/, 30_000, index);
    await vm.waitFor(/System halted/, 30_000, index);
  } finally {
    await vm.stop();
  }
  vm = new Vm(opts);
  try {
    say('boot 3: poweroff -f');
    await vm.waitFor(/STAGE-DONE 3/, 60_000);
    poweroffExit = await vm.exited;
  } finally {
    await vm.stop();
  }
  vm = new Vm(opts);
  try {
    say('boot 4: /dev/raslog and status checked from the guest, then a power cut (qemu killed)');
    await vm.waitFor(/READY-CUT/, 60_000);
  } finally {
    await vm.stop();
  }
  return { ram, ev, poweroffExit, lastBoot: vm.lines };
}

export interface CutResult {
  records: number;
  corrupt: number;
  torn: number;
  /** module_load boot numbers found, oldest first */
  loads: number[];
  maxSeq: number;
  /** sequence numbers absent between the oldest surviving process-lane record and the newest */
  missing: number;
}

/**
 * One power cut: boot the ENDLESS_STORM initrd on ram, wait for the storm, kill qemu
 * after a random 0.5–3 s, then decode what the region kept.
 */
export async function powerCutRound(art: Artifacts, initrd: string, ram: string, dir: string,
  boot: number, decode: (ram: string) => any): Promise<CutResult> {
  const vm = new Vm({ art, initrd, ramFile: ram, dir, timeoutMs: 90_000 });
  try {
    await vm.waitFor(new RegExp(`STORM-START boot=${boot}\\b`), 60_000);
    await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 2500)));
  } finally {
    await vm.stop();
  }
  const report = decode(ram);
  const recs: any[] = report.records;
  const lanes: any[] = report.lanes;
  const seqs = recs.map((r) => r.seq as number);
  const maxSeq = seqs.length ? seqs[seqs.length - 1] : 0;
  const procSeqs = recs.filter((r) => r.lane === 'process').map((r) => r.seq as number);
  const present = new Set(seqs);
  let missing = 0;
  for (let s = procSeqs[0] ?? maxSeq; s <= maxSeq; s++) if (!present.has(s)) missing++;
  return {
    records: recs.length,
    corrupt: lanes.reduce((n, l) => n + l.corrupt, 0),
    torn: lanes.reduce((n, l) => n + l.torn, 0),
    loads: recs.filter((r) => r.type === 'module_load').map((r) => r.boot),
    maxSeq,
    missing,
  };
}

/**
 * daemonScenario on a share (a host directory, writable in the guest over 9p): boot 1
 * events + reboot -f; boot 2 raslogd replays and answers queries, then a power cut; boot 3
 * raslogd again. Returns the last lines of each qemu run; outputs are files in the share.
 */
export async function runDaemonVm(art: Artifacts, share: string, say: (s: string) => void = () => {}) {
  const ram = path.join(share, 'ram.img');
  const initrd = buildInitramfs(art, daemonScenario(ROOT, share), path.join(share, 'initrd.cpio'), '', { share });
  const boot = async (until: RegExp, limit: number) => {
    const vm = new Vm({ art, initrd, ramFile: ram, dir: share, timeoutMs: limit, host: { share } });
    try {
      await vm.waitFor(until, limit - 5_000);
    } finally {
      await vm.stop(); // after STAGE-DONE 2 this is the power cut
    }
    return vm.lines;
  };
  say('boot 1: a watched process killed, a crash, reboot -f; boot 2: raslogd replays, queries, then a power cut');
  const first = await boot(/STAGE-DONE 2|RASLOGD-NOT-READY/, 360_000);
  say('boot 3: raslogd again: how did boot 2 end?');
  const second = await boot(/STAGE-DONE 3|RASLOGD-NOT-READY/, 240_000);
  return { ram, first, second };
}

/**
 * notifyScenario in one boot on a share: writes raslogd's and rsyslogd's configs into it,
 * boots, waits for NOTIFY-DONE (or NOTIFY-FAIL), stops qemu. Outputs are files in the share
 * (http.jsonl, messages, raslogd.log, …); returns the console lines and the run's wall time.
 */
export async function runNotifyVm(art: Artifacts, share: string, opts: { timeoutMs?: number; say?: (s: string) => void } = {}) {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  for (const [name, text] of Object.entries(notifyConfigs(share))) fs.writeFileSync(path.join(share, name), text);
  const initrd = buildInitramfs(art, notifyScenario(ROOT, share), path.join(share, 'initrd.cpio'), '', { share });
  const started = Date.now();
  opts.say?.('one boot: rsyslogd, an HTTP receiver and raslogd in the guest; a watched sleep killed, a watched segv crash');
  const vm = new Vm({ art, initrd, ramFile: path.join(share, 'ram.img'), dir: share, timeoutMs, host: { share } });
  try {
    await vm.waitFor(/^(NOTIFY-DONE|NOTIFY-FAIL)/, timeoutMs - 5_000);
  } finally {
    await vm.stop();
  }
  return { lines: vm.lines, ms: Date.now() - started };
}
