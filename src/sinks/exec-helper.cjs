#!/usr/bin/env node
/*
 * raslogd's exec helper (spawned by src/sinks/exec.ts): starts the exec
 * sink's commands. fork(2) of a large process blocks its event loop for
 * milliseconds (page tables are copied); done here, in a small process, a
 * storm of commands does not slow raslogd's other sinks.
 *
 * stdin: one JSON request per line: {id, cmd, args, env, cwd, input} to run,
 * or {kill: id} to kill a running command's process group. stdout: one JSON
 * reply per line {id, code, signal, stderr, error}.
 */
'use strict';
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const running = new Map();
const reply = (r) => process.stdout.write(`${JSON.stringify(r)}\n`);

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  if (req.kill !== undefined) {
    const c = running.get(req.kill);
    if (c && c.pid) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
    return;
  }
  let child;
  try {
    child = spawn(req.cmd, req.args, { env: req.env, cwd: req.cwd, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  } catch (e) {
    return reply({ id: req.id, code: null, signal: null, stderr: '', error: e.message });
  }
  running.set(req.id, child);
  let stderr = '';
  let error = null;
  child.stderr.on('data', (c) => {
    if (stderr.length < 300) stderr += c.toString('utf8');
  });
  child.on('error', (e) => (error = e.message));
  child.on('close', (code, signal) => {
    running.delete(req.id);
    reply({ id: req.id, code, signal, stderr, error });
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(req.input ?? '');
});
rl.on('close', () => {
  for (const c of running.values()) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  process.exit(0);
});
