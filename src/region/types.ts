/*
 * Decoded raslog region: the one definition of the record types and the
 * report shape. Field names here are the public JSON interface, documented in
 * docs/events.md and docs/region-format.md.
 */

export const LANE_NAMES = ['critical', 'watch', 'process'] as const;
export type LaneName = (typeof LANE_NAMES)[number];

export const RECORD_TYPES = [
  'module_load',
  'module_unload',
  'process_death',
  'coredump',
  'shutdown',
  'panic',
  'dump_button',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export type Cause = 'none' | 'process' | 'fault' | 'oom' | 'self' | 'kernel' | 'unknown';

export type CoreReason =
  | 'dumped'
  | 'core_limit'
  | 'not_dumpable'
  | 'empty_pattern'
  | 'pipe_failed'
  | 'write_error'
  | 'truncated'
  | 'open_failed'
  | 'unsupported'
  | 'interrupted'
  | 'other';

export type ShutdownAction = 'reboot' | 'halt' | 'poweroff' | 'emergency_restart' | 'unknown';

/** Fields every record has. */
export interface RecordBase {
  type: RecordType;
  /** Global sequence number, monotonic across lanes and boots (exact below 2^53). */
  seq: number;
  /** Boot counter of the region when the record was written. */
  boot: number;
  /** realtime_ns as ISO 8601 UTC with microseconds. */
  time: string;
  /** CLOCK_REALTIME in ns, decimal string (u64). */
  realtime_ns: string;
  /** CLOCK_BOOTTIME in ns, decimal string (u64). */
  boottime_ns: string;
  cpu: number;
  lane: LaneName;
  /** Slot index within the lane where the record was found. */
  slot: number;
  /** Written from NMI context. */
  nmi: boolean;
}

export interface TaskRef {
  pid: number;
  uid: number;
  comm: string;
}

export interface TaskRefTgid extends TaskRef {
  tgid: number;
}

export interface ModuleEventRecord extends RecordBase {
  type: 'module_load' | 'module_unload';
  /** Physical address of the region, '0x…'. */
  region_addr: string;
  region_size: number;
  formatted: boolean;
  adopted: boolean;
  repaired: boolean;
  reformatted: boolean;
  flush: boolean;
  adopted_records: number;
  invalid_records: number;
  version: string;
}

export interface ProcessDeathRecord extends RecordBase {
  type: 'process_death';
  pid: number;
  tgid: number;
  uid: number;
  comm: string;
  /** exit(2) status; null when killed by a signal. */
  exit_code: number | null;
  /** Signal name such as 'SIGKILL'; null when none. */
  signal: string | null;
  signo: number;
  si_code: number;
  cause: Cause;
  /** The sending task, only when cause is 'process' or 'self'. */
  sender: TaskRefTgid | null;
  /** Faulting address '0x…', only when cause is 'fault'. */
  fault_addr: string | null;
  watched: boolean;
  core_flag: boolean;
  cgroup: string;
  /** systemd unit from the cgroup path (last component ending in .service, .scope, …). */
  unit: string | null;
}

export interface CoredumpRecord extends RecordBase {
  type: 'coredump';
  pid: number;
  tgid: number;
  comm: string;
  signal: string | null;
  signo: number;
  dumped: boolean;
  reason: CoreReason;
  /** errno name such as 'ENOSPC', or null. */
  error: string | null;
  /** RLIMIT_CORE soft limit in bytes, or 'unlimited'. */
  limit: number | 'unlimited';
  written: number;
  target: string;
  pipe: boolean;
}

export interface ShutdownRecord extends RecordBase {
  type: 'shutdown';
  action: ShutdownAction;
  initiator: TaskRefTgid;
  /** Parent first, up to 4. */
  ancestors: TaskRef[];
  command: string;
}

export interface PanicRecord extends RecordBase {
  type: 'panic';
  task: TaskRef;
  message: string;
}

export interface DumpButtonRecord extends RecordBase {
  type: 'dump_button';
  /** CPU that took the NMI. */
  cpu: number;
  task: TaskRefTgid;
  /** Interrupted instruction pointer '0x…'. */
  ip: string;
  user_mode: boolean;
}

export type RaslogRecord =
  | ModuleEventRecord
  | ProcessDeathRecord
  | CoredumpRecord
  | ShutdownRecord
  | PanicRecord
  | DumpButtonRecord;

export type SlotState = 'valid' | 'empty' | 'torn' | 'corrupt';

export interface LaneReport {
  lane: LaneName;
  index: number;
  /** Offset of the first slot from the region start. */
  offset: number;
  slots: number;
  /** Slot reservations ever made (header counter). */
  writes: number;
  /** Committed records destroyed by wrap-around (header counter). */
  overwritten: number;
  valid: number;
  torn: number;
  corrupt: number;
  empty: number;
}

export interface RegionInfo {
  /** Where the bytes came from (file or device path), if known. */
  source: string | null;
  /** Offset of the region within the source. */
  offset: number;
  /** Region size used for decoding. */
  size: number;
  /** 'valid': header validated; 'damaged': decoded with the size-derived layout. */
  header: 'valid' | 'damaged';
  /** Why the header was considered damaged (empty when valid). */
  header_problems: string[];
  /** Layout used for the slots: from the header or derived from the size. */
  layout: 'header' | 'derived';
  version: number;
  region_id: string;
  /** region_size from the header (may disagree with size when damaged). */
  region_size: number;
  format_time: string | null;
  format_time_ns: string;
  boot_count: number;
  /** boot_count_check == ~boot_count */
  boot_count_ok: boolean;
  seq_next: number;
  records: number;
  /** Lowest and highest seq among valid records, null if none. */
  first_seq: number | null;
  last_seq: number | null;
}

export interface SeqGap {
  /** Last seq present before the gap. */
  after: number;
  /** First seq present after the gap. */
  before: number;
  missing: number;
}

export type ProblemKind =
  | 'header'
  | 'torn'
  | 'corrupt'
  | 'unknown_type'
  | 'lane_mismatch'
  | 'duplicate_seq'
  | 'seq_precision'
  | 'short_payload'
  | 'size'
  | 'counter';

export interface Problem {
  kind: ProblemKind;
  lane?: LaneName;
  slot?: number;
  message: string;
}

export interface RegionReport {
  region: RegionInfo;
  lanes: LaneReport[];
  /** Valid records sorted by seq. */
  records: RaslogRecord[];
  gaps: SeqGap[];
  problems: Problem[];
}
