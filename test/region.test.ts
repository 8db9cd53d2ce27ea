/*
 * Region decoder tests: CRC32C, layout, and a cross-implementation check of
 * images written by tools/raslog-mkimage (the kernel's raslog_commit code)
 * against the TypeScript decoder, field by field.
 */

import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RegionError,
  crc32c,
  decodeRegion,
  errnoName,
  layoutForSize,
  nsToIso,
  readRegionImage,
  recordSlotCrcOk,
  scanRegion,
  signalName,
  unitFromCgroup,
  type RaslogRecord,
  type RegionErrorCode,
  type RegionReport,
} from '../src/region/index.ts';
import { headerIdentity } from '../src/region/decode.ts';
import { buildMkimage, mkimage, type Manifest, type ManifestRecord } from './region-helpers.ts';

test.before(() => {
  buildMkimage();
});

// ---- helpers --------------------------------------------------------------

/** The record mkimage writes for a manifest entry, restated from the formulas in raslog-mkimage.c. */
function expected(m: ManifestRecord, man: Manifest, seed: number): RaslogRecord {
  const s = m.seq;
  const rt = 1795861234000000000n + BigInt(seed) * 1000000000n + BigInt(s) * 1000003n;
  const base = {
    seq: s,
    boot: man.boot,
    time: nsToIso(rt),
    realtime_ns: rt.toString(),
    boottime_ns: (1000000000n + BigInt(s) * 1000003n).toString(),
    cpu: s % 4,
    lane: m.lane,
    slot: m.slot,
    nmi: false,
  };
  switch (m.type) {
    case 'module_load':
    case 'module_unload': {
      const load = m.type === 'module_load';
      return {
        ...base,
        type: m.type,
        region_addr: '0x13f000000',
        region_size: man.size,
        formatted: load && s % 2 === 0,
        adopted: load && s % 2 === 1,
        repaired: false,
        reformatted: false,
        flush: !load || s % 2 === 1,
        adopted_records: load ? 2 * s : 0,
        invalid_records: load ? s % 3 : 0,
        version: '0.1.0-mk',
      };
    }
    case 'shutdown':
      return {
        ...base,
        type: 'shutdown',
        action: (['reboot', 'halt', 'poweroff', 'emergency_restart'] as const)[s % 4]!,
        initiator: { pid: 100 + s, tgid: 100 + s, uid: 0, comm: 'reboot' },
        ancestors: Array.from({ length: s % 5 }, (_, i) => ({ pid: 900 + i, uid: i, comm: `anc${i}` })),
        command: s % 2 ? '' : 'fw-update',
      };
    case 'panic':
      return {
        ...base,
        type: 'panic',
        task: { pid: 3000 + s, uid: 0, comm: 'kworker/0:1' },
        message: `Kernel panic - not syncing: mkimage seq ${s}`,
      };
    case 'dump_button':
      return {
        ...base,
        nmi: true,
        type: 'dump_button',
        cpu: s % 4,
        task: { pid: 4000 + s, tgid: 4000 + s, uid: 1000, comm: 'spin' },
        ip: '0x' + (0xffffffff81000000n + 16n * BigInt(s)).toString(16),
        user_mode: s % 2 === 1,
      };
    case 'coredump': {
      const p = s + 1;
      const common = { ...base, type: 'coredump' as const, pid: 2000 + p, tgid: 2000 + p, comm: `proc${p}`, signal: 'SIGSEGV', signo: 11 };
      switch (s % 4) {
        case 0:
          return { ...common, dumped: true, reason: 'dumped', error: null, limit: 'unlimited', written: 4096 * p, target: `/var/lib/systemd/coredump/core.proc${p}`, pipe: false };
        case 1:
          return { ...common, dumped: false, reason: 'core_limit', error: null, limit: 0, written: 0, target: 'core', pipe: false };
        case 2:
          return { ...common, dumped: true, reason: 'dumped', error: null, limit: 'unlimited', written: 8192, target: '|/usr/lib/systemd/systemd-coredump %P %u', pipe: true };
        default:
          return { ...common, dumped: false, reason: 'write_error', error: 'ENOSPC', limit: 1048576, written: 65536, target: `/tmp/core.${p}`, pipe: false };
      }
    }
    case 'process_death': {
      const cgroup = s % 3 === 0 ? `/system.slice/svc${s}.service` : s % 3 === 1 ? '/user.slice/user-1000.slice/session-4.scope' : '/';
      const d = {
        ...base,
        type: 'process_death' as const,
        pid: 2000 + s,
        tgid: 2000 + s,
        uid: s % 2 ? 1000 : 0,
        comm: `proc${s}`,
        exit_code: null as number | null,
        sender: null as { pid: number; tgid: number; uid: number; comm: string } | null,
        fault_addr: null as string | null,
        watched: m.lane === 'watch',
        core_flag: false,
        cgroup,
        unit: s % 3 === 0 ? `svc${s}.service` : s % 3 === 1 ? 'session-4.scope' : null,
      };
      if (m.crash >= 0) {
        return { ...d, signal: 'SIGSEGV', signo: 11, si_code: 1, cause: 'fault', fault_addr: '0x' + (0x10 + s).toString(16), core_flag: m.crash === 1 };
      }
      switch (s % 6) {
        case 0:
          return { ...d, exit_code: s % 256, signal: null, signo: 0, si_code: 0, cause: 'none' };
        case 1:
          return { ...d, signal: 'SIGTERM', signo: 15, si_code: 0, cause: 'process', sender: { pid: 500 + s, tgid: 500 + s, uid: 0, comm: 'kill' } };
        case 2:
          return { ...d, signal: 'SIGSEGV', signo: 11, si_code: 1, cause: 'fault', fault_addr: '0x' + (0x7f0000001000 + s).toString(16) };
        case 3:
          return { ...d, signal: 'SIGKILL', signo: 9, si_code: 0, cause: 'oom' };
        case 4:
          return { ...d, signal: 'SIGABRT', signo: 6, si_code: -6, cause: 'self', sender: { pid: d.pid, tgid: d.tgid, uid: d.uid, comm: d.comm } };
        default:
          return { ...d, signal: 'SIGKILL', signo: 9, si_code: 0, cause: 'unknown' };
      }
    }
  }
  throw new Error(`unexpected type ${m.type}`);
}

