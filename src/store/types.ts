/* Shapes of what the store holds. Field names are the JSON interface of `raslog show -o json`. */

import { RECORD_TYPES } from '../region/types.ts';

/** Event types the store knows. Region record types plus those made by collectors and the store. */
export const EVENT_TYPES = [
  ...RECORD_TYPES,
  'boot',
  'unexpected_shutdown',
  'records_lost',
  'pstore',
  'netstats',
  'checkpoint',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type EventSource = 'kmod' | 'boot' | 'pstore' | 'netstats' | 'store';

/** An event as stored and hashed. */
export interface StoredEvent {
  /** Store sequence: 1, 2, 3, … in the order events were stored (the hash chain order). */
  sseq: number;
  type: EventType;
  /** Store boot number the event happened in. */
  boot: number;
  /** ISO 8601 UTC with microseconds. */
  time: string;
  /** ns since the epoch, decimal string. */
  time_ns: string;
  source: EventSource;
  [field: string]: unknown;
}

/** An event before it is stored: no sseq yet; `dedup` is the exactly-once key, not stored in the event. */
export interface NewEvent {
  type: EventType;
  boot: number;
  time_ns: string;
  source: EventSource;
  dedup?: string;
  [field: string]: unknown;
}

/** A stored row: the event, the previous event's hash, and this event's hash. */
export interface EventRow {
  e: StoredEvent;
  /** hash of the event with sseq-1 (64 zeros for the first). */
  p: string;
  /** SHA-256(p ‖ canonical JSON of e), lowercase hex. */
  h: string;
}

export const GENESIS = '0'.repeat(64);

export interface ChainHead {
  sseq: number;
  hash: string;
}
