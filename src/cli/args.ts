/* Argument parsers shared by the CLI commands. */

import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parse "0x7000000", "4096", "64K", "1M", "1MiB", "2G" into a safe integer (bytes). */
export function parseSize(text: string): number {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new InvalidArgumentError('expected a number: decimal, 0x hex, with an optional K/M/G suffix');
  const base = m[1]!.toLowerCase().startsWith('0x') ? parseInt(m[1]!.slice(2), 16) : parseInt(m[1]!, 10);
  const v = base * UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError('number too large');
  return v;
}
