/* What every collector exposes to the daemon and to `raslog status`. */

export type CollectorState = 'starting' | 'ok' | 'warning' | 'error' | 'stopped' | 'disabled';

export interface CollectorStatus {
  name: string;
  state: CollectorState;
  /** One line: what is wrong, or what it last did. */
  message: string;
  [detail: string]: unknown;
}

export interface Logger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  debug?(msg: string, meta?: Record<string, unknown>): void;
}

export const nullLogger: Logger = { info() {}, warn() {}, error() {} };

export interface Collector {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): CollectorStatus;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
