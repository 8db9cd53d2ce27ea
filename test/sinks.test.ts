/*
 * Sinks: formatting, routing, suppression, watch list, MIB, and each sink
 * against its real peer (rsyslogd, snmptrapd, node http/https server, a
 * command), plus the outbox's independence, backoff, status and persistence.
 */

import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import {
  applyWatchList,
  createNotifier,
  eventEnv,
  eventKey,
  flushDue,
  formatLine,
  pairCoredumps,
  parseLine,
  parseSinksConfig,
  Router,
  severityOf,
  suppress,
  emptySuppressState,
  testNotify,
  watchListLines,
  SinksConfigError,
  type SinkEvent,
} from '../src/sinks/index.ts';
import { HttpSink, signBody as signBodyForTest } from '../src/sinks/http.ts';
import { ExecSink } from '../src/sinks/exec.ts';
import { SnmpSink, OBJECT_OID, NOTIFY_OID } from '../src/sinks/snmp.ts';
import { SyslogSink } from '../src/sinks/syslog.ts';
import { ExecSinkSchema, HttpSinkSchema, SnmpSinkSchema, SuppressSchema, SyslogSinkSchema } from '../src/sinks/config.ts';
import {
  deathEvent,
  deathKey,
  devLogPrefix,
  makeTls,
  parseRsyslogLine,
  sleep,
  startHttpPeer,
  startRsyslog,
  startSnmptrapd,
  tempDir,
  waitFor,
} from './helpers/peers.ts';

const never = new AbortController().signal;
const d = (ev: SinkEvent) => ({ key: eventKey(ev), event: ev, attempts: 0, enqueued: Date.now() });

/* ------------------------------------------------------------ pure parts */

test('formatLine: readable and key=value parseable, with the idempotency key', (t) => {
  const ev = deathEvent(5, {
    comm: 'nginx',
    pid: 8877,
    tgid: 8877,
    unit: 'nginx.service',
    watched: true,
    core: { dumped: false, reason: 'core_limit', error: null },
  });
  const line = formatLine(ev);
  t.regex(line, /^process_death comm=nginx pid=8877 signal=SIGKILL sender=kill\[9001\] sender_uid=0 uid=0 unit=nginx.service watched=yes core=not_dumped\(core_limit\) /);
  t.true(line.endsWith(`key=${deathKey(5)}`));
  const p = parseLine(line);
  t.is(p.type, 'process_death');
  t.is(p.fields.comm, 'nginx');
  t.is(p.fields.pid, '8877');
  t.is(p.fields.key, deathKey(5));
  // values with spaces or quotes are quoted and round-trip
  const panic = { type: 'panic', sseq: 9, task: { pid: 1, uid: 0, comm: 'swapper/0' }, message: 'Kernel panic - not syncing: "x" = y', boot: 2, time: 't' };
  const pl = parseLine(formatLine(panic));
  t.is(pl.fields.message, 'Kernel panic - not syncing: "x" = y');
  t.is(pl.fields.key, 'store:9');
});

test('severity by event', (t) => {
  t.is(severityOf(deathEvent(1, { watched: true })), 'crit');
  t.is(severityOf(deathEvent(1)), 'notice');
  t.is(severityOf(deathEvent(1, { cause: 'none', signal: null, exit_code: 0 })), 'info');
  for (const type of ['unexpected_shutdown', 'dump_button', 'panic']) t.is(severityOf({ type }), 'alert');
  t.is(severityOf({ type: 'records_lost' }), 'warning');
  t.is(severityOf({ type: 'shutdown' }), 'notice');
  t.is(severityOf({ type: 'module_load' }), 'info');
  t.is(severityOf({ type: 'netstats' }), 'debug');
});

test('idempotency keys', (t) => {
  t.is(eventKey(deathEvent(7)), deathKey(7));
  t.is(eventKey({ type: 'unexpected_shutdown', sseq: 42 }), 'store:42');
  t.is(eventKey({ type: 'summary', key: 'summary:x' }), 'summary:x');
});

