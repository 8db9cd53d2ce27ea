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