function laneCounts(rep: RegionReport) {
  return rep.lanes.map(({ lane, offset, slots, writes, overwritten, valid, torn, corrupt, empty }) => ({
    lane, offset, slots, writes, overwritten, valid, torn, corrupt, empty,
  }));
}

/** Lane counts and (seq, type, lane, slot) as the manifest says; with seed, every field per the formulas. */
function sameAsManifest(t: import('ava').ExecutionContext, rep: RegionReport, man: Manifest, seed: number | null) {
  t.deepEqual(laneCounts(rep), man.lanes);
  t.deepEqual(
    rep.records.map((r) => ({ seq: r.seq, type: r.type, lane: r.lane, slot: r.slot })),
    man.records.map(({ seq, type, lane, slot }) => ({ seq, type, lane, slot })),
  );
  if (seed === null) return;
  for (let i = 0; i < man.records.length; i++) t.deepEqual(rep.records[i], expected(man.records[i]!, man, seed));
}

function throwsRegion(t: import('ava').ExecutionContext, f: () => unknown, code: RegionErrorCode, msg: RegExp) {
  const e = t.throws(f, { instanceOf: RegionError });
  t.is(e?.code, code);
  t.regex(e?.message ?? '', msg);
  t.false((e?.message ?? '').includes('\n'));
}

async function rejectsRegion(t: import('ava').ExecutionContext, p: Promise<unknown>, code: RegionErrorCode, msg: RegExp) {
  const e = await t.throwsAsync(p, { instanceOf: RegionError });
  t.is(e?.code, code);
  t.regex(e?.message ?? '', msg);
}

// ---- basics ---------------------------------------------------------------

test('crc32c check value and empty input', (t) => {
  t.is(crc32c(Buffer.from('123456789')), 0xe3069283);
  t.is(crc32c(Buffer.alloc(0)), 0);
  t.is(crc32c(Buffer.from('xx123456789yy'), 2, 11), 0xe3069283);
});

