/*
 * Constants and offsets of kmod-raslog/raslog_format.h (version 1). All
 * integers little-endian, all offsets from the region start.
 */

export const MAGIC = 'RASLOGRG';
export const VERSION = 1;
export const HEADER_SIZE = 4096;
export const SLOT_SIZE = 256;
export const MAX_LANES = 3;
export const MIN_REGION = 64 * 1024;
export const COMMIT_MAGIC = 0x544d4352;
export const REC_HDR_SIZE = 48;

/** struct raslog_header */
export const H = {
  magic: 0x000,
  version: 0x008,
  header_size: 0x00c,
  region_size: 0x010,
  region_id: 0x018,
  lane_count: 0x028,
  slot_size: 0x02c,
  format_time_ns: 0x030,
  lanes: 0x040, // 3 x { u64 offset; u32 slot_count; u32 reserved }
  header_crc: 0x07c,
  crc_len: 0x7c,
  boot_count: 0x080,
  boot_count_check: 0x088,
  seq_next: 0x090,
  lane_ctr: 0x100, // 64 bytes per lane: u64 writes, u64 overwritten
} as const;

/** struct raslog_rec_hdr */
export const R = {
  commit: 0x00,
  crc: 0x04,
  length: 0x08,
  type: 0x0a,
  cpu: 0x0c,
  lane: 0x0e,
  flags: 0x0f,
  seq: 0x10,
  realtime_ns: 0x18,
  boottime_ns: 0x20,
  boot: 0x28,
  reserved: 0x2c,
} as const;

export const RF_NMI = 0x01;
export const DF_WATCHED = 0x01;
export const DF_CORE = 0x02;
export const CF_PIPE = 0x01;
export const MF_FORMATTED = 0x01;
export const MF_ADOPTED = 0x02;
export const MF_REPAIRED = 0x04;
export const MF_REFORMATTED = 0x08;
export const MF_FLUSH = 0x10;

/** Payload sizes (bytes after the 48-byte record header). */
export const PAYLOAD_SIZE: Record<number, number> = {
  1: 64, // raslog_module_event
  2: 64,
  3: 208, // raslog_death
  4: 208, // raslog_coredump
  5: 208, // raslog_shutdown
  6: 208, // raslog_panic
  7: 41, // raslog_dump_button
};

export interface LaneDesc {
  offset: number;
  slot_count: number;
}

/** raslog_layout(): lane layout as a pure function of the region size; null below the minimum. */
export function layoutForSize(regionSize: number): LaneDesc[] | null {
  if (!Number.isFinite(regionSize) || regionSize < MIN_REGION) return null;
  const slots = Math.floor((regionSize - HEADER_SIZE) / SLOT_SIZE);
  const crit = Math.max(16, Math.floor(slots / 16));
  const watch = Math.max(16, Math.floor(slots / 8));
  const l0 = { offset: HEADER_SIZE, slot_count: crit };
  const l1 = { offset: l0.offset + crit * SLOT_SIZE, slot_count: watch };
  const l2 = { offset: l1.offset + watch * SLOT_SIZE, slot_count: slots - crit - watch };
  return [l0, l1, l2];
}
