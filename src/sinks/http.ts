/*
 * HTTP sink: POST the event as JSON to a console endpoint (http or https).
 *
 * Headers: Content-Type: application/json; Idempotency-Key and
 * X-Raslog-Key: <key>; X-Raslog-Signature: sha256=<hex HMAC-SHA256 of the
 * exact body bytes> when hmac_secret is set; Authorization: Bearer <token>
 * when a token is set. HTTPS verifies the server against ca_file/ca_pem (or
 * the system CAs). A 2xx answer confirms the delivery; anything else, a
 * connection error or the timeout is retried by the outbox.
 *
 * Body: {"key", "host", "severity", "message" (the syslog line), "event"}.
 */

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import type { HttpSinkConfig } from './config.ts';
import { formatLine, severityOf } from './event.ts';
import { DeliveryError, type Delivery, type Sink } from './types.ts';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function httpBody(d: Delivery, host = hostname()): string {
  return JSON.stringify({ key: d.key, host, severity: severityOf(d.event), message: formatLine(d.event), event: d.event });
}

function readSecret(inline: string | undefined, file: string | undefined, what: string): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error(`http sink: cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

export class HttpSink implements Sink {
  readonly kind = 'http' as const;
  readonly name: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly token?: string;
  private readonly secret?: string;

  constructor(
    readonly cfg: HttpSinkConfig,
    private readonly host = hostname(),
  ) {
    this.name = cfg.name;
    this.timeoutMs = cfg.timeout_ms;
    this.concurrency = cfg.concurrency ?? 8;
    this.url = new URL(cfg.url);
    this.token = readSecret(cfg.token, cfg.token_file, 'token_file');
    this.secret = readSecret(cfg.hmac_secret, cfg.hmac_secret_file, 'hmac_secret_file');
    if (this.url.protocol === 'https:') {
      const ca = cfg.ca_pem ?? (cfg.ca_file ? readFileSync(cfg.ca_file, 'utf8') : undefined);
      this.agent = new https.Agent({ keepAlive: true, maxSockets: this.concurrency, ca });
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: this.concurrency });
    }
  }

  send(d: Delivery, signal: AbortSignal): Promise<void> {
    const body = httpBody(d, this.host);
    const headers: Record<string, string> = {
      ...this.cfg.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'idempotency-key': d.key,
      'x-raslog-key': d.key,
      'x-raslog-attempt': String(d.attempts + 1),
      'user-agent': 'raslogd',
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.secret) headers['x-raslog-signature'] = signBody(this.secret, body);
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      const req = mod.request(this.url, { method: 'POST', headers, agent: this.agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 512) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, 200).replace(/\s+/g, ' ');
            reject(new DeliveryError(`${this.url.origin}: HTTP ${code}${text ? ` ${text}` : ''}`, code >= 500 || code === 408 || code === 429));
          }
        });
        res.on('error', (e) => reject(new DeliveryError(`${this.url.origin}: ${e.message}`)));
      });
      req.on('error', (e) => reject(new DeliveryError(`${this.url.origin}: ${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim())));
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