test('layout derived from the size matches the C raslog_layout', (t) => {
  for (const size of ['64K', '80K', '100000', '1M', '3M']) {
    const { manifest } = mkimage(['--size', size, '--records', '0']);
    const lay = layoutForSize(manifest.size)!;
    t.deepEqual(lay.map((l) => [l.offset, l.slot_count]), manifest.lanes.map((l) => [l.offset, l.slots]), size);
  }
  t.deepEqual(layoutForSize(65536), [
    { offset: 4096, slot_count: 16 },
    { offset: 8192, slot_count: 30 },
    { offset: 15872, slot_count: 194 },
  ]);
  t.is(layoutForSize(65535), null);
});

test('names: signals, errno, systemd unit, time', (t) => {
  t.is(signalName(0), null);
  t.is(signalName(9), 'SIGKILL');
  t.is(signalName(34), 'SIGRTMIN+2');
  t.is(signalName(99), 'SIG99');
  t.is(errnoName(0), null);
  t.is(errnoName(-28), 'ENOSPC');
  t.is(unitFromCgroup('/system.slice/nginx.service'), 'nginx.service');
  t.is(unitFromCgroup('/system.slice/docker-abc.scope/init'), 'docker-abc.scope');
  t.is(unitFromCgroup('/user.slice/user-1000.slice'), null);
  t.is(unitFromCgroup('/'), null);
  t.is(unitFromCgroup(''), null);
  t.is(nsToIso(1795861235001000003n), '2026-11-28T10:20:35.001000Z');
  t.is(nsToIso(0n), '1970-01-01T00:00:00.000000Z');
  t.is(nsToIso(1763806452226245999n), '2025-11-22T10:14:12.226245Z');
});

// ---- exact decode of mkimage output ---------------------------------------

test('exact decode of every record type (hand-written expectations)', async (t) => {
  const { path } = mkimage(['--size', '1M', '--records', '5', '--boot', '3', '--seed', '1']);
  const rep = await readRegionImage(path);
  t.is(rep.region.header, 'valid');
  t.is(rep.region.boot_count, 3);
  t.true(rep.region.boot_count_ok);
  t.is(rep.records.length, 15);
  const bySeq = new Map(rep.records.map((r) => [r.seq, r]));
  t.deepEqual(bySeq.get(1), {
    type: 'module_load', seq: 1, boot: 3, time: '2026-11-28T10:20:35.001000Z',
    realtime_ns: '1795861235001000003', boottime_ns: '1001000003', cpu: 1, lane: 'critical', slot: 0, nmi: false,
    region_addr: '0x13f000000', region_size: 1048576, formatted: false, adopted: true, repaired: false,
    reformatted: false, flush: true, adopted_records: 2, invalid_records: 1, version: '0.1.0-mk',
  });
  t.deepEqual(bySeq.get(4), {
    type: 'shutdown', seq: 4, boot: 3, time: '2026-11-28T10:20:35.004000Z',
    realtime_ns: '1795861235004000012', boottime_ns: '1004000012', cpu: 0, lane: 'critical', slot: 1, nmi: false,
    action: 'reboot', initiator: { pid: 104, tgid: 104, uid: 0, comm: 'reboot' },
    ancestors: [
      { pid: 900, uid: 0, comm: 'anc0' }, { pid: 901, uid: 1, comm: 'anc1' },
      { pid: 902, uid: 2, comm: 'anc2' }, { pid: 903, uid: 3, comm: 'anc3' },
    ],
    command: 'fw-update',
  });
  t.deepEqual(bySeq.get(7), {
    type: 'coredump', seq: 7, boot: 3, time: '2026-11-28T10:20:35.007000Z',
    realtime_ns: '1795861235007000021', boottime_ns: '1007000021', cpu: 3, lane: 'process', slot: 1, nmi: false,
    pid: 2008, tgid: 2008, comm: 'proc8', signal: 'SIGSEGV', signo: 11, dumped: false, reason: 'write_error',
    error: 'ENOSPC', limit: 1048576, written: 65536, target: '/tmp/core.8', pipe: false,
  });
  t.deepEqual(bySeq.get(8), {
    type: 'process_death', seq: 8, boot: 3, time: '2026-11-28T10:20:35.008000Z',
    realtime_ns: '1795861235008000024', boottime_ns: '1008000024', cpu: 0, lane: 'process', slot: 2, nmi: false,
    pid: 2008, tgid: 2008, uid: 0, comm: 'proc8', exit_code: null, signal: 'SIGSEGV', signo: 11, si_code: 1,
    cause: 'fault', sender: null, fault_addr: '0x18', watched: false, core_flag: false, cgroup: '/', unit: null,
  });
  t.deepEqual(bySeq.get(9), {
    type: 'panic', seq: 9, boot: 3, time: '2026-11-28T10:20:35.009000Z',
    realtime_ns: '1795861235009000027', boottime_ns: '1009000027', cpu: 1, lane: 'critical', slot: 2, nmi: false,
    task: { pid: 3009, uid: 0, comm: 'kworker/0:1' }, message: 'Kernel panic - not syncing: mkimage seq 9',
  });
  t.deepEqual(bySeq.get(10), {
    type: 'process_death', seq: 10, boot: 3, time: '2026-11-28T10:20:35.010000Z',
    realtime_ns: '1795861235010000030', boottime_ns: '1010000030', cpu: 2, lane: 'watch', slot: 3, nmi: false,
    pid: 2010, tgid: 2010, uid: 0, comm: 'proc10', exit_code: null, signal: 'SIGABRT', signo: 6, si_code: -6,
    cause: 'self', sender: { pid: 2010, tgid: 2010, uid: 0, comm: 'proc10' }, fault_addr: null, watched: true,
    core_flag: false, cgroup: '/user.slice/user-1000.slice/session-4.scope', unit: 'session-4.scope',
  });
  t.deepEqual(bySeq.get(12), {
    type: 'dump_button', seq: 12, boot: 3, time: '2026-11-28T10:20:35.012000Z',
    realtime_ns: '1795861235012000036', boottime_ns: '1012000036', cpu: 0, lane: 'critical', slot: 3, nmi: true,
    task: { pid: 4012, tgid: 4012, uid: 1000, comm: 'spin' }, ip: '0xffffffff810000c0', user_mode: false,
  });
  t.deepEqual(bySeq.get(14), {
    type: 'coredump', seq: 14, boot: 3, time: '2026-11-28T10:20:35.014000Z',
    realtime_ns: '1795861235014000042', boottime_ns: '1014000042', cpu: 2, lane: 'process', slot: 4, nmi: false,
    pid: 2015, tgid: 2015, comm: 'proc15', signal: 'SIGSEGV', signo: 11, dumped: true, reason: 'dumped',
    error: null, limit: 'unlimited', written: 8192, target: '|/usr/lib/systemd/systemd-coredump %P %u', pipe: true,
  });
  t.deepEqual(bySeq.get(15)?.type, 'module_unload');
});

