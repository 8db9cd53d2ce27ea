/*
 * Routing: which sinks an event goes to. Rules are tried in order; each
 * matching rule adds its sinks; a matching `final` rule ends the search.
 * Without rules: every event of severity notice or worse goes to every sink.
 */

import type { ImportantConfig, RouteConfig } from './config.ts';
import { atLeast, severityOf, type SinkEvent } from './event.ts';
import { importantComms, importantCgroups } from './watchlist.ts';

export const DEFAULT_ROUTES: RouteConfig[] = [{ sinks: ['*'], min_severity: 'notice', final: false }];

export class Router {
  private readonly comms: Set<string>;
  private readonly cgroups: string[];

  constructor(
    private readonly routes: RouteConfig[],
    /** config sink name → the sink instances (queues) it stands for */
    private readonly instances: Map<string, string[]>,
    important: ImportantConfig = { comm: [], exe: [], unit: [], cgroup: [] },
  ) {
    this.comms = new Set(importantComms(important));
    this.cgroups = importantCgroups(important);
  }

  /** The event concerns a watched/important process (kernel watch flag or the configured list). */
  isWatched(ev: SinkEvent): boolean {
    if (ev.watched === true) return true;
    if (ev.type === 'summary') return ev.watched === true;
    if (typeof ev.comm === 'string' && this.comms.has(ev.comm)) return true;
    if (typeof ev.cgroup === 'string') {
      for (const p of this.cgroups) if (ev.cgroup === p || ev.cgroup.startsWith(`${p}/`)) return true;
    }
    if (typeof ev.unit === 'string') {
      for (const p of this.cgroups) if (p.endsWith(`/${ev.unit}`)) return true;
    }
    return false;
  }

  private matches(rt: RouteConfig, ev: SinkEvent): boolean {
    if (rt.types?.length && !rt.types.includes(ev.type)) return false;
    if (rt.min_severity && !atLeast(severityOf(ev), rt.min_severity)) return false;
    if (rt.watched !== undefined && this.isWatched(ev) !== rt.watched) return false;
    if (rt.comm?.length && !(typeof ev.comm === 'string' && rt.comm.includes(ev.comm))) return false;
    if (rt.unit?.length && !(typeof ev.unit === 'string' && rt.unit.includes(ev.unit))) return false;
    return true;
  }

  /** Sink instance names for an event (deduplicated, in configuration order). */
  route(ev: SinkEvent): string[] {
    const out = new Set<string>();
    for (const rt of this.routes) {
      if (!this.matches(rt, ev)) continue;
      for (const n of rt.sinks) {
        if (n === '*') for (const list of this.instances.values()) for (const i of list) out.add(i);
        else for (const i of this.instances.get(n) ?? []) out.add(i);
      }
      if (rt.final) break;
    }
    return [...out];
  }
}
