/*
 * Local time in an explicit time zone. The CLI prints local times and reads
 * local-time expressions (today, 2026-11-22 10:00 without an offset) in the
 * zone of the user who runs it. In its own process that is the process's zone
 * (TZ, else /etc/localtime) and Date's local-time methods are used; run inside
 * raslogd for a client (src/daemon/cli.ts) it is the client's zone, given by
 * name: Intl (the same ICU data as Date) gives the offsets, with Date's rules
 * for wall times that do not exist or exist twice. No process-global state
 * (process.env.TZ) is touched, so concurrent requests can use different zones.
 */

/** A time zone: undefined name = this process's own local zone. */
export class Zone {
  private dtf: Intl.DateTimeFormat | null = null;
  // UTC offset per quarter hour (offsets change at quarter-hour boundaries at most): a zone lookup
  // costs ~0.2 µs (Date) to ~6 µs (Intl), once per line otherwise
  private bucket = NaN;
  private off = 0;

  /** name: an IANA zone name that Intl accepts (see zoneOrNull), or undefined for the process's zone. */
  constructor(readonly name?: string) {
    if (name !== undefined) {
      this.dtf = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    }
  }

  /** Minutes east of UTC at instant ms (the negated Date#getTimezoneOffset, whole minutes like it). */
  offsetMinutes(ms: number): number {
    const b = Math.floor(ms / 900_000);
    if (b !== this.bucket) {
      this.bucket = b;
      this.off = this.computeOffset(ms);
    }
    return this.off;
  }

  private computeOffset(ms: number): number {
    if (!this.dtf) return -new Date(ms).getTimezoneOffset();
    const sec = Math.floor(ms / 1000) * 1000;
    const f: Record<string, number> = {};
    for (const p of this.dtf.formatToParts(sec)) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
    return Math.trunc((wall - sec) / 60_000) + 0; // + 0: no -0
  }

  /** The wall-clock fields (month 0-based) of instant ms in this zone. */
  fields(ms: number): { y: number; mo: number; d: number } {
    const t = new Date(ms + this.offsetMinutes(ms) * 60_000);
    return { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate() };
  }

  /**
   * The instant of a wall-clock time in this zone, as `new Date(y, mo, d, h, mi, s)` gives it in
   * a process whose zone this is: a time that exists twice (clocks set back) is the earlier one,
   * a time skipped by a forward change is moved forward by the gap. NaN for invalid fields.
   */
  wallToUtc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
    if (!this.dtf) return new Date(y, mo, d, h, mi, s).getTime();
    const t = Date.UTC(y, mo, d, h, mi, s);
    if (!Number.isFinite(t)) return NaN;
    const before = this.offsetAt(t - 86_400_000);
    const after = this.offsetAt(t + 86_400_000);
    const fits = [before, after].map((o) => t - o * 60_000).filter((u) => this.offsetAt(u) * 60_000 === t - u);
    if (fits.length) return Math.min(...fits);
    return t - before * 60_000; // in a gap: the offset in force before it
  }

  /** offsetMinutes without the cache (wallToUtc probes times far from the ones being printed). */
  private offsetAt(ms: number): number {
    return this.computeOffset(ms);
  }
}

/** The process's own zone, shared (its cache is per zone, and the zone cannot change under it). */
export const PROCESS_ZONE = new Zone();

/**
 * The Zone for a zone name as a TZ variable gives it (a leading ':' is dropped), or null when Intl
 * does not know it as an IANA name (POSIX rules like JST-9, file paths, empty): such a TZ can only
 * be reproduced by a process started with it.
 */
export function zoneOrNull(tz: string): Zone | null {
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  // IANA names only: letters, digits, _ + - /; not starting with a digit, / or . (no paths)
  if (!/^[A-Za-z][A-Za-z0-9_+\-]*(?:\/[A-Za-z0-9_+\-]+)*$/.test(name)) return null;
  try {
    return new Zone(name);
  } catch {
    return null;
  }
}
