/* The one error type the region decoder throws. Its message is one line. */

export type RegionErrorCode =
  | 'bad_magic' // foreign content where the header should be
  | 'blank' // all-zero header: never formatted
  | 'unsupported_version'
  | 'too_small' // fewer bytes than the minimum region (64 KiB)
  | 'truncated' // fewer bytes than the header's region_size
  | 'need_size' // header damaged and no size given
  | 'bad_offset' // offset outside the file
  | 'bad_argument'
  | 'io'; // open/read failure

export class RegionError extends Error {
  readonly code: RegionErrorCode;
  constructor(code: RegionErrorCode, message: string) {
    super(message);
    this.name = 'RegionError';
    this.code = code;
  }
}

export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}
