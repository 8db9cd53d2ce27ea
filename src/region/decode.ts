/*
 * Decoder for a raslog persistent region (kmod-raslog/raslog_format.h, v1).
 * decodeRegion() takes the region's bytes and returns a RegionReport, or throws
 * a RegionError when the bytes are not a raslog region at all. It never throws
 * anything else on any input.
 */

import { crc32c } from './crc32c.ts';
import { RegionError, hex } from './errors.ts';
import {
  COMMIT_MAGIC,
  CF_PIPE,
  DF_CORE,
  DF_WATCHED,
  H,
  HEADER_SIZE,
  MAGIC,
  MAX_LANES,
  MF_ADOPTED,
  MF_FLUSH,
  MF_FORMATTED,
  MF_REFORMATTED,
  MF_REPAIRED,
  MIN_REGION,
  PAYLOAD_SIZE,
  R,
  REC_HDR_SIZE,
  RF_NMI,
  SLOT_SIZE,
  VERSION,
  layoutForSize,
  type LaneDesc,
} from './format.ts';
import { errnoName, signalName, unitFromCgroup } from './names.ts';
import {
  LANE_NAMES,
  RECORD_TYPES,
  type Cause,
  type CoreReason,
  type CoredumpRecord,
  type DumpButtonRecord,
  type ModuleEventRecord,
  type PanicRecord,
  type ProcessDeathRecord,
  type ShutdownRecord,
  type LaneName,
  type LaneReport,
  type Problem,
  type RaslogRecord,
  type RecordBase,
  type RegionInfo,
  type RegionReport,
  type SeqGap,
  type ShutdownAction,
  type SlotState,
  type TaskRef,
  type TaskRefTgid,
} from './types.ts';

export interface DecodeOptions {
  /** Source name for messages and the report. */
  source?: string;
  /** Offset of the region within its source (for messages and the report). */
  offset?: number;
  /**
   * True when the caller knows the region size independently of the header
   * (a --size argument, or a device): a damaged header is then salvaged with
   * the layout derived from buf.length. Default true.
   */
  sizeKnown?: boolean;
}

const CAUSES: Cause[] = ['none', 'process', 'fault', 'oom', 'self', 'kernel', 'unknown'];
const CORE_REASONS: CoreReason[] = [
  'dumped',
  'core_limit',
  'not_dumpable',
  'empty_pattern',
  'pipe_failed',
  'write_error',
  'truncated',
  'open_failed',
  'unsupported',
  'interrupted',
  'other',
];
const SD_ACTIONS: Record<number, ShutdownAction> = {
  1: 'reboot',
  2: 'halt',
  3: 'poweroff',
  4: 'emergency_restart',
};
/** Record type codes 1..7 (raslog_format.h RASLOG_T_*) in RECORD_TYPES order. */
const TYPE_NAMES = ['', ...RECORD_TYPES] as const;

const U64_MAX = 0xffffffffffffffffn;

function u64n(b: Buffer, off: number): number {
  return Number(b.readBigUInt64LE(off));
}

/** NUL-terminated string within buf[off, off+len). */
function cstr(b: Buffer, off: number, len: number): string {
  let end = off;
  const lim = off + len;
  while (end < lim && b[end] !== 0) end++;
  return b.toString('utf8', off, end);
}

/** ns since the epoch → ISO 8601 UTC with microseconds. */
export function nsToIso(ns: bigint): string {
  const ms = ns / 1000000n;
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return 'invalid';
  const micro = (ns / 1000n) % 1000000n;
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (or ±YYYYYY-… far out)
  return iso.slice(0, iso.lastIndexOf('.')) + '.' + micro.toString().padStart(6, '0') + 'Z';
}

/** nsToIso() of a decimal ns string, without BigInt arithmetic for the usual 10-19 digits. */
export function nsStringToIso(ns: string): string {
  if (ns.length < 10 || ns.length > 19 || !/^[1-9]\d*$/.test(ns)) return nsToIso(BigInt(ns));
  const iso = new Date(Number(ns.slice(0, -6))).toISOString();
  return iso.slice(0, iso.lastIndexOf('.')) + '.' + ns.slice(-9, -3) + 'Z';
}

