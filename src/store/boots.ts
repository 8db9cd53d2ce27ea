/*
 * Boots: one row per store boot number with its time span, counts by type
 * and how it ended. Boot numbers come from the module's boot counter (plus a
 * per-region offset, so a reformatted region or boots without the module never
 * reuse a number), else from kernel boot_id bookkeeping.
 */

export type BootEnding = 'clean' | 'panic' | 'dump_button' | 'unexpected' | 'running' | 'unknown';

export interface BootInfo {
  boot: number;
  /** /proc/sys/kernel/random/boot_id of that boot, when the daemon saw it. */
  boot_id: string | null;
  /** Region and module boot counter that gave the number, when the module was there. */
  region_id: string | null;
  region_boot: number | null;
  first_ns: string | null;
  last_ns: string | null;
  /** Time range of every event filed under the boot (queries by boot scan the time index over it). */
  min_ns?: string | null;
  max_ns?: string | null;
  counts: Record<string, number>;
  /** Last shutdown / panic / dump_button record of the boot. */
  last_terminal: { type: string; time_ns: string; sseq: number; action?: string } | null;
  /** Time of the last dump_button record, when any. */
  dump_button_ns: string | null;
  /** Set when the next boot classified this one ('unexpected' once an unexpected_shutdown was filed). */
  ended: BootEnding | null;
}

export function newBoot(boot: number): BootInfo {
  return {
    boot,
    boot_id: null,
    region_id: null,
    region_boot: null,
    first_ns: null,
    last_ns: null,
    min_ns: null,
    max_ns: null,
    counts: {},
    last_terminal: null,
    dump_button_ns: null,
    ended: null,
  };
}

function lt(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b;
}

/** Account one stored event in its boot row (mutates). */
export function accountEvent(
  b: BootInfo,
  e: { type: string; time_ns: string; sseq: number; action?: unknown; region_id?: unknown; region_boot?: unknown },
  delta = 1,
): void {
  if (delta > 0 && typeof e.region_id === 'string' && b.region_id === null) {
    b.region_id = e.region_id;
    if (typeof e.region_boot === 'number') b.region_boot = e.region_boot;
  }
  b.counts[e.type] = (b.counts[e.type] ?? 0) + delta;
  if (b.counts[e.type]! <= 0) delete b.counts[e.type];
  if (delta < 0) return;
  if (b.min_ns === undefined || b.min_ns === null || lt(e.time_ns, b.min_ns)) b.min_ns = e.time_ns;
  if (b.max_ns === undefined || b.max_ns === null || lt(b.max_ns, e.time_ns)) b.max_ns = e.time_ns;
  // the unexpected_shutdown marker is dated at the boot's last event; it does not extend the span
  if (e.type !== 'unexpected_shutdown' && e.type !== 'checkpoint') {
    if (b.first_ns === null || lt(e.time_ns, b.first_ns)) b.first_ns = e.time_ns;
    if (b.last_ns === null || lt(b.last_ns, e.time_ns)) b.last_ns = e.time_ns;
  }
  if (e.type === 'shutdown' || e.type === 'panic' || e.type === 'dump_button') {
    if (!b.last_terminal || !lt(e.time_ns, b.last_terminal.time_ns)) {
      b.last_terminal = { type: e.type, time_ns: e.time_ns, sseq: e.sseq };
      if (typeof e.action === 'string') b.last_terminal.action = e.action;
    }
    if (e.type === 'dump_button' && (b.dump_button_ns === null || lt(b.dump_button_ns, e.time_ns))) {
      b.dump_button_ns = e.time_ns;
    }
  }
  if (e.type === 'unexpected_shutdown') b.ended = 'unexpected';
}

/**
 * How a boot ended, from its records: the last shutdown/panic/dump-button
 * record decides; a panic after a dump-button press counts as dump_button
 * (unknown_nmi_panic → kdump). No such record: unexpected (reset, power loss).
 */
export function classifyEnding(b: BootInfo, current: number | null): BootEnding {
  if (current !== null && b.boot === current) return 'running';
  const t = b.last_terminal;
  if (!t) return b.ended === 'unexpected' || current !== null ? 'unexpected' : 'unknown';
  if (t.type === 'shutdown') return 'clean';
  if (t.type === 'dump_button') return 'dump_button';
  if (b.dump_button_ns !== null && !lt(t.time_ns, b.dump_button_ns)) return 'dump_button';
  return 'panic';
}

/** Per-region numbering state, stored as metadata `region\0<id>`. */
export interface RegionState {
  region_id: string;
  /** Highest record seq stored from this region (0: none). */
  last_seq: number;
  /** [first module boot counter, offset]: store boot = module boot + offset of the last entry with first <= it. */
  offsets: [number, number][];
}

export function newRegionState(id: string, offset: number): RegionState {
  return { region_id: id, last_seq: 0, offsets: [[0, offset]] };
}

export function storeBootFor(r: RegionState, regionBoot: number): number {
  let off = r.offsets[0]![1];
  for (const [from, o] of r.offsets) if (from <= regionBoot) off = o;
  return regionBoot + off;
}

/**
 * Number the current boot. Same boot_id as a known boot → that boot (daemon
 * restarted). Otherwise the module's counter (through the region's offset)
 * when it gives a number above every known boot, else max + 1 (and the
 * region's offset moves so its later records follow).
 */
export function numberCurrentBoot(args: {
  bootId: string | null;
  knownBootId: number | undefined;
  maxBoot: number;
  region: RegionState | null;
  regionBoot: number | null;
}): { boot: number; region: RegionState | null; reused: boolean } {
  if (args.knownBootId !== undefined) return { boot: args.knownBootId, region: args.region, reused: true };
  if (args.region && args.regionBoot !== null) {
    const r = { ...args.region, offsets: args.region.offsets.map((x) => [...x] as [number, number]) };
    let n = storeBootFor(r, args.regionBoot);
    if (n <= args.maxBoot) {
      const off = args.maxBoot + 1 - args.regionBoot;
      r.offsets.push([args.regionBoot, off]);
      n = args.maxBoot + 1;
    }
    return { boot: n, region: r, reused: false };
  }
  return { boot: args.maxBoot + 1, region: args.region, reused: false };
}

/**
 * Offset for a region seen for the first time: 0 (store boot = module boot
 * counter) unless that would reuse a known boot number; then its lowest boot
 * follows the highest known boot.
 */
export function initialOffset(maxBoot: number, minRegionBoot: number): number {
  return minRegionBoot > maxBoot ? 0 : maxBoot + 1 - minRegionBoot;
}
