// raslog.ko inside Debian's real kernel under qemu. The region is read on the host
// from the guest's RAM file and decoded by src/region, so each assertion covers
// kernel hook -> persistent record -> decoder.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, buildInitramfs, Vm, readRegionFromRam, type Artifacts } from './rig.ts';
import { stormScenario, ENDLESS_STORM_SCENARIO } from './scenarios.ts';
import { runEventsVm, powerCutRound } from './runs.ts';
import { decodeRegion } from '../../src/region/decode.ts';

type Rec = Record<string, any>;

let art: Artifacts;
test.before(() => {
  art = prepare();
});

function workdir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `raslog-vm-${name}-`));
}

function decode(ramFile: string) {
  return decodeRegion(readRegionFromRam(ramFile));
}

test.serial('every event kind is recorded across reboot, halt, power-off and a power cut', async (t) => {
  t.timeout(300_000);
  const { ram, ev, poweroffExit, lastBoot } = await runEventsVm(art, workdir('events'));
  t.is(poweroffExit, 0, 'poweroff -f ends qemu');

  // boot 4, from the guest: /dev/raslog reads like the image, poll wakes on a new record,
  // root only; the status file reports the region, lanes, hooks and the watch list
  const dev = new Map<string, string>();
  for (const line of lastBoot) for (const [, k, v] of line.matchAll(/(\w+)=(\S+)/g)) if (line.startsWith('DEV ')) dev.set(k, v);
  t.is(dev.get('bytes'), String(0x100000));
  t.is(dev.get('magic'), 'RASLOGRG');
  t.is(dev.get('poll_before_read'), '1', 'unread records make the device readable');
  t.is(dev.get('poll_after_read'), '0', 'a read from offset 0 consumes the readiness');
  t.is(dev.get('poll_after_death'), '1', 'a new record wakes a poller');
  t.is(dev.get('unprivileged_open'), 'Permission', 'uid 1000 cannot open /dev/raslog');
  const status = lastBoot.filter((l) => l.startsWith('STATUS ')).map((l) => l.slice(7).trim());
  t.true(status.includes('region_size 1048576'), status.join('\n'));
  t.true(status.includes('boot 4'));
  t.true(status.some((l) => /^lane critical slots 255 writes \d+ used \d+ overwritten 0$/.test(l)));
  t.false(status.some((l) => /^hook \S+ missing/.test(l)), 'every hook attached');

  const report = decode(ram);
  const recs: Rec[] = report.records;
  t.log(`${recs.length} records, lanes ${JSON.stringify(report.lanes)}`);
  t.deepEqual(report.problems.map((p) => p.message), [], 'no torn or corrupt records');

  // boot numbering and sequence continuity
  t.is(report.region.boot_count, 4);
  const loads = recs.filter((r) => r.type === 'module_load');
  t.deepEqual(loads.map((r) => r.boot), [1, 2, 3, 4]);
  const seqs = recs.map((r) => r.seq);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  t.is(new Set(seqs).size, seqs.length, 'sequence numbers unique');
  for (let i = 1; i < recs.length; i++) {
    t.true(recs[i].boot >= recs[i - 1].boot, 'boot never goes backwards along the sequence');
  }
  t.is(seqs[seqs.length - 1] - seqs[0] + 1, seqs.length, 'no sequence gap across 4 boots');

  const death = (pid: string) => recs.find((r) => r.type === 'process_death' && r.pid === Number(pid));
  const core = (pid: string) => recs.find((r) => r.type === 'coredump' && r.pid === Number(pid));

  // watched process killed by SIGTERM from kill (uid 1000)
  const term = ev.get('term')!;
  t.truthy(term, 'scenario reported the SIGTERM victim');
  const d1 = death(term.target);
  t.like(d1, {
    boot: 1, comm: 'sleep', uid: 1000, signal: 'SIGTERM', cause: 'process', watched: true, lane: 'watch',
    sender: { pid: Number(term.killer), comm: 'kill', uid: 1000 },
  });

  // watched process exiting 0
  t.like(death(ev.get('exit0')!.pid), { comm: 'sleep', exit_code: 0, signal: null, cause: 'none', watched: true });

  // SIGSEGV: fault cause with address, coredump outcome linked by pid and adjacent seq
  const cases: Array<[string, Rec]> = [
    ['segv_nocore', { dumped: false, reason: 'core_limit' }],
    ['segv_core', { dumped: true, reason: 'dumped' }],
    ['segv_pipe', { dumped: false, reason: 'pipe_failed' }],
    ['segv_empty', { dumped: false, reason: 'empty_pattern' }],
  ];
  for (const [name, expected] of cases) {
    const pid = ev.get(name)!.pid;
    const d = death(pid);
    const c = core(pid);
    t.like(d, { comm: 'segv', signal: 'SIGSEGV', cause: 'fault', fault_addr: '0x10', watched: false }, name);
    t.like(c, { comm: 'segv', signal: 'SIGSEGV', ...expected }, name);
    t.is(c?.seq, d?.seq + 1, `${name}: coredump right after the death`);
  }
  t.is(core(ev.get('segv_core')!.pid)?.target, ev.get('segv_core')!.file, 'core file path recorded');
  t.true(String(core(ev.get('segv_pipe')!.pid)?.target).startsWith('|/no/such/helper'));

  // OOM killer
  t.like(death(ev.get('oom')!.pid), { comm: 'hog', signal: 'SIGKILL', cause: 'oom' });

  // watched by cgroup prefix, SIGKILL from the scenario shell (PID 1, comm "init")
  const cg = ev.get('cgkill')!;
  t.like(death(cg.pid), {
    comm: 'tail', signal: 'SIGKILL', cause: 'process', watched: true,
    cgroup: '/important.service', unit: 'important.service', sender: { pid: Number(cg.shell), comm: 'init' },
  });

  // shutdowns with initiators; the dump button in boot 2
  const shut = recs.filter((r) => r.type === 'shutdown');
  t.like(shut.find((r) => r.boot === 1), { action: 'reboot', initiator: { comm: 'reboot', uid: 0 } });
  t.like(shut.find((r) => r.boot === 2), { action: 'halt', initiator: { comm: 'halt' } });
  t.like(shut.find((r) => r.boot === 3), { action: 'poweroff', initiator: { comm: 'poweroff' } });
  t.like(shut.find((r) => r.boot === 1)?.ancestors?.[0], { pid: 1, comm: 'init' }, 'ancestor chain starts at the parent');
  t.false(shut.some((r) => r.boot === 4), 'a power cut leaves no shutdown record');
  const nmi = recs.filter((r) => r.type === 'dump_button');
  t.is(nmi.length, 1);
  t.like(nmi[0], { boot: 2, cpu: 0, lane: 'critical' });
});

