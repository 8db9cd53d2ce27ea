/*
 * Time expressions of --since/--until (journalctl conventions):
 *   now, today, yesterday, tomorrow        local midnight for the day words
 *   boot, boot-N                           start of the current boot / of the Nth boot before it
 *   -2h, +30min, -3d, -1w                  relative to now (s, min, h, d, w; long forms too)
 *   "3 days ago", "2 hours ago"
 *   ISO 8601: 2026-11-22, 2026-11-22T10:14:12[.226245][Z|+09:00], also with a space for T;
 *     without an offset it is local time.
 * Local time is that of a Zone (src/store/tz.ts): the process's own unless given.
 */

import { StoreError } from './errors.ts';
import { PROCESS_ZONE, type Zone } from './tz.ts';

export type TimeExpr = { kind: 'abs'; ns: bigint } | { kind: 'boot'; back: number };

const UNITS: Record<string, bigint> = {
  s: 1n, sec: 1n, secs: 1n, second: 1n, seconds: 1n,
  m: 60n, min: 60n, mins: 60n, minute: 60n, minutes: 60n,
  h: 3600n, hr: 3600n, hour: 3600n, hours: 3600n,
  d: 86400n, day: 86400n, days: 86400n,
  w: 604800n, week: 604800n, weeks: 604800n,
  month: 2629800n, months: 2629800n,
  y: 31557600n, year: 31557600n, years: 31557600n,
};

const NS = 1_000_000_000n;

function badExpr(s: string): StoreError {
  return new StoreError(
    'bad_query',
    `bad time expression "${s}" (use ISO 8601, now, today, yesterday, -2h, "3 days ago", boot or boot-N)`,
  );
}

function localMidnight(now: Date, dayDelta: number, zone: Zone): bigint {
  const { y, mo, d } = zone.fields(now.getTime());
  return BigInt(zone.wallToUtc(y, mo, d + dayDelta)) * 1_000_000n;
}

export function parseTimeExpr(input: string, now: Date = new Date(), zone: Zone = PROCESS_ZONE): TimeExpr {
  const s = input.trim();
  const lower = s.toLowerCase();
  const nowNs = BigInt(now.getTime()) * 1_000_000n;
  if (lower === 'now') return { kind: 'abs', ns: nowNs };
  if (lower === 'today') return { kind: 'abs', ns: localMidnight(now, 0, zone) };
  if (lower === 'yesterday') return { kind: 'abs', ns: localMidnight(now, -1, zone) };
  if (lower === 'tomorrow') return { kind: 'abs', ns: localMidnight(now, 1, zone) };
  let m = /^boot(?:-(\d+))?$/.exec(lower);
  if (m) return { kind: 'boot', back: m[1] ? Number(m[1]) : 0 };
  m = /^([+-])\s*(\d+)\s*([a-z]+)$/.exec(lower);
  if (m) {
    const u = UNITS[m[3]!];
    if (u === undefined) throw badExpr(s);
    const d = BigInt(m[2]!) * u * NS;
    return { kind: 'abs', ns: m[1] === '-' ? nowNs - d : nowNs + d };
  }
  m = /^(\d+)\s*([a-z]+)\s+ago$/.exec(lower);
  if (m) {
    const u = UNITS[m[2]!];
    if (u === undefined) throw badExpr(s);
    return { kind: 'abs', ns: nowNs - BigInt(m[1]!) * u * NS };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (m) {
    const [y, mo, d, hh, mi, ss] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
    if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || hh! > 23 || mi! > 59 || ss! > 60) throw badExpr(s);
    const frac = BigInt((m[7] ?? '').padEnd(9, '0'));
    let ms: number;
    const tz = m[8];
    if (tz) {
      ms = Date.UTC(y!, mo! - 1, d!, hh!, mi!, ss!);
      if (tz.toUpperCase() !== 'Z') {
        const t = tz.replace(':', '');
        const off = (Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5))) * (t[0] === '-' ? -1 : 1);
        ms -= off * 60_000;
      }
    } else {
      ms = zone.wallToUtc(y!, mo! - 1, d!, hh!, mi!, ss!);
    }
    const check = new Date(Date.UTC(y!, mo! - 1, d!));
    if (check.getUTCDate() !== d) throw badExpr(s);
    if (!Number.isFinite(ms)) throw badExpr(s);
    return { kind: 'abs', ns: BigInt(ms) * 1_000_000n + frac };
  }
  throw badExpr(s);
}
