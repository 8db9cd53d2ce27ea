#!/usr/bin/env node
/*
 * raslogd's syslog(3) helper (spawned by src/sinks/syslog.ts).
 *
 * syslog(3) is a blocking call: when the syslog daemon stops reading
 * (SIGSTOPped rsyslogd, stalled journald) it blocks the caller. It runs here,
 * in a child process, so that a stuck syslog daemon cannot block raslogd's
 * event loop: the parent times out the request and replaces this process.
 *
 * Protocol: argv = ident facility probe_path. stdin: one JSON request per
 * line {id, level, msg}; stdout: one JSON reply per line {id, ok, error?}.
 *
 * Before each syslog(3) call the socket at probe_path (/dev/log) is probed
 * with a stream connect(2): a live datagram listener answers EPROTOTYPE; a
 * missing socket ENOENT, a dead one ECONNREFUSED. After the call, the message
 * is confirmed only once a later probe, at least confirm_ms after the call,
 * finds the listener still alive: a daemon that was shutting down (socket
 * still bound, no longer read) or died right after the hand-off fails the
 * message, and the outbox sends it again (same key). syslog(3) itself drops
 * silently when nobody listens. This is not an acknowledgement: see
 * docs/sinks.md.
 */
'use strict';
const net = require('node:net');
const readline = require('node:readline');
const posix = require('posix');

const [ident, facility, probePath, confirmArg] = process.argv.slice(2);
const confirmMs = Math.max(0, Number(confirmArg ?? 100) || 0);
posix.openlog(ident, { pid: true, ndelay: false }, facility);

function probe() {
  return new Promise((resolve) => {
    const s = net.connect({ path: probePath });
    s.on('connect', () => {
      s.destroy();
      resolve(null); // a stream listener: not a syslog datagram socket, but alive
    });
    s.on('error', (e) => resolve(e.code === 'EPROTOTYPE' ? null : `${probePath}: ${e.code || e.message} (no syslog daemon listening)`));
  });
}

const reply = (r) => process.stdout.write(`${JSON.stringify(r)}\n`);

/* messages sent, waiting for the confirming probe: {id, at} */
let unconfirmed = [];
let timer = null;
function schedule() {
  if (timer || !unconfirmed.length) return;
  const wait = Math.max(0, unconfirmed[0].at + confirmMs - Date.now());
  timer = setTimeout(confirm, wait);
}
async function confirm() {
  const start = Date.now();
  const error = await probe();
  timer = null;
  if (error) {
    for (const u of unconfirmed) reply({ id: u.id, ok: false, error: `${error} after sending: delivery unknown` });
    unconfirmed = [];
  } else {
    const due = unconfirmed.filter((u) => u.at <= start - confirmMs);
    unconfirmed = unconfirmed.filter((u) => u.at > start - confirmMs);
    for (const u of due) reply({ id: u.id, ok: true });
  }
  schedule();
}

let chain = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  chain = chain.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      return;
    }
    const error = await probe();
    if (error) return reply({ id: req.id, ok: false, error });
    posix.syslog(req.level, req.msg);
    unconfirmed.push({ id: req.id, at: Date.now() });
    schedule();
  });
});
rl.on('close', () => {
  chain.then(async () => {
    while (unconfirmed.length) await new Promise((r) => setTimeout(r, 10));
    posix.closelog();
    process.exit(0);
  });
});
