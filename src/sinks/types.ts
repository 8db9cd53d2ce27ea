/* The contract between the outbox and the sinks. */

import type { SinkEvent } from './event.ts';

/** One queued delivery: the event and its idempotency key. */
export interface Delivery {
  key: string;
  event: SinkEvent;
  /** Delivery attempts made before this one. */
  attempts: number;
  /** When it was enqueued (ms since the epoch). */
  enqueued: number;
}

export interface Sink {
  readonly name: string;
  readonly kind: 'syslog' | 'snmp' | 'http' | 'exec';
  /** Deliveries run concurrently by the outbox for this sink (default 1). */
  readonly concurrency: number;
  /** Per-delivery timeout in ms: past it the delivery counts as failed and is retried. */
  readonly timeoutMs: number;
  /**
   * Deliver one event. Resolves when the peer confirmed it (HTTP 2xx, SNMP
   * inform response, exec exit 0, syslog: handed to the daemon — see
   * docs/sinks.md); rejects otherwise. Must honour `signal` (abort on timeout).
   */
  send(d: Delivery, signal: AbortSignal): Promise<void>;
  /**
   * Optional: get ready before the first delivery (called by Outbox.start()),
   * so the first notification does not pay a start-up (the syslog helper).
   */
  start?(): void;
  close(): Promise<void>;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** false: retrying cannot help (the outbox still retries, but logs it as permanent). */
    readonly retryable = true,
  ) {
    super(message);
  }
}