function hexAddr(v: bigint): string {
  return '0x' + v.toString(16);
}

function isAllZero(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

interface SlotClass {
  state: SlotState;
  why?: string;
}

/** Classify one 256-byte slot at buf[off]. Same acceptance rule as raslog_slot_valid(). */
export function classifySlot(buf: Buffer, off: number): SlotClass {
  const commit = buf.readUInt32LE(off + R.commit);
  const length = buf.readUInt16LE(off + R.length);
  const seqLo = buf.readUInt32LE(off + R.seq);
  const lengthOk = length >= REC_HDR_SIZE && length <= SLOT_SIZE;
  const commitOk = commit === (COMMIT_MAGIC ^ seqLo) >>> 0;
  if (lengthOk && commitOk) {
    if (buf.readUInt32LE(off + R.crc) === crc32c(buf, off + 8, off + length)) return { state: 'valid' };
  }
  if (commit === 0) {
    if (isAllZero(buf, off, off + SLOT_SIZE)) return { state: 'empty' };
    return { state: 'torn', why: 'commit word 0 with data: interrupted write' };
  }
  if (!commitOk) return { state: 'corrupt', why: 'commit word does not match seq' };
  if (!lengthOk) return { state: 'corrupt', why: `bad length ${length}` };
  return { state: 'corrupt', why: 'crc mismatch' };
}

/** The payload; zero-filled to its struct size when the record is shorter (bytes past length are stale). */
function payloadOf(buf: Buffer, off: number, length: number, size: number): Buffer {
  if (length - REC_HDR_SIZE >= size) return buf.subarray(off + REC_HDR_SIZE, off + length);
  const p = Buffer.alloc(size);
  buf.copy(p, 0, off + REC_HDR_SIZE, off + length);
  return p;
}

function taskRef(p: Buffer, off: number): TaskRef {
  return { pid: p.readUInt32LE(off), uid: p.readUInt32LE(off + 4), comm: cstr(p, off + 8, 16) };
}

/** base + type-specific fields (Object.assign: object spread is slow in V8 here). */
function build<T extends RaslogRecord>(
  base: RecordBase,
  extra: Omit<T, keyof RecordBase> & Pick<T, 'type'> & Partial<Pick<RecordBase, 'cpu'>>,
): T {
  return Object.assign(base, extra) as unknown as T;
}

/**
 * The checks on a valid slot's record header, reported as problems: its type
 * code (null: unknown, the record is skipped), or the record's oddities.
 */
function checkRecord(buf: Buffer, off: number, laneIdx: number, slot: number, problems: Problem[]): number | null {
  const lane = LANE_NAMES[laneIdx]!;
  const length = buf.readUInt16LE(off + R.length);
  const typeNo = buf.readUInt16LE(off + R.type);
  const typeName = typeNo >= 1 && typeNo < TYPE_NAMES.length ? TYPE_NAMES[typeNo] : undefined;
  if (!typeName) {
    problems.push({
      kind: 'unknown_type',
      lane,
      slot,
      message: `lane ${lane} slot ${slot}: valid record seq ${buf.readBigUInt64LE(off + R.seq)} of unknown type ${typeNo}, skipped`,
    });
    return null;
  }
  // the exact seq is needed only for messages: skip the BigInt unless a check fails
  const seqHi = buf.readUInt32LE(off + R.seq + 4);
  if (seqHi > 0x1fffff) {
    problems.push({
      kind: 'seq_precision',
      lane,
      slot,
      message: `lane ${lane} slot ${slot}: seq ${buf.readBigUInt64LE(off + R.seq)} exceeds 2^53 and is not exact as a JSON number`,
    });
  }
  const recLane = buf[off + R.lane]!;
  if (recLane !== laneIdx) {
    problems.push({
      kind: 'lane_mismatch',
      lane,
      slot,
      message: `lane ${lane} slot ${slot}: record seq ${buf.readBigUInt64LE(off + R.seq)} says lane ${recLane}`,
    });
  }
  const psize = PAYLOAD_SIZE[typeNo]!;
  if (length - REC_HDR_SIZE < psize) {
    problems.push({
      kind: 'short_payload',
      lane,
      slot,
      message: `lane ${lane} slot ${slot}: ${typeName} payload ${length - REC_HDR_SIZE} bytes, expected ${psize}; missing bytes read as 0`,
    });
  }
  return typeNo;
}

/** Decode the record in a valid slot whose header passed checkRecord(). */
function decodeRecord(buf: Buffer, off: number, laneIdx: number, slot: number): RaslogRecord {
  const lane = LANE_NAMES[laneIdx]!;
  const length = buf.readUInt16LE(off + R.length);
  const typeNo = buf.readUInt16LE(off + R.type);
  const typeName = TYPE_NAMES[typeNo] as RaslogRecord['type'];
  const psize = PAYLOAD_SIZE[typeNo]!;
  const rt = buf.readBigUInt64LE(off + R.realtime_ns).toString();
  const base: RecordBase = {
    type: typeName,
    seq: u64n(buf, off + R.seq),
    boot: buf.readUInt32LE(off + R.boot),
    time: nsStringToIso(rt),
    realtime_ns: rt,
    boottime_ns: buf.readBigUInt64LE(off + R.boottime_ns).toString(),
    cpu: buf.readUInt16LE(off + R.cpu),
    lane,
    slot,
    nmi: (buf[off + R.flags]! & RF_NMI) !== 0,
  };
  const p = payloadOf(buf, off, length, psize);

  switch (typeName) {
    case 'module_load':
    case 'module_unload': {
      const flags = p.readUInt32LE(0x10);
      return build<ModuleEventRecord>(base, {
        type: typeName,
        region_addr: hexAddr(p.readBigUInt64LE(0x00)),
        region_size: u64n(p, 0x08),
        formatted: (flags & MF_FORMATTED) !== 0,
        adopted: (flags & MF_ADOPTED) !== 0,
        repaired: (flags & MF_REPAIRED) !== 0,
        reformatted: (flags & MF_REFORMATTED) !== 0,
        flush: (flags & MF_FLUSH) !== 0,
        adopted_records: p.readUInt32LE(0x14),
        invalid_records: p.readUInt32LE(0x18),
        version: cstr(p, 0x20, 32),
      });
    }
    case 'process_death': {
      const signo = p.readInt32LE(0x10);
      const causeNo = p[0x24]!;
      const cause: Cause = CAUSES[causeNo] ?? 'unknown';
      const flags = p[0x25]!;
      const cgLen = Math.min(p.readUInt16LE(0x26), 128);
      const cgroup = cstr(p, 0x50, cgLen);
      const sender: TaskRefTgid | null =
        cause === 'process' || cause === 'self'
          ? {
              pid: p.readUInt32LE(0x18),
              tgid: p.readUInt32LE(0x1c),
              uid: p.readUInt32LE(0x20),
              comm: cstr(p, 0x40, 16),
            }
          : null;
      return build<ProcessDeathRecord>(base, {
        type: 'process_death',
        pid: p.readUInt32LE(0x00),
        tgid: p.readUInt32LE(0x04),
        uid: p.readUInt32LE(0x08),
        comm: cstr(p, 0x30, 16),
        exit_code: signo === 0 ? p.readInt32LE(0x0c) : null,
        signal: signalName(signo),
        signo,
        si_code: p.readInt32LE(0x14),
        cause,
        sender,
        fault_addr: cause === 'fault' ? hexAddr(p.readBigUInt64LE(0x28)) : null,
        watched: (flags & DF_WATCHED) !== 0,
        core_flag: (flags & DF_CORE) !== 0,
        cgroup,
        unit: unitFromCgroup(cgroup),
      });
    }
    case 'coredump': {
      const signo = p.readInt32LE(0x08);
      const limit = p.readBigUInt64LE(0x18);
      return build<CoredumpRecord>(base, {
        type: 'coredump',
        pid: p.readUInt32LE(0x00),
        tgid: p.readUInt32LE(0x04),
        comm: cstr(p, 0x28, 16),
        signal: signalName(signo),
        signo,
        dumped: p[0x0c] !== 0,
        reason: CORE_REASONS[p[0x0d]!] ?? 'other',
        error: errnoName(p.readInt32LE(0x10)),
        limit: limit === U64_MAX ? 'unlimited' : Number(limit),
        written: u64n(p, 0x20),
        target: cstr(p, 0x38, 152),
        pipe: (p[0x0e]! & CF_PIPE) !== 0,
      });
    }
    case 'shutdown': {
      const n = Math.min(p.readUInt32LE(0x20), 4);
      const ancestors: TaskRef[] = [];
      for (let i = 0; i < n; i++) ancestors.push(taskRef(p, 0x28 + 24 * i));
      const init = taskRef(p, 0x08);
      return build<ShutdownRecord>(base, {
        type: 'shutdown',
        action: SD_ACTIONS[p.readUInt32LE(0x00)] ?? 'unknown',
        initiator: { pid: init.pid, tgid: p.readUInt32LE(0x04), uid: init.uid, comm: init.comm },
        ancestors,
        command: cstr(p, 0x88, 72),
      });
    }
    case 'panic':
      return build<PanicRecord>(base, { type: 'panic', task: taskRef(p, 0x00), message: cstr(p, 0x18, 184) });
    case 'dump_button': {
      const t = taskRef(p, 0x08);
      return build<DumpButtonRecord>(base, {
        type: 'dump_button',
        cpu: p.readUInt32LE(0x00),
        task: { pid: t.pid, tgid: p.readUInt32LE(0x04), uid: t.uid, comm: t.comm },
        ip: hexAddr(p.readBigUInt64LE(0x20)),
        user_mode: p[0x28] !== 0,
      });
    }
  }
  throw new Error(`record type ${typeNo} passed checkRecord but has no decoder`);
}

interface HeaderCheck {
  valid: boolean;
  crcOk: boolean;
  version: number;
  problems: string[];
  lanes: LaneDesc[] | null;
  regionSize: bigint;
}

function checkHeader(buf: Buffer): HeaderCheck {
  const problems: string[] = [];
  const stored = buf.readUInt32LE(H.header_crc);
  const crc = crc32c(buf, 0, H.crc_len);
  const regionSize = buf.readBigUInt64LE(H.region_size);
  if (stored !== crc) problems.push(`header_crc ${hex(stored)} != computed ${hex(crc)}`);
  const version = buf.readUInt32LE(H.version);
  if (version !== VERSION) problems.push(`version ${version}`);
  const hs = buf.readUInt32LE(H.header_size);
  if (hs !== HEADER_SIZE) problems.push(`header_size ${hs}`);
  const ss = buf.readUInt32LE(H.slot_size);
  if (ss !== SLOT_SIZE) problems.push(`slot_size ${ss}`);
  const lc = buf.readUInt32LE(H.lane_count);
  if (lc !== MAX_LANES) problems.push(`lane_count ${lc}`);
  let lanes: LaneDesc[] | null = null;
  const expect = regionSize <= BigInt(Number.MAX_SAFE_INTEGER) ? layoutForSize(Number(regionSize)) : null;
  if (!expect) {
    problems.push(`region_size ${regionSize} is not a valid size`);
  } else {
    const got: LaneDesc[] = [];
    let same = true;
    for (let i = 0; i < MAX_LANES; i++) {
      const o = H.lanes + 16 * i;
      const d = { offset: u64n(buf, o), slot_count: buf.readUInt32LE(o + 8) };
      got.push(d);
      if (d.offset !== expect[i]!.offset || d.slot_count !== expect[i]!.slot_count) same = false;
    }
    if (!same) problems.push('lane table does not match the layout derived from region_size');
    else lanes = got;
  }
  return { valid: problems.length === 0, crcOk: stored === crc, version, problems, lanes, regionSize };
}

/**
 * Cheap pre-check of a header, used by sources to learn the region size.
 * Throws RegionError for foreign/blank content; returns the header's
 * region_size when the header validates, null when the magic is right but the
 * header is damaged.
 */
export function probeHeader(head: Buffer, where: string): number | null {
  if (head.length < H.crc_len + 4) {
    throw new RegionError('truncated', `not a raslog region ${where}: only ${head.length} bytes`);
  }
  checkMagic(head, where, head.length);
  const h = checkHeader(head);
  checkVersion(h, where);
  return h.valid ? Number(h.regionSize) : null;
}

/**
 * Region id and boot counter from a header that validates (magic, CRC, layout, counter check);
 * null when it does not (then only a scan of the whole region can tell).
 */
export function headerIdentity(head: Buffer): { region_id: string; boot_count: number } | null {
  if (head.length < HEADER_SIZE || head.toString('latin1', 0, 8) !== MAGIC || !checkHeader(head).valid) return null;
  const bootCount = head.readBigUInt64LE(H.boot_count);
  if (head.readBigUInt64LE(H.boot_count_check) !== (~bootCount & U64_MAX)) return null;
  return { region_id: head.toString('hex', H.region_id, H.region_id + 16), boot_count: Number(bootCount) };
}

/** A header whose CRC verifies but whose version is not 1 is a newer format, not damage. */
function checkVersion(h: HeaderCheck, where: string): void {
  if (h.crcOk && h.version !== VERSION) {
    throw new RegionError(
      'unsupported_version',
      `raslog region ${where} has unsupported version ${h.version} (this decoder reads version ${VERSION})`,
    );
  }
}

function checkMagic(buf: Buffer, where: string, scan: number): void {
  if (buf.toString('latin1', 0, 8) === MAGIC) return;
  if (isAllZero(buf, 0, Math.min(HEADER_SIZE, buf.length, scan))) {
    const whole = buf.length > HEADER_SIZE && isAllZero(buf, 0, buf.length);
    throw new RegionError(
      'blank',
      `not a raslog region ${where}: ${whole ? 'all zero' : 'header all zero'} (never formatted)`,
    );
  }
  throw new RegionError('bad_magic', `not a raslog region ${where}: bad magic`);
}

/**
 * A region checked slot by slot, its valid records indexed but not decoded:
 * replaying a large region then holds one batch of record objects at a time,
 * not all of them (a 6 MiB region's 24,560 records are ~15 MiB of objects).
 * Everything but `records` of a RegionReport; the records are decoded on
 * demand from the region's bytes, which the scan keeps.
 */
export interface RegionScan extends Omit<RegionReport, 'records'> {
  /** Number of valid records of a known type. */
  readonly count: number;
  /** seq of the i-th record in (seq, lane, slot) order (the order of RegionReport.records). */
  seqAt(i: number): number;
  /** Region boot number of the i-th record. */
  bootAt(i: number): number;
  laneAt(i: number): LaneName;
  /** The i-th record, decoded (a new object on each call). */
  record(i: number): RaslogRecord;
}

/** Lane indexes in the order RegionReport.records ties equal seqs: by lane name. */
const LANE_RANK = (() => {
  const byName = LANE_NAMES.map((n, i) => [n, i] as const).sort((a, b) => a[0].localeCompare(b[0]));
  const rank = new Array<number>(LANE_NAMES.length);
  byName.forEach(([, i], r) => (rank[i] = r));
  return rank;
})();

/** Check a region's header and every slot, and index its valid records. */
export function scanRegion(input: Uint8Array, opts: DecodeOptions = {}): RegionScan {
  let buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const offset = opts.offset ?? 0;
  const where = `at offset ${hex(offset)}`;
  const sizeKnown = opts.sizeKnown ?? true;
  const problems: Problem[] = [];

  if (buf.length < HEADER_SIZE) {
    if (buf.length >= 8) checkMagic(buf, where, buf.length);
    throw new RegionError('too_small', `region ${where} too small: ${buf.length} bytes (minimum ${MIN_REGION})`);
  }
  checkMagic(buf, where, HEADER_SIZE);
  const hc = checkHeader(buf);
  checkVersion(hc, where);
  const version = hc.version;

  let lanes: LaneDesc[];
  let size: number;
  if (hc.valid) {
    const rs = Number(hc.regionSize);
    if (rs > buf.length) {
      throw new RegionError('truncated', `raslog region ${where} truncated: header says ${rs} bytes, only ${buf.length} available`);
    }
    if (rs < buf.length) {
      problems.push({ kind: 'size', message: `${buf.length} bytes given, header region_size is ${rs}; decoding ${rs}` });
      buf = buf.subarray(0, rs);
    }
    size = rs;
    lanes = hc.lanes!;
  } else {
    if (!sizeKnown) {
      throw new RegionError('need_size', `raslog header ${where} is damaged (${hc.problems[0]}); give the region size (--size) to salvage the records`);
    }
    if (buf.length < MIN_REGION) {
      throw new RegionError('too_small', `region ${where} too small: ${buf.length} bytes (minimum ${MIN_REGION})`);
    }
    size = buf.length;
    lanes = layoutForSize(size)!;
    problems.push({
      kind: 'header',
      message: `header damaged (${hc.problems.join('; ')}): slots decoded with the layout derived from size ${size}`,
    });
    if (hc.regionSize !== BigInt(size)) {
      problems.push({ kind: 'size', message: `header region_size ${hc.regionSize} differs from the size used, ${size}` });
    }
  }

  const bootCount = buf.readBigUInt64LE(H.boot_count);
  const bootOk = buf.readBigUInt64LE(H.boot_count_check) === (~bootCount & U64_MAX);
  if (!bootOk) problems.push({ kind: 'counter', message: 'boot_count_check is not ~boot_count: boot counter damaged' });
  const fmtNs = buf.readBigUInt64LE(H.format_time_ns);

  const laneReports: LaneReport[] = [];
  // valid records of a known type: slot offset, lane, slot, seq, region boot
  const offs: number[] = [];
  const laneOf: number[] = [];
  const slotOf: number[] = [];
  const seqOf: number[] = [];
  const bootOf: number[] = [];
  for (let li = 0; li < MAX_LANES; li++) {
    const d = lanes[li]!;
    const name = LANE_NAMES[li]!;
    const ctr = H.lane_ctr + 64 * li;
    const lr: LaneReport = {
      lane: name,
      index: li,
      offset: d.offset,
      slots: d.slot_count,
      writes: u64n(buf, ctr),
      overwritten: u64n(buf, ctr + 8),
      valid: 0,
      torn: 0,
      corrupt: 0,
      empty: 0,
    };
    for (let s = 0; s < d.slot_count; s++) {
      const off = d.offset + s * SLOT_SIZE;
      if (off + SLOT_SIZE > buf.length) break; // cannot happen with a checked layout
      const c = classifySlot(buf, off);
      lr[c.state]++;
      if (c.state === 'valid') {
        if (checkRecord(buf, off, li, s, problems) !== null) {
          offs.push(off);
          laneOf.push(li);
          slotOf.push(s);
          seqOf.push(u64n(buf, off + R.seq));
          bootOf.push(buf.readUInt32LE(off + R.boot));
        }
      } else if (c.state === 'torn' || c.state === 'corrupt') {
        problems.push({ kind: c.state, lane: name, slot: s, message: `lane ${name} slot ${s}: ${c.state} (${c.why})` });
      }
    }
    if (lr.writes < lr.slots && lr.valid + lr.torn + lr.corrupt > lr.writes && hc.valid) {
      problems.push({
        kind: 'counter',
        lane: name,
        message: `lane ${name}: ${lr.valid + lr.torn + lr.corrupt} non-empty slots but writes counter is ${lr.writes}`,
      });
    }
    laneReports.push(lr);
  }

  const n = offs.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => seqOf[a]! - seqOf[b]! || LANE_RANK[laneOf[a]!]! - LANE_RANK[laneOf[b]!]! || slotOf[a]! - slotOf[b]!);
  const seqs = new Float64Array(n);
  const boots = new Uint32Array(n);
  const at = new Uint32Array(n);
  const lanesAt = new Uint8Array(n);
  const slots = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    seqs[i] = seqOf[j]!;
    boots[i] = bootOf[j]!;
    at[i] = offs[j]!;
    lanesAt[i] = laneOf[j]!;
    slots[i] = slotOf[j]!;
  }
  const gaps: SeqGap[] = [];
  for (let i = 1; i < n; i++) {
    const a = seqs[i - 1]!;
    const b = seqs[i]!;
    if (b === a) {
      const [la, lb] = [LANE_NAMES[lanesAt[i - 1]!]!, LANE_NAMES[lanesAt[i]!]!];
      problems.push({
        kind: 'duplicate_seq',
        lane: lb,
        slot: slots[i]!,
        message: `seq ${b} appears twice (lane ${la} slot ${slots[i - 1]}, lane ${lb} slot ${slots[i]})`,
      });
    } else if (b > a + 1) {
      gaps.push({ after: a, before: b, missing: b - a - 1 });
    }
  }

  const region: RegionInfo = {
    source: opts.source ?? null,
    offset,
    size,
    header: hc.valid ? 'valid' : 'damaged',
    header_problems: hc.problems,
    layout: hc.valid ? 'header' : 'derived',
    version,
    region_id: buf.toString('hex', H.region_id, H.region_id + 16),
    region_size: Number(hc.regionSize),
    format_time: fmtNs === 0n ? null : nsToIso(fmtNs),
    format_time_ns: fmtNs.toString(),
    boot_count: Number(bootCount),
    boot_count_ok: bootOk,
    seq_next: u64n(buf, H.seq_next),
    records: n,
    first_seq: n ? seqs[0]! : null,
    last_seq: n ? seqs[n - 1]! : null,
  };
  const bytes = buf;
  return {
    region,
    lanes: laneReports,
    gaps,
    problems,
    count: n,
    seqAt: (i) => seqs[i]!,
    bootAt: (i) => boots[i]!,
    laneAt: (i) => LANE_NAMES[lanesAt[i]!]!,
    record: (i) => decodeRecord(bytes, at[i]!, lanesAt[i]!, slots[i]!),
  };
}

