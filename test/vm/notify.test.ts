// Important-process notifications in the real kernel's guest (issue 4 §4, §6), in one boot:
// raslogd pushes its [important] list (sleep, segv) into the module itself; a watched segv
// crashes without a core, then a watched sleep (uid 1000) is killed with SIGTERM by another
// uid-1000 process; a real HTTP receiver and a real rsyslogd — both in the guest — get each
// death with the sender's facts, the idempotency key (region id : seq) and the core dump
// outcome. Latency is measured on the guest's clock, from just before the kill was exec'd.
// Figures under TCG (2 vCPUs on a loaded 2-core host): kill → HTTP / syslog 0.2-0.4 s, most of
// it raslogd's 200 ms device poll plus reading, comparing and decoding the 1 MiB region, which
// emulation makes tens of times slower than hardware. The scenario stays quiet while it is
// measured (a grep loop polling the share every 100 ms made the same path 0.5-0.95 s).
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepare, readRegionFromRam, CACHE } from './rig.ts';
import { runNotifyVm, scenarioEvents } from './runs.ts';
import { decodeRegion } from '../../src/region/decode.ts';
import { parseLine } from '../../src/sinks/event.ts';

/**
 * Kill → notification bound asserted for the SIGTERM kill: the goal of issue 4 §4 (1 s).
 */
const LATENCY_BOUND_MS = 1000;
/** The first event after raslogd's start (the segv crash): see the comment at its assertion. */
const FIRST_EVENT_BOUND_MS = 3000;

interface Received {
  at_ms: number;
  headers: Record<string, string>;
  body: string;
  json: { key: string; host: string; severity: string; message: string; event: Record<string, any> };
}