test('every record of a larger image matches the mkimage formulas', (t) => {
  const { bytes, manifest } = mkimage(['--size', '1M', '--records', '40,90,90', '--seed', '7', '--boot', '2']);
  const rep = decodeRegion(bytes);
  t.is(rep.records.length, 220);
  t.deepEqual(rep.problems, []);
  t.deepEqual(rep.gaps, []);
  t.is(rep.region.region_id, manifest.region_id);
  sameAsManifest(t, rep, manifest, 7);
  // every death scenario occurs
  const causes = new Set(rep.records.flatMap((r) => (r.type === 'process_death' ? [r.cause] : [])));
  t.deepEqual([...causes].sort(), ['fault', 'none', 'oom', 'process', 'self', 'unknown']);
});

test('wrapped lanes: overwritten counters, oldest records gone, gaps reported', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '40,40,300', '--seed', '2']);
  const rep = decodeRegion(bytes);
  t.deepEqual(rep.lanes.map((l) => l.overwritten), [24, 10, 106]);
  t.deepEqual(rep.lanes.map((l) => l.writes), [40, 40, 300]);
  t.deepEqual(rep.lanes.map((l) => l.empty), [0, 0, 0]);
  sameAsManifest(t, rep, manifest, 2);
  // gaps are exactly the holes in the manifest's seq list
  const seqs = manifest.records.map((r) => r.seq);
  const gaps = [];
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i]! > seqs[i - 1]! + 1) gaps.push({ after: seqs[i - 1]!, before: seqs[i]!, missing: seqs[i]! - seqs[i - 1]! - 1 });
  }
  t.true(gaps.length > 0);
  t.deepEqual(rep.gaps, gaps);
});