/** Decode a region from its bytes: scanRegion() with every record decoded. */
export function decodeRegion(input: Uint8Array, opts: DecodeOptions = {}): RegionReport {
  const scan = scanRegion(input, opts);
  const records = new Array<RaslogRecord>(scan.count);
  for (let i = 0; i < scan.count; i++) records[i] = scan.record(i);
  return { region: scan.region, lanes: scan.lanes, records, gaps: scan.gaps, problems: scan.problems };
}

/** A decoded report seen as a scan (its records already decoded; record(i) returns them). */
export function scanOfReport(rep: RegionReport): RegionScan {
  const { records } = rep;
  return {
    region: rep.region,
    lanes: rep.lanes,
    gaps: rep.gaps,
    problems: rep.problems,
    count: records.length,
    seqAt: (i) => records[i]!.seq,
    bootAt: (i) => records[i]!.boot,
    laneAt: (i) => records[i]!.lane,
    record: (i) => Object.assign({}, records[i]!), // a copy, as scanRegion decodes a new one
  };
}


/** Recompute the CRC of the slot a decoded record came from (for tests and fuzzing). */
export function recordSlotCrcOk(buf: Uint8Array, lanes: LaneReport[], rec: RaslogRecord): boolean {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const lane = lanes.find((l) => l.lane === rec.lane);
  if (!lane) return false;
  const off = lane.offset + rec.slot * SLOT_SIZE;
  if (off + SLOT_SIZE > b.length) return false;
  const length = b.readUInt16LE(off + R.length);
  if (length < REC_HDR_SIZE || length > SLOT_SIZE) return false;
  if (b.readUInt32LE(off) !== (COMMIT_MAGIC ^ b.readUInt32LE(off + R.seq)) >>> 0) return false;
  return b.readUInt32LE(off + R.crc) === crc32c(b, off + 8, off + length);
}
