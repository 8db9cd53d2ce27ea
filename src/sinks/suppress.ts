/*
 * Flap and storm suppression: a pure stage in front of the outbox.
 *
 * - flap: deaths of one watched unit (or comm when it has no unit) within a
 *   window (default 300 s, counted from the first death): the first
 *   `flap_threshold` pass through; the rest are folded into one summary
 *   "nginx.service died 37 times in 5 min (34 folded)" sent when the window ends.
 * - storm: the same for all unwatched deaths together (`storm_threshold`),
 *   the summary naming the commonest comms.
 *
 * Windows run on event time (a replay of last boot's storm is summarised at
 * once) and close when wall-clock time passes their end (flushDue, called on
 * every enqueue and by the outbox's timer). The state is plain JSON; the
 * outbox stores it in the same atomic batch as the queue entries, so a
 * restart neither repeats nor forgets a summary. Folded events are still in
 * the store: only their notifications are folded.
 */

import type { SuppressConfig } from './config.ts';
import { eventKey, severityOf, atLeast, type Severity, type SinkEvent } from './event.ts';

export interface SuppressGroup {
  kind: 'flap' | 'storm';
  /** unit or comm (flap), '*' (storm) */
  what: string;
  start_ms: number;
  last_ms: number;
  count: number;
  folded: number;
  severity: Severity;
  watched: boolean;
  unit: string | null;
  comm: string | null;
  first_key: string;
  /** first folded event's key, last folded event's key */
  first_folded_key: string | null;
  last_key: string | null;
  /** folded deaths per comm (storm), capped */
  comms: Record<string, number>;
}

export interface SuppressState {
  groups: Record<string, SuppressGroup>;
}

export function emptySuppressState(): SuppressState {
  return { groups: {} };
}

export function eventMs(ev: SinkEvent, fallback: number): number {
  const ns = ev.time_ns ?? ev.realtime_ns;
  if (typeof ns === 'string' && /^\d+$/.test(ns)) return Number(BigInt(ns) / 1_000_000n);
  if (typeof ev.time === 'string') {
    const t = Date.parse(ev.time);
    if (!Number.isNaN(t)) return t;
  }
  return fallback;
}

export function fmtSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

const MAX_COMMS = 32;

function summary(g: SuppressGroup, key: string, cfg: SuppressConfig): SinkEvent {
  const span = fmtSpan(Math.max(g.last_ms - g.start_ms, 0));
  let text: string;
  if (g.kind === 'flap') {
    text = `${g.what} died ${g.count} times in ${span} (${g.folded} folded)`;
  } else {
    const top = Object.entries(g.comms)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([c, n]) => `${c}x${n}`)
      .join(', ');
    text = `${g.count} unwatched processes died in ${span} (${g.folded} folded${top ? `; ${top}` : ''})`;
  }
  return {
    type: 'summary',
    kind: g.kind,
    folded_type: 'process_death',
    what: g.what,
    text,
    count: g.count,
    folded: g.folded,
    window_s: cfg.window_s,
    start: new Date(g.start_ms).toISOString(),
    end: new Date(g.last_ms).toISOString(),
    first_key: g.first_folded_key,
    last_key: g.last_key,
    severity: g.severity,
    watched: g.watched,
    unit: g.unit,
    comm: g.kind === 'flap' ? g.comm : null,
    comms: g.kind === 'storm' ? g.comms : null,
    key: `summary:${key}:${g.first_key}`,
  };
}

function closeDue(st: SuppressState, nowMs: number, cfg: SuppressConfig, out: SinkEvent[], only?: string): void {
  for (const [k, g] of Object.entries(st.groups)) {
    if (only !== undefined && k !== only) continue;
    if (nowMs < g.start_ms + cfg.window_s * 1000) continue;
    if (g.folded > 0) out.push(summary(g, k, cfg));
    delete st.groups[k];
  }
}

/**
 * Pass events through the suppressor. Returns the new state (the input is not
 * modified) and the events to enqueue, in order: pass-throughs and summaries.
 * `isWatched` decides flap (per unit) vs storm (all unwatched) grouping.
 */
export function suppress(
  state: SuppressState,
  events: SinkEvent[],
  nowMs: number,
  cfg: SuppressConfig,
  isWatched: (ev: SinkEvent) => boolean = (ev) => ev.watched === true,
): { state: SuppressState; out: SinkEvent[] } {
  const st: SuppressState = structuredClone(state);
  const out: SinkEvent[] = [];
  if (!cfg.enabled) return { state: st, out: [...events] };
  for (const ev of events) {
    if (ev.type !== 'process_death') {
      out.push(ev);
      continue;
    }
    const t = eventMs(ev, nowMs);
    const watched = isWatched(ev);
    const unit = typeof ev.unit === 'string' && ev.unit ? ev.unit : null;
    const comm = typeof ev.comm === 'string' ? ev.comm : '?';
    const gk = watched ? `flap:${unit ?? `comm:${comm}`}` : 'storm';
    // an event past its group's window closes that window first (event time)
    const cur = st.groups[gk];
    if (cur && t >= cur.start_ms + cfg.window_s * 1000) closeDue(st, t, cfg, out, gk);
    let g = st.groups[gk];
    const key = eventKey(ev);
    if (!g) {
      g = st.groups[gk] = {
        kind: watched ? 'flap' : 'storm',
        what: watched ? (unit ?? comm) : '*',
        start_ms: t,
        last_ms: t,
        count: 0,
        folded: 0,
        severity: severityOf(ev),
        watched,
        unit: watched ? unit : null,
        comm: watched ? comm : null,
        first_key: key,
        first_folded_key: null,
        last_key: null,
        comms: {},
      };
    }
    g.count++;
    g.last_ms = Math.max(g.last_ms, t);
    const sev = severityOf(ev);
    if (atLeast(sev, g.severity)) g.severity = sev;
    const threshold = watched ? cfg.flap_threshold : cfg.storm_threshold;
    if (g.count <= threshold) {
      out.push(ev);
      continue;
    }
    g.folded++;
    g.first_folded_key ??= key;
    g.last_key = key;
    if (!watched) {
      if (comm in g.comms || Object.keys(g.comms).length < MAX_COMMS) g.comms[comm] = (g.comms[comm] ?? 0) + 1;
      else g.comms['(other)'] = (g.comms['(other)'] ?? 0) + 1;
    }
  }
  closeDue(st, nowMs, cfg, out);
  return { state: st, out };
}

/** Close the windows that have ended by `nowMs`; returns their summaries. */
export function flushDue(state: SuppressState, nowMs: number, cfg: SuppressConfig): { state: SuppressState; out: SinkEvent[] } {
  const st: SuppressState = structuredClone(state);
  const out: SinkEvent[] = [];
  closeDue(st, nowMs, cfg, out);
  return { state: st, out };
}

/** Earliest window end (ms), or null when nothing is open. */
export function nextDue(state: SuppressState, cfg: SuppressConfig): number | null {
  let m: number | null = null;
  for (const g of Object.values(state.groups)) {
    const end = g.start_ms + cfg.window_s * 1000;
    if (m === null || end < m) m = end;
  }
  return m;
}