test.serial('a storm of 20,000 kills never pushes out critical records; losses are counted exactly', async (t) => {
  t.timeout(400_000);
  const dir = workdir('storm');
  const ram = path.join(dir, 'ram.img');
  const initrd = buildInitramfs(art, stormScenario(20_000), path.join(dir, 'initrd.cpio'));
  const vm = new Vm({ art, initrd, ramFile: ram, dir, timeoutMs: 360_000 });
  try {
    const done = await vm.waitFor(/STORM-DONE/, 330_000);
    t.log(done.line);
    await vm.waitFor(/READY-CUT/, 60_000);
  } finally {
    await vm.stop();
  }
  const report = decode(ram);
  const recs: Rec[] = report.records;
  const lane = (name: string) => report.lanes.find((l) => l.lane === name)!;
  const proc = lane('process');
  t.log(JSON.stringify(report.lanes));
  t.true(proc.writes >= 20_000, `process lane saw every death (${proc.writes})`);
  t.is(proc.overwritten, proc.writes - proc.slots, 'overwritten = deaths beyond capacity');
  t.is(proc.valid, proc.slots, 'the ring is full of valid records');
  const deaths = recs.filter((r) => r.type === 'process_death' && r.comm === 'storm');
  t.true(deaths.length >= proc.slots - 5, 'the newest deaths survive');
  // every critical record of both boots is still there
  const crit = recs.filter((r) => r.lane === 'critical');
  t.deepEqual(crit.map((r) => `${r.boot}:${r.type}`), ['1:module_load', '1:shutdown', '2:module_load']);
  t.is(lane('critical').overwritten, 0);
  // the gaps in the sequence are exactly the overwritten records
  const seqs = recs.map((r) => r.seq);
  const span = seqs[seqs.length - 1] - seqs[0] + 1;
  t.is(span - seqs.length, proc.overwritten - (seqs[0] - 1), 'missing sequence numbers = records overwritten');
});

test.serial('power cuts in the middle of a kill storm: no corrupt record accepted, nothing committed lost', async (t) => {
  t.timeout(400_000);
  const dir = workdir('cut');
  const ram = path.join(dir, 'ram.img');
  const initrd = buildInitramfs(art, ENDLESS_STORM_SCENARIO, path.join(dir, 'initrd.cpio'));
  let lastMax = 0;
  for (let boot = 1; boot <= 3; boot++) {
    const cut = await powerCutRound(art, initrd, ram, dir, boot, decode);
    t.log(`cut ${boot}: ${JSON.stringify(cut)}`);
    t.is(cut.corrupt, 0, `cut ${boot}: no corrupt slot`);
    t.true(cut.torn <= 2, `cut ${boot}: at most one torn slot per CPU`);
    t.deepEqual(cut.loads, Array.from({ length: boot }, (_, k) => k + 1), `cut ${boot}: every boot's load record kept`);
    t.true(cut.maxSeq > lastMax, `cut ${boot}: the sequence continues across the cut`);
    t.true(cut.missing <= cut.torn, `cut ${boot}: only in-flight records missing from the live window`);
    lastMax = cut.maxSeq;
  }
});
