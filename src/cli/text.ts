/* Human-readable rendering of a decoded region: a summary block, then one line per record. */

import type {
  CoredumpRecord,
  LaneReport,
  ProcessDeathRecord,
  RaslogRecord,
  RegionReport,
  TaskRef,
} from '../region/types.ts';

const MAX_PROBLEMS = 20;
const MAX_GAPS = 10;

function human(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function task(t: TaskRef): string {
  return `${t.comm}[${t.pid}]`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function coreText(c: CoredumpRecord): string {
  if (c.dumped) {
    return `dumped to ${c.pipe ? 'pipe ' : ''}${c.target} (${c.written} bytes)`;
  }
  const why = [c.reason, c.error].filter(Boolean).join(', ');
  return `not dumped (${why})`;
}

function deathLine(r: ProcessDeathRecord, core: CoredumpRecord | undefined): string {
  const parts: string[] = [`${r.comm}[${r.pid}]`];
  if (r.tgid !== r.pid) parts.push(`tgid=${r.tgid}`);
  if (r.signal === null) {
    parts.push(`exit ${r.exit_code}`);
  } else {
    let s = r.signal;
    switch (r.cause) {
      case 'process':
        s += r.sender ? ` from ${r.sender.comm}[${r.sender.pid}]` : " from a process";
        break;
      case 'self':
        s += ' (self)';
        break;
      case 'fault':
        s += ` fault at ${r.fault_addr}`;
        break;
      case 'oom':
        s += ' (oom killer)';
        break;
      case 'kernel':
        s += ' (kernel)';
        break;
      case 'unknown':
        s += ' (sender unknown)';
        break;
      case 'none':
        break;
    }
    parts.push(s);
  }
  parts.push(`uid=${r.uid}`, `cgroup=${r.cgroup || '?'}`);
  if (r.unit) parts.push(`unit=${r.unit}`);
  if (r.watched) parts.push('watched');
  if (r.core_flag) parts.push('core-flag');
  let line = parts.join(' ');
  if (core) line += ` ; core: ${coreText(core)}`;
  return line;
}

function body(r: RaslogRecord, cores: Map<RaslogRecord, CoredumpRecord>): string {
  switch (r.type) {
    case 'process_death':
      return deathLine(r, cores.get(r));
    case 'coredump':
      return `${r.comm}[${r.pid}] ${r.signal ?? 'no signal'} core ${coreText(r)} limit=${r.limit}`;
    case 'shutdown': {
      let s = `${r.action} by ${r.initiator.comm}[${r.initiator.pid}] uid=${r.initiator.uid}`;
      if (r.ancestors.length) s += ` via ${r.ancestors.map(task).join(' < ')}`;
      if (r.command) s += ` command=${quote(r.command)}`;
      return s;
    }
    case 'panic':
      return `in ${task(r.task)} uid=${r.task.uid}: ${quote(r.message)}`;
    case 'dump_button':
      return `cpu ${r.cpu} running ${task(r.task)} uid=${r.task.uid} ip=${r.ip} ${r.user_mode ? 'user' : 'kernel'} mode`;
    case 'module_load':
    case 'module_unload': {
      const how = (['formatted', 'adopted', 'repaired', 'reformatted'] as const).filter((k) => r[k]);
      let s = `version ${r.version || '?'} region ${r.region_addr} size ${human(r.region_size)}`;
      if (how.length) s += ` ${how.join(',')}`;
      if (r.type === 'module_load') s += ` adopted_records=${r.adopted_records} invalid_records=${r.invalid_records}`;
      if (r.flush) s += ' flush';
      return s;
    }
  }
}

/** Pair each death with the coredump of the same process just before it (same boot). */
function matchCores(records: RaslogRecord[]): Map<RaslogRecord, CoredumpRecord> {
  const out = new Map<RaslogRecord, CoredumpRecord>();
  const last = new Map<string, CoredumpRecord>();
  for (const r of records) {
    if (r.type === 'coredump') last.set(`${r.boot}:${r.tgid}`, r);
    else if (r.type === 'process_death') {
      const key = `${r.boot}:${r.tgid}`;
      const c = last.get(key);
      if (c) {
        out.set(r, c);
        last.delete(key);
      }
    }
  }
  return out;
}

export function recordLine(r: RaslogRecord, cores = new Map<RaslogRecord, CoredumpRecord>()): string {
  return `${r.time} seq ${r.seq} boot ${r.boot} ${r.type} ${body(r, cores)}${r.nmi ? ' [nmi]' : ''}`;
}

function laneTable(lanes: LaneReport[]): string[] {
  const head = ['lane', 'slots', 'writes', 'overwritten', 'valid', 'torn', 'corrupt', 'empty'];
  const rows = lanes.map((l) => [l.lane, l.slots, l.writes, l.overwritten, l.valid, l.torn, l.corrupt, l.empty].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [fmt(head), ...rows.map(fmt)].map((l) => '  ' + l);
}

export function renderText(rep: RegionReport): string {
  const g = rep.region;
  const out: string[] = [];
  const src = g.source ? ` of ${g.source}` : '';
  out.push(`region ${g.region_id}  size ${g.size} (${human(g.size)}) at offset 0x${g.offset.toString(16)}${src}`);
  out.push(
    g.header === 'valid'
      ? `header valid, version ${g.version}, formatted ${g.format_time ?? 'unknown'}`
      : `header DAMAGED (${g.header_problems.join('; ')}); slots decoded with the layout derived from the size`,
  );
  const range = g.first_seq === null ? '' : ` (seq ${g.first_seq}..${g.last_seq})`;
  out.push(
    `boot count ${g.boot_count}${g.boot_count_ok ? '' : ' (check word damaged)'}, next seq ${g.seq_next}, records ${g.records}${range}`,
  );
  out.push(...laneTable(rep.lanes));
  if (rep.gaps.length === 0) out.push('seq gaps: none');
  else {
    const missing = rep.gaps.reduce((a, x) => a + x.missing, 0);
    const shown = rep.gaps
      .slice(0, MAX_GAPS)
      .map((x) => (x.missing === 1 ? `${x.after + 1}` : `${x.after + 1}..${x.before - 1}`));
    const more = rep.gaps.length > MAX_GAPS ? `, … ${rep.gaps.length - MAX_GAPS} more` : '';
    out.push(`seq gaps: ${rep.gaps.length} (${missing} seqs missing: ${shown.join(', ')}${more})`);
  }
  if (rep.problems.length) {
    out.push(`problems: ${rep.problems.length}`);
    for (const p of rep.problems.slice(0, MAX_PROBLEMS)) out.push(`  ${p.message}`);
    if (rep.problems.length > MAX_PROBLEMS) out.push(`  … ${rep.problems.length - MAX_PROBLEMS} more (see -o json)`);
  }
  out.push('');
  const cores = matchCores(rep.records);
  for (const r of rep.records) out.push(recordLine(r, cores));
  return out.join('\n') + '\n';
}
