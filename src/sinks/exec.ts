/*
 * exec sink (like AIX errnotify): run the configured command for every
 * matching event, without a shell, with the event in RASLOG_* environment
 * variables (event.ts eventEnv: RASLOG_TYPE, RASLOG_KEY, RASLOG_SEQ,
 * RASLOG_COMM, RASLOG_PID, RASLOG_SIGNAL, RASLOG_SENDER_PID, …,
 * RASLOG_MESSAGE, RASLOG_JSON) and the JSON on stdin. Exit status 0 confirms
 * the delivery; another status, a failure to start or the timeout (the
 * command's process group is killed) is retried.
 *
 * Commands are started by a small helper process (exec-helper.cjs): fork(2)
 * of raslogd itself would block its event loop for milliseconds per command,
 * slowing every other sink during a storm.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecSinkConfig } from './config.ts';
import { eventEnv } from './event.ts';
import { DeliveryError, type Delivery, type Sink } from './types.ts';

export const EXEC_HELPER_PATH = fileURLToPath(new URL('./exec-helper.cjs', import.meta.url));

interface Reply {
  id: number;
  code: number | null;
  signal: string | null;
  stderr: string;
  error: string | null;
}

export class ExecSink implements Sink {
  readonly kind = 'exec' as const;
  readonly name: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  private helper: ChildProcess | null = null;
  private id = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();

  constructor(
    readonly cfg: ExecSinkConfig,
    private readonly host = hostname(),
  ) {
    this.name = cfg.name;
    this.timeoutMs = cfg.timeout_ms;
    this.concurrency = cfg.concurrency ?? 4;
  }

  /** Start the helper ahead of the first delivery (Outbox.start()), as the syslog sink does. */
  start(): void {
    if (!this.helper) this.spawnHelper();
  }

  private spawnHelper(): ChildProcess {
    const h = spawn(process.execPath, [EXEC_HELPER_PATH], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: h.stdout! }).on('line', (line) => {
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        return;
      }
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      w?.(r);
    });
    h.on('exit', () => {
      if (this.helper === h) this.helper = null;
      for (const [id, w] of this.waiting) w({ id, code: null, signal: null, stderr: '', error: 'exec helper exited' });
      this.waiting.clear();
    });
    h.on('error', () => undefined);
    h.stdin!.on('error', () => undefined);
    this.helper = h;
    return h;
  }

  send(d: Delivery, signal: AbortSignal): Promise<void> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, this.cfg.env, eventEnv({ ...d.event, key: d.key }, this.host), { RASLOG_ATTEMPT: String(d.attempts + 1) });
    const [cmd, ...args] = this.cfg.command;
    const h = this.helper ?? this.spawnHelper();
    const id = ++this.id;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(id);
        h.stdin!.write(`${JSON.stringify({ kill: id })}\n`);
        reject(new DeliveryError(`${cmd}: timed out, killed`));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, (r) => {
        signal.removeEventListener('abort', onAbort);
        if (r.code === 0) return resolve();
        const why = r.error ?? (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`);
        reject(new DeliveryError(`${cmd}: ${why}${r.stderr ? `: ${r.stderr.trim().slice(0, 200)}` : ''}`));
      });
      h.stdin!.write(`${JSON.stringify({ id, cmd, args, env, cwd: this.cfg.cwd, input: `${env.RASLOG_JSON}\n` })}\n`);
    });
  }

  async close(): Promise<void> {
    const h = this.helper;
    this.helper = null;
    if (!h || h.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => h.kill('SIGKILL'), 2000);
      h.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
      h.stdin!.end();
    });
  }
}