test('scanRegion indexes the records decodeRegion returns, in the same order, decoding each on demand', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '40,40,300', '--seed', '3', '--boot', '4']);
  const rep = decodeRegion(bytes);
  const scan = scanRegion(bytes);
  t.is(scan.count, manifest.records.length);
  t.is(scan.count, rep.records.length);
  t.deepEqual([scan.region, scan.lanes, scan.gaps, scan.problems], [rep.region, rep.lanes, rep.gaps, rep.problems]);
  for (let i = 0; i < scan.count; i++) {
    const r = rep.records[i]!;
    t.is(scan.seqAt(i), manifest.records[i]!.seq);
    t.deepEqual([scan.seqAt(i), scan.bootAt(i), scan.laneAt(i)], [r.seq, r.boot, r.lane]);
  }
  // a fresh object per call: a caller (the store) may take the record over
  const first = scan.record(0) as unknown as Record<string, unknown>;
  first.boot = 999;
  t.deepEqual(scan.record(0), rep.records[0]);
});

test('headerIdentity: region id and boot counter of a valid header, null for a damaged one', (t) => {
  const { bytes } = mkimage(['--size', '64K', '--records', '5', '--seed', '4', '--boot', '6']);
  const rep = decodeRegion(bytes);
  t.deepEqual(headerIdentity(bytes.subarray(0, 4096)), { region_id: rep.region.region_id, boot_count: rep.region.boot_count });
  const damaged = Buffer.from(bytes.subarray(0, 4096));
  damaged[0x40] = damaged[0x40]! ^ 0xff; // inside the CRC-covered header
  t.is(headerIdentity(damaged), null);
  t.is(headerIdentity(Buffer.alloc(4096)), null);
});

test('torn record (power cut after the body, before the commit word) is skipped and reported', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '5', '--tear', 'watch:2']);
  const rep = decodeRegion(bytes);
  const watch = rep.lanes[1]!;
  t.is(watch.torn, 1);
  t.is(watch.writes, 6);
  t.is(rep.records.length, 15);
  t.is(rep.region.last_seq, 15); // torn seq 16 not accepted
  const p = rep.problems.filter((x) => x.kind === 'torn');
  t.is(p.length, 1);
  t.deepEqual([p[0]!.lane, p[0]!.slot], ['watch', 5]);
  sameAsManifest(t, rep, manifest, 1);
});

test('torn write over an old record (power cut right after the commit word was cleared)', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '16,5,5', '--tear', 'critical:1']);
  const rep = decodeRegion(bytes);
  const crit = rep.lanes[0]!;
  t.is(crit.slots, 16);
  t.is(crit.torn, 1);
  t.is(crit.valid, 15);
  t.is(crit.overwritten, 1); // the record in slot 0 was destroyed by the interrupted write
  t.false(rep.records.some((r) => r.lane === 'critical' && r.slot === 0));
  sameAsManifest(t, rep, manifest, 1);
});

test('torn write into an empty slot leaves it empty', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '3', '--tear', 'process:1']);
  const rep = decodeRegion(bytes);
  t.is(rep.lanes[2]!.torn, 0);
  t.is(rep.lanes[2]!.writes, 4);
  t.is(rep.problems.length, 0);
  sameAsManifest(t, rep, manifest, 1);
});

test('corrupt record (payload byte flipped) is reported and not accepted', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '6', '--corrupt', 'process:1']);
  const rep = decodeRegion(bytes);
  t.is(rep.lanes[2]!.corrupt, 1);
  const p = rep.problems.filter((x) => x.kind === 'corrupt');
  t.is(p.length, 1);
  t.regex(p[0]!.message, /lane process slot 4: corrupt \(crc mismatch\)/);
  t.false(rep.records.some((r) => r.lane === 'process' && r.slot === 4));
  sameAsManifest(t, rep, manifest, 1);
  for (const r of rep.records) t.true(recordSlotCrcOk(bytes, rep.lanes, r));
});

test('the decoder rejects a slot whose CRC was not updated, even with a correct commit word', (t) => {
  const { bytes } = mkimage(['--size', '64K', '--records', '2']);
  const off = 4096; // critical slot 0, seq 1
  bytes[off + 0x30] ^= 0x01;
  const rep = decodeRegion(bytes);
  t.is(rep.lanes[0]!.corrupt, 1);
  t.false(rep.records.some((r) => r.seq === 1));
  // commit word changed: still not valid
  bytes[off + 0x30] ^= 0x01;
  bytes.writeUInt32LE(0x12345678, off);
  const rep2 = decodeRegion(bytes);
  t.is(rep2.lanes[0]!.corrupt, 1);
  t.regex(rep2.problems[0]!.message, /commit word does not match seq/);
});

