/* Helpers for the region tests and the fuzzer: build and run tools/raslog-mkimage. */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ManifestLane {
  lane: 'critical' | 'watch' | 'process';
  offset: number;
  slots: number;
  writes: number;
  overwritten: number;
  valid: number;
  torn: number;
  corrupt: number;
  empty: number;
}
export interface ManifestRecord {
  seq: number;
  type: string;
  lane: 'critical' | 'watch' | 'process';
  slot: number;
  crash: number;
}
export interface Manifest {
  size: number;
  offset: number;
  boot: number;
  seq_next: number;
  region_id: string;
  lanes: ManifestLane[];
  records: ManifestRecord[];
}

let built: { dir: string; bin: string } | null = null;

/** Compile tools/raslog-mkimage.c with -Werror into a temp dir (once per process). */
export function buildMkimage(): { dir: string; bin: string } {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'raslog-mk-'));
  const bin = join(dir, 'raslog-mkimage');
  execFileSync(
    process.env.CC ?? 'cc',
    ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, join(ROOT, 'tools', 'raslog-mkimage.c')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  built = { dir, bin };
  return built;
}

let counter = 0;

/** Run mkimage with args; returns the image path, its bytes and the manifest. */
export function mkimage(args: string[]): { path: string; bytes: Buffer; manifest: Manifest } {
  const { dir, bin } = buildMkimage();
  const n = `${process.pid}-${counter++}`;
  const path = join(dir, `img-${n}.bin`);
  const man = join(dir, `img-${n}.json`);
  execFileSync(bin, [path, ...args, '--manifest', man], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { path, bytes: readFileSync(path), manifest: JSON.parse(readFileSync(man, 'utf8')) as Manifest };
}
