/*
 * LevelDB key layout of the raslog store (docs/store.md). Keys are UTF-8
 * strings; numbers are fixed-width so that lexicographic order is numeric
 * order; variable-length parts (comm, unit, type, region id) are followed by
 * a NUL separator, which cannot occur in them.
 *
 *   e\0<sseq16>                       → event row {e, p, h}     primary, store order
 *   t\0<time20>\0<sseq16>             → ''                      index by time
 *   y\0<type>\0<time20>\0<sseq16>     → ''                      index by type, then time
 *   c\0<comm>\0<time20>\0<sseq16>     → ''                      index by process name
 *   u\0<unit>\0<time20>\0<sseq16>     → ''                      index by systemd unit
 *   d\0<dedup key>                    → <sseq16>                exactly-once keys
 *   B\0<boot10>                       → BootInfo JSON           one row per boot
 *   m\0<name>                         → JSON                    store metadata
 *
 * Every index key ends in <time20>\0<sseq16>, so scans of any index come out
 * in (time, sseq) order and can be merged by that suffix.
 */

export const SEP = '\x00';
export const HIGH = '\xff';

export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function dec20(ns: bigint | string): string {
  return (typeof ns === 'bigint' ? ns.toString() : ns).padStart(20, '0');
}

export function dec10(n: number): string {
  return String(n).padStart(10, '0');
}

export const MAX_TIME20 = '99999999999999999999';

export function eventKey(sseq: number): string {
  return `e${SEP}${hex16(sseq)}`;
}
export const EVENT_PREFIX = `e${SEP}`;

export function sseqFromEventKey(k: string): number {
  return parseInt(k.slice(2), 16);
}

/** Suffix shared by every index key. */
export function suffix(timeNs: string, sseq: number): string {
  return `${dec20(timeNs)}${SEP}${hex16(sseq)}`;
}

/** sseq from the end of any index key. */
export function sseqFromIndexKey(k: string): number {
  return parseInt(k.slice(k.length - 16), 16);
}

/** The `<time20>\0<sseq16>` part of an index key. */
export function suffixOf(k: string): string {
  return k.slice(k.length - 37);
}

export type IndexName = 't' | 'y' | 'c' | 'u';

/** Prefix of one index (with the value part for b/y/c/u). */
export function indexPrefix(ix: IndexName, value?: string | number): string {
  if (ix === 't') return `t${SEP}`;
  return `${ix}${SEP}${value}${SEP}`;
}

export function dedupKey(k: string): string {
  return `d${SEP}${k}`;
}

export function bootKey(n: number): string {
  return `B${SEP}${dec10(n)}`;
}
export const BOOT_PREFIX = `B${SEP}`;

export function metaKey(name: string): string {
  return `m${SEP}${name}`;
}

/** The process name an event is about (indexed for --process). */
export function eventComm(e: Record<string, unknown>): string | null {
  if (typeof e.comm === 'string' && e.comm) return e.comm;
  for (const f of ['initiator', 'task']) {
    const t = e[f] as { comm?: unknown } | undefined;
    if (t && typeof t.comm === 'string' && t.comm) return t.comm;
  }
  return null;
}

/** Every index key of one stored event (`sseq16`: hex16(e.sseq), when the caller has it). */
export function indexKeysFor(
  e: {
    sseq: number;
    type: string;
    boot: number;
    time_ns: string;
    unit?: unknown;
    [k: string]: unknown;
  },
  sseq16 = hex16(e.sseq),
): string[] {
  const sfx = `${dec20(e.time_ns)}${SEP}${sseq16}`;
  // no per-event boot index: a boot's events lie within its row's [min_ns, max_ns], so -b is a
  // time-index scan of that range (one key less per event)
  const keys = [`t${SEP}${sfx}`, `y${SEP}${e.type}${SEP}${sfx}`];
  const comm = eventComm(e);
  if (comm) keys.push(`c${SEP}${comm}${SEP}${sfx}`);
  if (typeof e.unit === 'string' && e.unit) keys.push(`u${SEP}${e.unit}${SEP}${sfx}`);
  return keys;
}