test('seq whose low 32 bits equal the commit magic (commit word 0) still validates', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '4', '--seq-start', '0x544D4350']);
  const rep = decodeRegion(bytes);
  t.true(rep.records.some((r) => r.seq === 0x544d4352));
  t.is(rep.lanes.reduce((a, l) => a + l.torn, 0), 0);
  sameAsManifest(t, rep, manifest, null); // u32 fields wrap at these seqs: no formula check
});

test('large seq values stay exact', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '2', '--seq-start', '0x10000000000001']);
  const rep = decodeRegion(bytes);
  t.is(rep.records[0]!.seq, 0x10000000000001);
  t.is(rep.region.seq_next, 0x10000000000001);
  t.is(rep.records[5]!.seq, 0x10000000000006);
  sameAsManifest(t, rep, manifest, null);
});

// ---- header damage --------------------------------------------------------

test('damaged header: salvaged with the size-derived layout when the size is known', async (t) => {
  const { path, bytes, manifest } = mkimage(['--size', '128K', '--records', '10', '--damage-header']);
  await rejectsRegion(t, readRegionImage(path), 'need_size', /header at offset 0x0 in .* is damaged; give the region size \(--size\)/);
  const rep = await readRegionImage(path, 0, 128 * 1024);
  t.is(rep.region.header, 'damaged');
  t.is(rep.region.layout, 'derived');
  t.regex(rep.region.header_problems[0]!, /header_crc/);
  t.true(rep.problems.some((p) => p.kind === 'header'));
  t.deepEqual(
    rep.records.map((r) => r.seq),
    manifest.records.map((r) => r.seq),
  );
  t.is(rep.records.length, 30);
  // decodeRegion: size known by default, not when told otherwise
  t.is(decodeRegion(bytes).region.header, 'damaged');
  throwsRegion(t, () => decodeRegion(bytes, { sizeKnown: false }), 'need_size', /damaged/);
});

test('header with a valid CRC but a lane table pointing outside the region is treated as damaged', (t) => {
  const { bytes, manifest } = mkimage(['--size', '64K', '--records', '5']);
  bytes.writeBigUInt64LE(0x7fffffff00n, 0x40 + 16 * 2);
  bytes.writeUInt32LE(0xffffffff, 0x40 + 16 * 2 + 8);
  bytes.writeUInt32LE(crc32c(bytes, 0, 0x7c), 0x7c);
  const rep = decodeRegion(bytes);
  t.is(rep.region.header, 'damaged');
  t.regex(rep.region.header_problems.join(), /lane table/);
  t.deepEqual(rep.records.map((r) => r.seq), manifest.records.map((r) => r.seq));
});

test('boot counter check word damaged is reported', (t) => {
  const { bytes } = mkimage(['--size', '64K', '--records', '1', '--boot', '5']);
  bytes.writeBigUInt64LE(7n, 0x88);
  const rep = decodeRegion(bytes);
  t.false(rep.region.boot_count_ok);
  t.is(rep.region.boot_count, 5);
  t.true(rep.problems.some((p) => p.kind === 'counter'));
});

test('unsupported version with a valid CRC is a typed error', (t) => {
  const { bytes } = mkimage(['--size', '64K', '--records', '1']);
  bytes.writeUInt32LE(2, 0x08);
  bytes.writeUInt32LE(crc32c(bytes, 0, 0x7c), 0x7c);
  throwsRegion(t, () => decodeRegion(bytes), 'unsupported_version', /unsupported version 2/);
});

// ---- sources, offsets, garbage --------------------------------------------