test('a coredump next to its death is folded into the death message', (t) => {
  const death = deathEvent(1, { seq: 50, pid: 10, tgid: 10, signal: 'SIGSEGV', cause: 'fault', sender: null });
  const core = { type: 'coredump', sseq: 2, seq: 51, region_id: death.region_id, pid: 10, tgid: 10, comm: 'proc1', dumped: false, reason: 'core_limit', error: null, limit: 0, written: 0, target: 'core' };
  const other = { type: 'coredump', sseq: 3, seq: 60, region_id: death.region_id, pid: 99, tgid: 99, comm: 'x', dumped: true, reason: 'dumped', error: null };
  const out = pairCoredumps([death, core, other]);
  t.is(out.length, 2);
  t.regex(formatLine(out[0]!), /core=not_dumped\(core_limit\)/);
  t.is(out[1]!.pid, 99);
});

test('config is validated with readable errors', (t) => {
  t.notThrows(() => parseSinksConfig({}));
  const e = t.throws(() => parseSinksConfig({ sinks: [{ name: 'x', kind: 'http', url: 'ftp://a' }] }), { instanceOf: SinksConfigError });
  t.regex(e!.message, /http/);
  t.throws(() => parseSinksConfig({ sinks: [{ name: 'a', kind: 'exec', command: ['true'] }], routes: [{ sinks: ['b'] }] }), { message: /routes\[0\].*"b"/ });
  t.throws(() => parseSinksConfig({ sinks: [{ name: 'a', kind: 'exec', command: ['true'] }, { name: 'a', kind: 'exec', command: ['true'] }] }), { message: /twice/ });
  t.throws(() => parseSinksConfig({ sinks: [{ name: 'a', kind: 'syslog', facility: 'local9' }] }));
  const c = parseSinksConfig({ sinks: [{ name: 's', kind: 'snmp', managers: [{ host: '127.0.0.1' }] }] });
  const s = c.sinks[0]!;
  t.is(s.kind === 'snmp' && s.mode, 'inform');
});

test('routing by type, severity and watch list', (t) => {
  const inst = new Map([
    ['pager', ['pager']],
    ['log', ['log']],
    ['snmp', ['snmp/a:162', 'snmp/b:162']],
  ]);
  const r = new Router(
    [
      { sinks: ['log'], final: false },
      { sinks: ['pager'], watched: true, types: ['process_death', 'summary'], final: false },
      { sinks: ['snmp'], min_severity: 'alert', final: true },
      { sinks: ['pager'], types: ['shutdown'], final: false },
    ],
    inst,
    { comm: ['postgres'], exe: ['/usr/sbin/sshd'], unit: ['nginx'], cgroup: [] },
  );
  t.deepEqual(r.route(deathEvent(1)), ['log']);
  t.deepEqual(r.route(deathEvent(1, { watched: true })), ['log', 'pager']);
  t.deepEqual(r.route(deathEvent(1, { comm: 'postgres' })), ['log', 'pager']);
  t.deepEqual(r.route(deathEvent(1, { comm: 'sshd' })), ['log', 'pager']);
  t.deepEqual(r.route(deathEvent(1, { cgroup: '/system.slice/nginx.service', unit: 'nginx.service' })), ['log', 'pager']);
  t.deepEqual(r.route({ type: 'panic' }), ['log', 'snmp/a:162', 'snmp/b:162']);
  // final: the shutdown rule after the final one is not reached for alerts, but is for shutdown (notice)
  t.deepEqual(r.route({ type: 'shutdown' }), ['log', 'pager']);
});

test('suppression: a restart loop is summarised, saying how many were folded', (t) => {
  const cfg = SuppressSchema.parse({ window_s: 300, flap_threshold: 3, storm_threshold: 20 });
  const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
  const evs = Array.from({ length: 37 }, (_, i) =>
    deathEvent(i + 1, { watched: true, unit: 'nginx.service', comm: 'nginx', time_ns: (BigInt(t0 + i * 8000) * 1_000_000n).toString() }),
  );
  let { state, out } = suppress(emptySuppressState(), evs, t0 + 37 * 8000, cfg);
  t.is(out.length, 3, 'the first three pass');
  t.deepEqual(out.map((e) => e.sseq), [1, 2, 3]);
  // JSON round trip of the state (it is persisted)
  state = JSON.parse(JSON.stringify(state));
  t.is(flushDue(state, t0 + 100_000, cfg).out.length, 0, 'window still open');
  ({ state, out } = flushDue(state, t0 + 301_000, cfg));
  t.is(out.length, 1);
  const s = out[0]!;
  t.is(s.type, 'summary');
  t.is(s.count, 37);
  t.is(s.folded, 34);
  t.is(s.text, 'nginx.service died 37 times in 5 min (34 folded)');
  t.is(severityOf(s), 'crit');
  t.is(eventKey(s), `summary:flap:nginx.service:${deathKey(1)}`);
  t.regex(formatLine(s), /^summary: nginx.service died 37 times in 5 min \(34 folded\) kind=flap .*folded=34/);
  t.deepEqual(state.groups, {});
});

