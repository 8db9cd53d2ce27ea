/*
 * Important processes → the kernel module's watch list
 * (/sys/kernel/raslog/watch accepts one command per write: "comm NAME",
 * "cgroup PREFIX", "clear"). The daemon calls applyWatchList() at start and
 * on SIGHUP; the list is rewritten from scratch ("clear" first).
 */

import { openSync, writeSync, closeSync } from 'node:fs';
import { basename } from 'node:path';
import type { ImportantConfig } from './config.ts';

export const WATCH_PATH = '/sys/kernel/raslog/watch';
/** TASK_COMM_LEN - 1 */
export const COMM_MAX = 15;

/** comm names: configured comms and executables' basenames, as the kernel truncates them (15 bytes). */
export function importantComms(imp: ImportantConfig): string[] {
  const out = new Set<string>();
  for (const c of imp.comm) out.add(truncComm(c));
  for (const e of imp.exe) out.add(truncComm(basename(e)));
  return [...out].filter(Boolean);
}

/** Cgroup prefixes: units become /system.slice/<unit> (a unit already given as a path is kept). */
export function importantCgroups(imp: ImportantConfig): string[] {
  const out = new Set<string>();
  for (const u of imp.unit) {
    if (u.startsWith('/')) out.add(u.replace(/\/+$/, ''));
    else out.add(`/system.slice/${u.includes('.') ? u : `${u}.service`}`);
  }
  for (const c of imp.cgroup) out.add(c.replace(/\/+$/, '') || '/');
  return [...out];
}

function truncComm(s: string): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= COMM_MAX) return s;
  // cut on a UTF-8 boundary
  let n = COMM_MAX;
  while (n > 0 && (b[n]! & 0xc0) === 0x80) n--;
  return b.subarray(0, n).toString('utf8');
}

/** Watch-list lines, "clear" first. */
export function watchListLines(imp: ImportantConfig): string[] {
  for (const c of [...imp.comm, ...imp.exe.map((e) => basename(e)), ...imp.unit, ...imp.cgroup]) {
    if (/[\s]/.test(c)) throw new Error(`important process entry ${JSON.stringify(c)} contains white space`);
  }
  return ['clear', ...importantComms(imp).map((c) => `comm ${c}`), ...importantCgroups(imp).map((p) => `cgroup ${p}`)];
}

/**
 * Write the lines. The module applies a multi-line write atomically ("all
 * lines apply, or none does"), so the whole list (clear + entries) goes in one
 * write(2) when it fits a sysfs page (4096 bytes); a longer list is written in
 * page-sized pieces (the first piece starts with "clear"). Returns the lines.
 * Throws on a failed write naming the piece's first line (EINVAL: bad entry,
 * ENOSPC: more entries than the module holds).
 */
export function applyWatchList(imp: ImportantConfig, path = WATCH_PATH): string[] {
  const lines = watchListLines(imp);
  const pieces: string[] = [];
  let cur = '';
  for (const l of lines) {
    if (cur.length + l.length + 1 > 4000 && cur) {
      pieces.push(cur);
      cur = '';
    }
    cur += `${l}\n`;
  }
  if (cur) pieces.push(cur);
  const fd = openSync(path, 'a');
  try {
    for (const p of pieces) {
      try {
        writeSync(fd, p);
      } catch (e) {
        throw new Error(`${path}: writing "${p.split('\n', 1)[0]}"… failed: ${(e as Error).message}`);
      }
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}