test('image at an offset inside a larger file (qemu RAM file)', async (t) => {
  const { path, manifest } = mkimage(['--size', '64K', '--records', '3', '--offset', '0x7000', '--file-size', '256K']);
  const rep = await readRegionImage(path, 0x7000);
  t.is(rep.region.offset, 0x7000);
  t.is(rep.region.size, 65536);
  t.deepEqual(rep.records.map((r) => r.seq), manifest.records.map((r) => r.seq));
  const rep2 = await readRegionImage(path, 0x7000, 65536);
  t.deepEqual(rep2.records, rep.records);
  // a --size larger than region_size: the header's size wins, noted as a problem
  const rep3 = await readRegionImage(path, 0x7000, 128 * 1024);
  t.is(rep3.region.size, 65536);
  t.true(rep3.problems.some((p) => p.kind === 'size'));
  await rejectsRegion(t, readRegionImage(path, 0), 'bad_magic', /^not a raslog region at offset 0x0: bad magic$/);
  await rejectsRegion(t, readRegionImage(path, 0x100000), 'bad_offset', /offset 0x100000 is beyond the end of .* \(262144 bytes\)/);
  await rejectsRegion(t, readRegionImage(path, 0x7000, 0x40000), 'truncated', /has only 233472 bytes at offset 0x7000, less than --size 262144/);
  await rejectsRegion(t, readRegionImage(path, 0x7000, 4096), 'too_small', /below the minimum region size 65536/);
  await rejectsRegion(t, readRegionImage(path + '.missing'), 'io', /cannot read .*: no such file or directory/);
});

test('truncated image: header says more than the file holds', async (t) => {
  const { path, bytes } = mkimage(['--size', '1M', '--records', '3']);
  const cut = path + '.cut';
  writeFileSync(cut, bytes.subarray(0, 100000));
  await rejectsRegion(t, readRegionImage(cut), 'truncated', /header says 1048576 bytes, .* has 100000/);
  throwsRegion(t, () => decodeRegion(bytes.subarray(0, 100000)), 'truncated', /header says 1048576 bytes, only 100000 available/);
  throwsRegion(t, () => decodeRegion(bytes.subarray(0, 100)), 'too_small', /too small: 100 bytes/);
  throwsRegion(t, () => decodeRegion(bytes.subarray(0, 5)), 'too_small', /too small: 5 bytes/);
  throwsRegion(t, () => decodeRegion(Buffer.alloc(0)), 'too_small', /too small: 0 bytes/);
  const short = path + '.short';
  writeFileSync(short, bytes.subarray(0, 60));
  await rejectsRegion(t, readRegionImage(short), 'truncated', /only 60 bytes/);
});

test('garbage, blank and foreign input give one-line typed errors', async (t) => {
  const rnd = Buffer.alloc(1 << 20);
  for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 2654435761) >>> 24;
  throwsRegion(t, () => decodeRegion(rnd), 'bad_magic', /^not a raslog region at offset 0x0: bad magic$/);
  throwsRegion(t, () => decodeRegion(Buffer.alloc(65536)), 'blank', /all zero \(never formatted\)/);
  const elf = Buffer.alloc(65536);
  elf.write('\x7fELF', 0, 'latin1');
  throwsRegion(t, () => decodeRegion(elf, { offset: 0x7000000 }), 'bad_magic', /^not a raslog region at offset 0x7000000: bad magic$/);
  // magic right, everything else garbage, size unknown → need_size; known → salvaged report
  const fake = Buffer.from(rnd.subarray(0, 65536));
  fake.write('RASLOGRG', 0, 'latin1');
  throwsRegion(t, () => decodeRegion(fake, { sizeKnown: false }), 'need_size', /damaged/);
  const rep = decodeRegion(fake);
  t.is(rep.region.header, 'damaged');
  t.is(rep.records.length, 0);
  t.is(rep.lanes.reduce((a, l) => a + l.corrupt + l.torn + l.empty, 0), 240);
  const dir = buildMkimage().dir;
  const f = join(dir, 'garbage.bin');
  writeFileSync(f, rnd);
  await rejectsRegion(t, readRegionImage(f), 'bad_magic', /bad magic/);
  await rejectsRegion(t, readRegionImage(dir), 'io', /is a directory/);
});

test('short fuzz: 3000 random and mutated images, only typed errors, no record without a valid CRC', async (t) => {
  const { runFuzz } = await import('../bench/fuzz-region.ts');
  const st = runFuzz(3000, 12345);
  t.deepEqual(st.failures, []);
  t.is(st.cases, 3000);
  t.true(st.reports > 500, `reports ${st.reports}`);
  t.true(st.records > 1000, `records ${st.records}`);
  t.true(Object.keys(st.errors).length >= 3, JSON.stringify(st.errors));
});