test('suppression: a storm of unwatched deaths is aggregated; other events pass', (t) => {
  const cfg = SuppressSchema.parse({ window_s: 60, flap_threshold: 3, storm_threshold: 5 });
  const t0 = Date.UTC(2026, 0, 1);
  const evs: SinkEvent[] = Array.from({ length: 100 }, (_, i) =>
    deathEvent(i + 1, { comm: i % 4 ? 'a.out' : 'python3', time_ns: (BigInt(t0 + i * 10) * 1_000_000n).toString() }),
  );
  evs.splice(50, 0, { type: 'panic', sseq: 1000 });
  // an old storm (replayed after a reboot) is summarised in the same call
  const { state, out } = suppress(emptySuppressState(), evs, t0 + 3_600_000, cfg);
  t.is(out.filter((e) => e.type === 'process_death').length, 5);
  t.is(out.filter((e) => e.type === 'panic').length, 1);
  const sum = out.filter((e) => e.type === 'summary');
  t.is(sum.length, 1);
  t.is(sum[0]!.folded, 95);
  t.regex(String(sum[0]!.text), /^100 unwatched processes died in 1 s \(95 folded; a\.outx72, python3x23\)$/);
  t.deepEqual(state.groups, {});
  // disabled: everything passes
  t.is(suppress(emptySuppressState(), evs, t0, { ...cfg, enabled: false }).out.length, 101);
});

test('important processes become watch-list lines and are written', (t) => {
  const imp = { comm: ['postgres'], exe: ['/usr/sbin/sshd', '/opt/app/bin/a-very-long-executable-name'], unit: ['nginx.service', 'crond'], cgroup: ['/machine.slice/'] };
  const lines = watchListLines(imp);
  t.deepEqual(lines, [
    'clear',
    'comm postgres',
    'comm sshd',
    'comm a-very-long-exe',
    'cgroup /system.slice/nginx.service',
    'cgroup /system.slice/crond.service',
    'cgroup /machine.slice',
  ]);
  const f = join(tempDir(), 'watch');
  writeFileSync(f, '');
  t.deepEqual(applyWatchList(imp, f), lines);
  t.is(readFileSync(f, 'utf8'), lines.map((l) => `${l}\n`).join(''));
  t.throws(() => watchListLines({ comm: ['bad name'], exe: [], unit: [], cgroup: [] }));
});

test('exec environment carries the fields (errnotify style)', (t) => {
  const env = eventEnv(deathEvent(3, { comm: 'nginx' }), 'h1');
  t.is(env.RASLOG_TYPE, 'process_death');
  t.is(env.RASLOG_SEQ, '1003');
  t.is(env.RASLOG_COMM, 'nginx');
  t.is(env.RASLOG_SIGNAL, 'SIGKILL');
  t.is(env.RASLOG_SENDER_PID, '9001');
  t.is(env.RASLOG_SENDER_COMM, 'kill');
  t.is(env.RASLOG_KEY, deathKey(3));
  t.is(env.RASLOG_HOST, 'h1');
  t.is(env.RASLOG_SEVERITY, 'notice');
  t.deepEqual(JSON.parse(env.RASLOG_JSON!).seq, 1003);
});

/* ------------------------------------------------------------------ MIB */

const STUB_SMI = `SNMPv2-SMI DEFINITIONS ::= BEGIN
org OBJECT IDENTIFIER ::= { iso 3 }
dod OBJECT IDENTIFIER ::= { org 6 }
internet OBJECT IDENTIFIER ::= { dod 1 }
private OBJECT IDENTIFIER ::= { internet 4 }
enterprises OBJECT IDENTIFIER ::= { private 1 }
Integer32 ::= INTEGER (-2147483648..2147483647)
Gauge32 ::= [APPLICATION 2] IMPLICIT INTEGER (0..4294967295)
Unsigned32 ::= [APPLICATION 2] IMPLICIT INTEGER (0..4294967295)
TimeTicks ::= [APPLICATION 3] IMPLICIT INTEGER (0..4294967295)
END
`;
const STUB_TC = `SNMPv2-TC DEFINITIONS ::= BEGIN
TruthValue ::= TEXTUAL-CONVENTION
    STATUS current
    DESCRIPTION "Boolean."
    SYNTAX INTEGER { true(1), false(2) }
END
`;
const STUB_CONF = `SNMPv2-CONF DEFINITIONS ::= BEGIN
END
`;