/** "2026-11-22T10:14:12.226245+00:00" → ms since the epoch, keeping the µs. */
function rfc3339Ms(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return NaN;
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

test.serial('a watched process killed in the guest: the HTTP receiver and rsyslogd get it with the sender, the key and the core outcome, within 1 s', async (t) => {
  t.timeout(240_000);
  const art = prepare();
  const share = fs.mkdtempSync(path.join(CACHE, 'share-notify-')); // shared with the guest over 9p
  try {
    const { lines, ms } = await runNotifyVm(art, share, { timeoutMs: 200_000 });
    t.log(`VM run: ${(ms / 1000).toFixed(1)} s`);
    const failed = lines.find((l) => l.startsWith('NOTIFY-FAIL'));
    if (failed) return t.fail(`${failed}\n${lines.slice(-60).join('\n')}`);

    // raslogd itself wrote [important] into the module (the scenario never touches the watch file)
    const watch = lines.filter((l) => l.startsWith('WATCH ')).map((l) => l.slice(6).trim());
    t.deepEqual(watch.sort(), ['comm segv', 'comm sleep']);
    t.regex(fs.readFileSync(path.join(share, 'raslogd.log'), 'utf8'), /watch list: comm sleep, comm segv → \/sys\/kernel\/raslog\/watch/);

    const ev = scenarioEvents(lines);
    const termEv = ev.get('term')!;
    const segv = ev.get('segv')!;
    t.truthy(termEv && segv, 'EV lines');
    const target = Number(termEv.target);
    const killer = Number(termEv.killer);
    t.true(target > 0 && killer > 0 && target !== killer);

    // the records in the guest's RAM: the keys below must name exactly these
    const region = decodeRegion(readRegionFromRam(path.join(share, 'ram.img')));
    const regionId = region.region.region_id;
    const rec = (pid: number) => region.records.find((r: any) => r.type === 'process_death' && r.pid === pid) as any;
    t.truthy(rec(target), 'the SIGTERM death is in the region');
    t.truthy(rec(Number(segv.pid)), 'the SIGSEGV death is in the region');

    // ---- the HTTP receiver
    const received: Received[] = fs
      .readFileSync(path.join(share, 'http.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((r) => ({ ...r, json: JSON.parse(r.body) }));
    const httpDeath = (pid: number) => received.filter((r) => r.json.event.type === 'process_death' && r.json.event.pid === pid);
    const termHttp = httpDeath(target);
    t.true(termHttp.length >= 1, 'the SIGTERM death was POSTed');
    const h = termHttp[0]!;
    const termKey = `${regionId}:${rec(target).seq}`;
    t.like(h.json.event, {
      type: 'process_death',
      comm: 'sleep',
      pid: target,
      uid: 1000,
      signal: 'SIGTERM',
      cause: 'process',
      watched: true,
      region_id: regionId,
      seq: rec(target).seq,
      sender: { comm: 'kill', uid: 1000, pid: killer },
    });
    t.is(h.json.key, termKey, 'idempotency key = region id : seq');
    t.is(h.headers['idempotency-key'], termKey);
    t.is(h.headers['x-raslog-key'], termKey);
    t.is(h.json.severity, 'crit');
    t.is(h.json.host, 'raslog-guest');
    t.true(termHttp.every((r) => r.json.key === termKey), 'a repeat carries the same key');

    // ---- rsyslogd: "<receipt time> <severity> <facility> <tag> <msg>"
    const syslog = fs
      .readFileSync(path.join(share, 'messages'), 'utf8')
      .split('\n')
      .map((l) => /^(\S+) (\S+) (\S+) (\S+) (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ at_ms: rfc3339Ms(m[1]!), severity: m[2]!, facility: m[3]!, tag: m[4]!, msg: m[5]!.trim(), ...parseLine(m[5]!.trim()) }));
    const termLine = syslog.find((l) => l.type === 'process_death' && l.fields.pid === String(target));
    if (!termLine) return t.fail(`no syslog line for pid ${target}:\n${syslog.map((l) => l.msg).join('\n')}`);
    t.is(termLine.severity, 'crit');
    t.is(termLine.facility, 'daemon');
    t.regex(termLine.tag, /^raslogd\[\d+\]:$/);
    t.like(termLine.fields, {
      comm: 'sleep',
      pid: String(target),
      signal: 'SIGTERM',
      sender: `kill[${killer}]`,
      sender_uid: '1000',
      uid: '1000',
      watched: 'yes',
      key: termKey,
    });
    t.is(termLine.msg, h.json.message, 'the HTTP message is the syslog line');

    // ---- the crash: the core dump outcome is in the death's notification
    const segvPid = Number(segv.pid);
    const segvHttp = httpDeath(segvPid)[0];
    if (!segvHttp) return t.fail('the SIGSEGV death was not POSTed');
    t.like(segvHttp.json.event, {
      comm: 'segv',
      signal: 'SIGSEGV',
      cause: 'fault',
      watched: true,
      core: { dumped: false, reason: 'core_limit' },
    });
    t.is(segvHttp.json.key, `${regionId}:${rec(segvPid).seq}`);
    t.regex(segvHttp.json.message, / core=not_dumped\(core_limit\) /);
    const segvLine = syslog.find((l) => l.type === 'process_death' && l.fields.pid === String(segvPid));
    t.like(segvLine, { severity: 'crit', fields: { comm: 'segv', signal: 'SIGSEGV', core: 'not_dumped(core_limit)' } });
    t.false(received.some((r) => r.json.event.type === 'coredump'), 'the coredump record is folded into the death, not sent alone');

    // ---- latency on the guest's clock (CLOCK_REALTIME everywhere): t0 = runas's clock just before
    // it exec'd kill (or segv); the death's own timestamp (the record); when raslogd logged the record
    // stored; receipt by the HTTP receiver and by rsyslogd
    const storedAt = (seq: number) => {
      for (const l of fs.readFileSync(path.join(share, 'raslogd.log'), 'utf8').split('\n')) {
        const m = /^(\S+) info: kmod: stored .*"last_seq":(\d+)/.exec(l); // "… kmod: stored N record(s) {…"last_seq":S}"
        if (m && Number(m[2]) >= seq) return Date.parse(m[1]!);
      }
      return NaN;
    };
    const timeline = (what: string, t0s: string, pid: number, http: number, line: number | undefined) => {
      const t0 = Number(t0s) * 1000;
      const death = Number(BigInt(rec(pid).realtime_ns) / 1000n) / 1000;
      const stored = storedAt(rec(pid).seq);
      const f = { http: http - t0, syslog: (line ?? NaN) - t0, death: death - t0, stored: stored - t0 };
      t.log(`${what}: exec +0, death +${f.death.toFixed(1)} ms, stored +${f.stored.toFixed(0)} ms, ` +
        `HTTP received +${f.http.toFixed(1)} ms, syslog line +${f.syslog.toFixed(1)} ms`);
      // one clock: the death follows the exec, the receipts follow the death (1 ms: µs rounding)
      t.true(f.death >= -1 && f.http >= f.death && f.syslog >= f.death, `${what}: the timestamps are in order`);
      return f;
    };
    const term = timeline('kill → notification (SIGTERM)', termEv.t0, target, h.at_ms, termLine.at_ms);
    const first = timeline('first event after start (SIGSEGV)', segv.t0, segvPid, segvHttp.at_ms, segvLine?.at_ms);
    t.true(term.http < LATENCY_BOUND_MS, `kill → HTTP receipt ${term.http.toFixed(1)} ms < ${LATENCY_BOUND_MS} ms`);
    t.true(term.syslog < LATENCY_BOUND_MS, `kill → syslog line ${term.syslog.toFixed(1)} ms < ${LATENCY_BOUND_MS} ms`);
    // The first event after raslogd's start runs its ingest → enqueue → send code for the first time:
    // V8 interprets and compiles it then, which TCG slows tens of times (a few ms on hardware; here
    // 0.25-0.85 s from store to receipt, against 0.04-0.07 s for the same path warm, and 0.6-1.5 s
    // in all from the crash). So that event gets a looser bound; it still catches a first delivery
    // that has to wait for a helper process to start (> 5 s here before Outbox.start() warmed it).
    t.true(first.http < FIRST_EVENT_BOUND_MS, `first event → HTTP receipt ${first.http.toFixed(1)} ms < ${FIRST_EVENT_BOUND_MS} ms`);
    t.true(first.syslog < FIRST_EVENT_BOUND_MS, `first event → syslog line ${first.syslog.toFixed(1)} ms < ${FIRST_EVENT_BOUND_MS} ms`);
  } finally {
    if (process.env.RASLOG_VM_KEEP) t.log(`share kept: ${share}`);
    else fs.rmSync(share, { recursive: true, force: true });
  }
});
