/* Errors of the store layer. Messages are one line, meant for the user. */

export type StoreErrorCode = 'locked' | 'missing' | 'empty' | 'bad_query' | 'io' | 'corrupt';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

/**
 * Whether a LevelDB operation failed in the storage itself (I/O error, e.g. a
 * full disk, or corruption), as opposed to a closed database or a bad call.
 */
export function isStorageFailure(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } } | null;
  const code = err?.code === 'LEVEL_IO_ERROR' || err?.code === 'LEVEL_CORRUPTION' ? err.code : err?.cause?.code;
  return code === 'LEVEL_IO_ERROR' || code === 'LEVEL_CORRUPTION';
}