/**
 * Directories for snmptranslate: the system's IETF MIBs when installed
 * (snmp-mibs-downloader), else minimal stand-ins for the three SMI modules
 * RASLOG-MIB imports (Debian's free `snmp` package does not ship them).
 */
function mibDirs(): string {
  const sys = ['/usr/share/snmp/mibs/ietf', '/usr/share/snmp/mibs', '/var/lib/mibs/ietf'].filter((p) => existsSync(join(p, 'SNMPv2-SMI')) || existsSync(join(p, 'SNMPv2-SMI.txt')));
  if (sys.length) return `${sys.join(':')}:etc/mib`;
  const dir = join(tempDir(), 'mibs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'SNMPv2-SMI.txt'), STUB_SMI);
  writeFileSync(join(dir, 'SNMPv2-TC.txt'), STUB_TC);
  writeFileSync(join(dir, 'SNMPv2-CONF.txt'), STUB_CONF);
  return `${dir}:etc/mib`;
}

test('RASLOG-MIB parses without errors and matches the OIDs the sink sends', (t) => {
  const dirs = mibDirs();
  const run = (args: string[]) => spawnSync('snmptranslate', ['-M', dirs, '-m', 'RASLOG-MIB', '-PW', ...args], { encoding: 'utf8', env: { ...process.env, MIBS: '' } });
  const tree = run(['-Tp', '-IR', 'raslogMIB']);
  t.is(tree.status, 0, tree.stderr);
  t.is(tree.stderr.trim(), '', 'snmptranslate printed warnings or errors');
  t.regex(tree.stdout, /raslogProcessDeath\(1\)/);
  t.regex(tree.stdout, /raslogSummaryFolded\(26\)/);
  // every notification and object the sink uses has the OID it is sent with
  const expect: [string, string][] = [
    ['raslogProcessDeath', `${NOTIFY_OID}.1`],
    ['raslogEventSummary', `${NOTIFY_OID}.8`],
    ['raslogEvent', `${NOTIFY_OID}.10`],
    ['raslogEventKey', `${OBJECT_OID}.1`],
    ['raslogEventText', `${OBJECT_OID}.7`],
    ['raslogSenderPid', `${OBJECT_OID}.17`],
    ['raslogSummaryFolded', `${OBJECT_OID}.26`],
    ['raslogSenderUid', `${OBJECT_OID}.27`],
  ];
  for (const [name, oid] of expect) {
    const r = run(['-On', `RASLOG-MIB::${name}`]);
    t.is(r.stdout.trim(), `.${oid}`, `${name}: ${r.stderr}`);
  }
  // the notification's OBJECTS are the varbinds the sink sends, in order
  const full = run(['-Td', 'RASLOG-MIB::raslogProcessDeath']);
  t.regex(full.stdout.replace(/\s+/g, ' '), /OBJECTS \{ raslogEventKey, raslogEventType, raslogEventSeverity, raslogEventTime, raslogEventBoot, raslogEventHost, raslogEventText, raslogProcComm,/);
});

/* ------------------------------------------------------------- syslog */

test('syslog sink: syslog(3) through a real rsyslogd, ident, facility and severity by event', async (t) => {
  const r = await startRsyslog();
  const cfg = SyslogSinkSchema.parse({ name: 'syslog', kind: 'syslog', ident: 'raslogd-test', facility: 'local3' });
  const sink = new SyslogSink(cfg, { helperPrefix: devLogPrefix(r.dir, r.sock) });
  try {
    const evs: SinkEvent[] = [
      deathEvent(1, { watched: true, comm: 'nginx', pid: 8877, tgid: 8877, unit: 'nginx.service', core: { dumped: false, reason: 'core_limit', error: null } }),
      deathEvent(2),
      { type: 'unexpected_shutdown', sseq: 3, boot: 4, time: '2026-01-01T00:00:00.000000Z' },
      { type: 'dump_button', sseq: 4, region_id: 'ab', seq: 9, cpu: 1, task: { pid: 0, tgid: 0, uid: 0, comm: 'swapper/1' }, ip: '0xffff', user_mode: false },
      { type: 'module_load', sseq: 5, region_id: 'ab', seq: 10, version: '0.1.0' },
    ];
    for (const ev of evs) await sink.send(d(ev), never);
    const lines = await waitFor(() => {
      const l = r.lines().filter((x) => x.includes('raslogd-test'));
      return l.length >= 5 ? l : null;
    }, 10_000, 'five lines in rsyslogd');
    const parsed = lines.map(parseRsyslogLine);
    t.deepEqual(parsed.map((p) => p.severity), ['crit', 'notice', 'alert', 'alert', 'info']);
    t.true(parsed.every((p) => p.facility === 'local3'));
    t.true(parsed.every((p) => /^raslogd-test\[\d+\]:$/.test(p.tag)));
    t.regex(parsed[0]!.msg, /^process_death comm=nginx pid=8877 signal=SIGKILL sender=kill\[9001\] sender_uid=0 uid=0 unit=nginx.service watched=yes core=not_dumped\(core_limit\) .*key=0123456789abcdef0123456789abcdef:1001$/);
    for (const [i, p] of parsed.entries()) t.is(parseLine(p.msg).fields.key, eventKey(evs[i]!));
    // the other transports reach the same daemon
    const tcp = new SyslogSink(SyslogSinkSchema.parse({ name: 't', kind: 'syslog', transport: 'tcp', port: r.tcpPort, ident: 'raslogd-tcp', facility: 'local4' }));
    const udp = new SyslogSink(SyslogSinkSchema.parse({ name: 'u', kind: 'syslog', transport: 'udp', port: r.udpPort, ident: 'raslogd-udp' }));
    await tcp.send(d(deathEvent(20, { watched: true })), never);
    await udp.send(d(deathEvent(21)), never);
    const more = await waitFor(() => {
      const l = r.lines().filter((x) => /raslogd-(tcp|udp)/.test(x));
      return l.length >= 2 ? l : null;
    }, 10_000, 'tcp and udp lines');
    const tl = parseRsyslogLine(more.find((l) => l.includes('raslogd-tcp'))!);
    t.is(tl.severity, 'crit');
    t.is(tl.facility, 'local4');
    t.is(parseLine(tl.msg).fields.key, deathKey(20));
    t.true(more.some((l) => l.includes(`key=${deathKey(21)}`)));
    await tcp.close();
    await udp.close();
    // no daemon: a failure (to retry), not a silent drop
    await r.stop();
    await t.throwsAsync(sink.send(d(deathEvent(30)), never), { message: /no syslog daemon/ });
  } finally {
    await sink.close();
    await r.stop();
  }
});

/* --------------------------------------------------------------- SNMP */

test('snmp sink: informs and traps reach a real snmptrapd with the MIB varbinds', async (t) => {
  const trapd = await startSnmptrapd();
  const mk = (mode: 'inform' | 'trap', port = trapd.port) => {
    const cfg = SnmpSinkSchema.parse({ name: `snmp-${mode}`, kind: 'snmp', mode, managers: [{ host: '127.0.0.1', port }], timeout_ms: 1500 });
    return new SnmpSink(cfg, cfg.managers[0]!, cfg.name, 'testhost');
  };
  const inform = mk('inform');
  const trap = mk('trap');
  try {
    const ev = deathEvent(1, { watched: true, comm: 'nginx', pid: 8877, tgid: 8877, unit: 'nginx.service', core: { dumped: false, reason: 'core_limit', error: null }, sender: { pid: 9001, tgid: 9001, uid: 1000, comm: 'kill' } });
    await inform.send(d(ev), never);
    await trap.send(d({ type: 'panic', sseq: 2, boot: 3, time: 'T', task: { pid: 1, uid: 0, comm: 'init' }, message: 'Kernel panic - not syncing: test' }), never);
    const got = await waitFor(() => (trapd.received().length >= 2 ? trapd.received() : null), 10_000, 'two notifications');
    const vb = (n: number, sub: number) => got[n]!.find((v) => v.oid === `.${OBJECT_OID}.${sub}.0`)?.value;
    t.is(got[0]![1]!.value, `.${NOTIFY_OID}.1`, 'snmpTrapOID = raslogProcessDeath');
    t.is(vb(0, 1), deathKey(1));
    t.is(vb(0, 2), 'process_death');
    t.is(vb(0, 3), '2', 'severity crit');
    t.is(vb(0, 6), 'testhost');
    t.regex(vb(0, 7)!, /^process_death comm=nginx pid=8877 .*key=/);
    t.is(vb(0, 8), 'nginx');
    t.is(vb(0, 9), '8877');
    t.is(vb(0, 11), 'nginx.service');
    t.is(vb(0, 12), 'SIGKILL');
    t.is(vb(0, 15), '1', 'watched: TruthValue true');
    t.is(vb(0, 16), 'kill');
    t.is(vb(0, 17), '9001');
    t.is(vb(0, 18), 'not_dumped(core_limit)');
    t.is(vb(0, 27), '1000', 'sender uid');
    t.is(got[1]![1]!.value, `.${NOTIFY_OID}.4`, 'raslogPanic');
    t.is(vb(1, 22), 'Kernel panic - not syncing: test');
    t.is(vb(1, 3), '1', 'severity alert');
    // nobody listening: the inform fails (to be retried); a trap cannot tell
    await trapd.stop();
    const lost = mk('inform');
    await t.throwsAsync(lost.send(d(ev), AbortSignal.timeout(5000)), { message: /timed out/i });
    await lost.close();
    await t.notThrowsAsync(trap.send(d(ev), never), 'a trap to nobody "succeeds" (why informs are the default)');
  } finally {
    await inform.close();
    await trap.close();
    await trapd.stop();
  }
});

/* --------------------------------------------------------------- HTTP */

test('http sink: JSON POST with idempotency key, bearer token and HMAC signature', async (t) => {
  const peer = await startHttpPeer();
  const sink = new HttpSink(HttpSinkSchema.parse({ name: 'console', kind: 'http', url: peer.url, token: 's3cret-token', hmac_secret: 'k3y', headers: { 'x-site': 'dc1' } }), 'h1');
  try {
    const ev = deathEvent(4, { watched: true });
    await sink.send(d(ev), never);
    t.is(peer.accepted.length, 1);
    const { req, json } = peer.accepted[0]!;
    t.is(req.method, 'POST');
    t.is(req.headers['content-type'], 'application/json');
    t.is(req.headers['idempotency-key'], deathKey(4));
    t.is(req.headers['x-raslog-key'], deathKey(4));
    t.is(req.headers.authorization, 'Bearer s3cret-token');
    t.is(req.headers['x-site'], 'dc1');
    t.is(req.headers['x-raslog-signature'], signBodyForTest('k3y', req.body));
    t.not(req.headers['x-raslog-signature'], signBodyForTest('other', req.body));
    t.is(json.key, deathKey(4));
    t.is(json.host, 'h1');
    t.is(json.severity, 'crit');
    t.deepEqual(json.event, JSON.parse(JSON.stringify(ev)));
    // non-2xx is an error (retried by the outbox)
    peer.mode.status = 503;
    await t.throwsAsync(sink.send(d(ev), never), { message: /HTTP 503/ });
    // a hanging server: the outbox's timeout aborts the request
    peer.mode = { status: 200, hang: true, delayMs: 0 };
    await t.throwsAsync(sink.send(d(ev), AbortSignal.timeout(300)));
  } finally {
    await sink.close();
    await peer.stop();
  }
});

test('http sink: HTTPS verified against the configured CA', async (t) => {
  const tls = makeTls();
  const peer = await startHttpPeer(tls);
  const good = new HttpSink(HttpSinkSchema.parse({ name: 'c', kind: 'http', url: peer.url, ca_file: tls.caFile }));
  const noCa = new HttpSink(HttpSinkSchema.parse({ name: 'c2', kind: 'http', url: peer.url }));
  try {
    await good.send(d(deathEvent(1)), never);
    t.is(peer.accepted.length, 1);
    await t.throwsAsync(noCa.send(d(deathEvent(2)), never), { message: /self[- ]signed|certificate/i });
    t.is(peer.accepted.length, 1);
  } finally {
    await good.close();
    await noCa.close();
    await peer.stop();
  }
});

/* --------------------------------------------------------------- exec */

test('exec sink: command with RASLOG_* environment, exit status and timeout', async (t) => {
  const dir = tempDir();
  const out = join(dir, 'out');
  const script = join(dir, 'notify.sh');
  writeFileSync(script, `#!/bin/sh\nprintf '%s %s %s %s %s\\n' "$RASLOG_TYPE" "$RASLOG_SEQ" "$RASLOG_COMM" "$RASLOG_SENDER_PID" "$RASLOG_KEY" >> ${out}\ncat > ${out}.json\n[ -e ${dir}/fail ] && exit 3\n[ -e ${dir}/hang ] && sleep 30\nexit 0\n`, { mode: 0o755 });
  const sink = new ExecSink(ExecSinkSchema.parse({ name: 'cmd', kind: 'exec', command: [script] }));
  await sink.send(d(deathEvent(2, { comm: 'nginx' })), never);
  t.is(readFileSync(out, 'utf8'), `process_death 1002 nginx 9001 ${deathKey(2)}\n`);
  t.is(JSON.parse(readFileSync(`${out}.json`, 'utf8')).comm, 'nginx');
  writeFileSync(join(dir, 'fail'), '');
  await t.throwsAsync(sink.send(d(deathEvent(3)), never), { message: /exit 3/ });
  execFileSync('rm', [join(dir, 'fail')]);
  writeFileSync(join(dir, 'hang'), '');
  const t0 = Date.now();
  await t.throwsAsync(sink.send(d(deathEvent(4)), AbortSignal.timeout(300)), { message: /timed out/ });
  t.true(Date.now() - t0 < 2000);
  // the timed-out command's process group was killed: a later delivery works
  execFileSync('rm', [join(dir, 'hang')]);
  await sink.send(d(deathEvent(5)), never);
  t.regex(readFileSync(out, 'utf8'), new RegExp(`process_death 1005 proc5 9001 ${deathKey(5)}\n$`));
  await sink.close();
});

/* ------------------------------------------------------------- outbox */

async function openDb(dir = tempDir()) {
  const db = new Level<string, string>(join(dir, 'outbox'));
  await db.open();
  return db;
}

test('outbox: a hanging sink does not delay the others; it is retried with backoff', async (t) => {
  const fast = await startHttpPeer();
  const slow = await startHttpPeer();
  slow.mode.hang = true;
  const dir = tempDir();
  const out = join(dir, 'exec.out');
  const db = await openDb(dir);
  const n = await createNotifier(db, {
    sinks: [
      { name: 'fast', kind: 'http', url: fast.url },
      { name: 'slow', kind: 'http', url: slow.url, timeout_ms: 400 },
      { name: 'cmd', kind: 'exec', command: ['sh', '-c', `echo "$RASLOG_KEY" >> ${out}`] },
    ],
    retry: { min_ms: 100, max_ms: 400 },
    suppress: { enabled: false },
  });
  const failures: number[] = [];
  n.outbox.on('failed', (f: { sink: string }) => f.sink === 'slow' && failures.push(Date.now()));
  n.outbox.start();
  try {
    const t0 = Date.now();
    await n.outbox.enqueue(Array.from({ length: 20 }, (_, i) => deathEvent(i + 1)));
    await waitFor(() => fast.accepted.length >= 20, 5000, 'fast sink');
    const fastMs = Date.now() - t0;
    t.true(fastMs < 1500, `fast sink took ${fastMs} ms`);
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= 20, 5000, 'exec sink');
    t.is(n.outbox.pending('fast'), 0);
    t.is(n.outbox.pending('slow'), 20);
    await waitFor(() => failures.length >= 3 * 8, 10_000, 'three failed rounds of the slow sink');
    const st = await n.outbox.status();
    const s = st.find((x) => x.sink === 'slow')!;
    t.is(s.backlog, 20);
    t.regex(s.last_error ?? '', /timed out after 400 ms/);
    t.is(s.last_success, null);
    const f = st.find((x) => x.sink === 'fast')!;
    t.is(f.backlog, 0);
    t.is(f.delivered, 20);
    t.truthy(f.last_success);
    // recovers
    slow.mode.hang = false;
    await n.outbox.drained(10_000);
    const keys = new Set(slow.accepted.map((a) => a.json.key));
    t.is(keys.size, 20);
  } finally {
    await n.close();
    await db.close();
    await fast.stop();
    await slow.stop();
  }
});

test('outbox: queued deliveries and status survive a restart; the watermark skips re-enqueued events', async (t) => {
  const peer = await startHttpPeer();
  peer.mode.status = 500;
  const dir = tempDir();
  const cfg = { sinks: [{ name: 'console', kind: 'http', url: peer.url }], retry: { min_ms: 50, max_ms: 100 }, suppress: { enabled: false } };
  let db = await openDb(dir);
  let n = await createNotifier(db, cfg);
  n.outbox.start();
  await n.outbox.enqueue(Array.from({ length: 5 }, (_, i) => deathEvent(i + 1)));
  await waitFor(() => peer.requests.length >= 5, 5000, 'attempts');
  t.is(n.outbox.afterSseq(), 5);
  await n.close();
  await db.close();
  peer.mode.status = 200;
  db = await openDb(dir);
  n = await createNotifier(db, cfg);
  t.is(n.outbox.pending('console'), 5);
  t.is(n.outbox.afterSseq(), 5);
  const before = (await n.outbox.status())[0]!;
  t.regex(before.last_error ?? '', /HTTP 500/);
  // the daemon re-enqueues what it is unsure about: already-queued sseqs are skipped
  t.is(await n.outbox.enqueue(Array.from({ length: 6 }, (_, i) => deathEvent(i + 1))), 1);
  n.outbox.start();
  await n.outbox.drained(10_000);
  t.deepEqual([...new Set(peer.accepted.map((a) => a.json.key))].sort(), [1, 2, 3, 4, 5, 6].map(deathKey).sort());
  await n.close();
  await db.close();
  await peer.stop();
});

test('testNotify: per-sink success or error', async (t) => {
  const peer = await startHttpPeer();
  const trapd = await startSnmptrapd();
  const db = await openDb();
  const n = await createNotifier(db, {
    sinks: [
      { name: 'console', kind: 'http', url: peer.url },
      { name: 'nms', kind: 'snmp', managers: [{ host: '127.0.0.1', port: trapd.port }] },
      { name: 'dead', kind: 'http', url: 'http://127.0.0.1:1/x', timeout_ms: 1000 },
      { name: 'cmd', kind: 'exec', command: ['sh', '-c', 'test "$RASLOG_TYPE" = test'] },
    ],
  });
  try {
    const all = await testNotify(n.sinks);
    const by = Object.fromEntries(all.map((r) => [r.sink, r]));
    t.true(by.console!.ok);
    t.true(by.nms!.ok);
    t.true(by.cmd!.ok);
    t.false(by.dead!.ok);
    t.regex(by.dead!.error!, /ECONNREFUSED/);
    t.is(peer.accepted[0]!.json.event && (peer.accepted[0]!.json.event as { type: string }).type, 'test');
    const one = await testNotify(n.sinks, 'console');
    t.is(one.length, 1);
    await t.throwsAsync(testNotify(n.sinks, 'nope'), { message: /no sink named "nope"/ });
    await waitFor(() => trapd.received().length >= 1, 5000, 'test trap');
    t.is(trapd.received()[0]![1]!.value, `.${NOTIFY_OID}.9`);
  } finally {
    await n.close();
    await db.close();
    await peer.stop();
    await trapd.stop();
  }
});

test('outbox: suppression folds a restart loop before the outbox, and the summary is delivered', async (t) => {
  const peer = await startHttpPeer();
  const db = await openDb();
  const n = await createNotifier(db, {
    sinks: [{ name: 'console', kind: 'http', url: peer.url }],
    suppress: { window_s: 1, flap_threshold: 2 },
  });
  n.outbox.start();
  try {
    const now = Date.now();
    await n.outbox.enqueue(
      Array.from({ length: 10 }, (_, i) => deathEvent(i + 1, { watched: true, unit: 'nginx.service', time_ns: (BigInt(now + i) * 1_000_000n).toString() })),
    );
    await waitFor(() => peer.accepted.some((a) => (a.json.event as SinkEvent).type === 'summary'), 5000, 'summary');
    await n.outbox.drained(5000);
    const types = peer.accepted.map((a) => (a.json.event as SinkEvent).type);
    t.deepEqual(types, ['process_death', 'process_death', 'summary']);
    const s = peer.accepted[2]!.json;
    t.regex(String(s.message), /^summary: nginx.service died 10 times in 0 s \(8 folded\)/);
  } finally {
    await n.close();
    await db.close();
    await peer.stop();
  }
});

test('peers are real: the test rsyslogd is separate from the host /dev/log', async (t) => {
  // guards the syslog test design: the sink's helper must see the test socket, not the host's /dev/log
  const r = await startRsyslog();
  try {
    const prefix = devLogPrefix(r.dir, r.sock);
    const res = spawnSync(prefix[0]!, [...prefix.slice(1), 'readlink', '/dev/log'], { encoding: 'utf8' });
    t.is(res.status, 0, res.stderr);
    t.is(res.stdout.trim(), r.sock);
  } finally {
    await r.stop();
  }
  await sleep(1);
});
