/* CLI tests: spawn `node bin/raslog.js` and check output, messages and exit codes. */

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSize } from '../src/cli/args.ts';
import { ROOT, buildMkimage, mkimage } from './region-helpers.ts';

function raslog(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'raslog.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** One line on stderr, no stack trace. */
function oneLine(t: import('ava').ExecutionContext, err: string, re: RegExp) {
  t.true(err.endsWith('\n'), err);
  t.regex(err.slice(0, -1), re);
  t.is(err.trim().split('\n').length, 1, err);
  t.notRegex(err, /\n\s+at /);
}

test.before(() => {
  buildMkimage();
});

test('parseSize: hex, decimal, suffixes, bad values', (t) => {
  t.is(parseSize('0x7000000'), 0x7000000);
  t.is(parseSize('4096'), 4096);
  t.is(parseSize('64K'), 65536);
  t.is(parseSize('1M'), 1048576);
  t.is(parseSize('1MiB'), 1048576);
  t.is(parseSize('2g'), 2 * 1024 ** 3);
  t.is(parseSize('0x10k'), 16384);
  for (const bad of ['', 'x', '-1', '1.5M', '1Q', '0x', '99999999999999999999']) t.throws(() => parseSize(bad), undefined, bad);
});

test('--help works and exits 0', (t) => {
  const r = raslog('--help');
  t.is(r.code, 0);
  t.regex(r.out, /Usage: raslog/);
  t.regex(r.out, /region/);
  const r2 = raslog('region', '--help');
  t.is(r2.code, 0);
  t.regex(r2.out, /--image <file>/);
  t.regex(r2.out, /--device \[path\]/);
});

test('text output: summary block and one line per record', (t) => {
  const { path } = mkimage(['--size', '1M', '--records', '5', '--boot', '3']);
  const r = raslog('region', '--image', path);
  t.is(r.code, 0, r.err);
  t.is(r.err, '');
  const lines = r.out.split('\n');
  t.regex(lines[0]!, /^region [0-9a-f]{32} {2}size 1048576 \(1 MiB\) at offset 0x0 of /);
  t.regex(r.out, /header valid, version 1/);
  t.regex(r.out, /boot count 3, next seq 1, records 15 \(seq 1\.\.15\)/);
  t.regex(r.out, /\n {2}critical +255 +5 +0 +5 +0 +0 +250\n/);
  t.regex(r.out, /seq gaps: none/);
  const recs = lines.filter((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z seq \d+ boot 3 /.test(l));
  t.is(recs.length, 15);
  t.true(recs.includes(
    '2026-11-28T10:20:35.008000Z seq 8 boot 3 process_death proc8[2008] SIGSEGV fault at 0x18 uid=0 cgroup=/ ; core: not dumped (write_error, ENOSPC)',
  ));
  t.true(recs.includes(
    '2026-11-28T10:20:35.004000Z seq 4 boot 3 shutdown reboot by reboot[104] uid=0 via anc0[900] < anc1[901] < anc2[902] < anc3[903] command="fw-update"',
  ));
  t.true(recs.some((l) => /seq 12 boot 3 dump_button cpu 0 running spin\[4012\] uid=1000 ip=0xffffffff810000c0 kernel mode \[nmi\]$/.test(l)));
  t.true(recs.some((l) => /seq 9 boot 3 panic in kworker\/0:1\[3009\] uid=0: "Kernel panic - not syncing: mkimage seq 9"$/.test(l)));
});

test('text output: SIGTERM from another process', (t) => {
  const { path } = mkimage(['--size', '1M', '--records', '0,0,12']);
  const r = raslog('region', '--image', path);
  t.is(r.code, 0, r.err);
  // seq 7: process lane, index 6 → death with seq%6 == 1: SIGTERM from kill[507]
  t.regex(r.out, /seq 7 boot 1 process_death proc7\[2007\] SIGTERM from kill\[507\] uid=1000 cgroup=\/user\.slice\/user-1000\.slice\/session-4\.scope unit=session-4\.scope\n/);
});

test('json output: region, lanes, records, gaps, problems', (t) => {
  const { path, manifest } = mkimage(['--size', '64K', '--records', '30,5,5', '--tear', 'watch', '--corrupt', 'process']);
  const r = raslog('region', '--image', path, '-o', 'json');
  t.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.deepEqual(Object.keys(j), ['region', 'lanes', 'records', 'gaps', 'problems']);
  t.is(j.region.header, 'valid');
  t.is(j.region.region_id, manifest.region_id);
  t.deepEqual(j.lanes.map((l: { overwritten: number }) => l.overwritten), [14, 0, 0]);
  t.deepEqual(j.lanes.map((l: { torn: number }) => l.torn), [0, 1, 0]);
  t.deepEqual(j.lanes.map((l: { corrupt: number }) => l.corrupt), [0, 0, 1]);
  t.deepEqual(j.records.map((x: { seq: number }) => x.seq), manifest.records.map((x) => x.seq));
  t.deepEqual(j.problems.map((p: { kind: string }) => p.kind).sort(), ['corrupt', 'torn']);
  t.true(j.gaps.length > 0);
});

test('offsets and sizes accept hex and suffixes; damaged header needs --size', (t) => {
  const { path } = mkimage(['--size', '64K', '--records', '2', '--offset', '0x7000', '--file-size', '1M', '--damage-header']);
  const r = raslog('region', '--image', path, '--offset', '0x7000');
  t.is(r.code, 1);
  oneLine(t, r.err, /^raslog: raslog header at offset 0x7000 in .* is damaged; give the region size \(--size\) to salvage the records$/);
  const r2 = raslog('region', '--image', path, '--offset', '28K', '--size', '64K', '-o', 'json');
  t.is(r2.code, 0, r2.err);
  const j = JSON.parse(r2.out);
  t.is(j.region.header, 'damaged');
  t.is(j.records.length, 6);
  const r3 = raslog('region', '--image', path, '--offset', '28672', '--size', '0x10000');
  t.is(r3.code, 0, r3.err);
  t.regex(r3.out, /header DAMAGED \(header_crc/);
});

test('usage errors: one line on stderr, exit 2', (t) => {
  const { path } = mkimage(['--size', '64K', '--records', '1']);
  const cases: Array<[string[], RegExp]> = [
    [['region', '--bogus'], /^raslog: unknown option '--bogus'/],
    [['frobnicate'], /^raslog: unknown command 'frobnicate'/],
    [['region', '--image', path, '--offset', 'zz'], /^raslog: option '--offset <n>' argument 'zz' is invalid/],
    [['region', '--image', path, '--size', '1.5M'], /^raslog: option '--size <n>' argument '1\.5M' is invalid/],
    [['region', '--image', path, '-o', 'xml'], /^raslog: option '-o, --output <format>' argument 'xml' is invalid/],
    [['region', '--image'], /^raslog: option '--image <file>' argument missing/],
    [['region', '--image', path, '--size', '4K'], /^raslog: --size 4096 is below the minimum region size 65536/],
    [['region', '--device', '/dev/null', '--offset', '0'], /^raslog: --offset and --size apply to --image only/],
    [['region', '--image', path, '--device'], /^raslog: give either --image FILE or --device \[PATH\], not both/],
  ];
  for (const [args, re] of cases) {
    const r = raslog(...args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    oneLine(t, r.err, re);
    t.is(r.out, '');
  }
});

test('input errors: one line on stderr, exit 1', (t) => {
  const { path } = mkimage(['--size', '64K', '--records', '1']);
  const dir = buildMkimage().dir;
  const garbage = join(dir, 'cli-garbage.bin');
  writeFileSync(garbage, Buffer.alloc(100000, 0x41));
  const zero = join(dir, 'cli-zero.bin');
  writeFileSync(zero, Buffer.alloc(100000));
  const cases: Array<[string[], RegExp]> = [
    [['region', '--image', garbage], /^raslog: not a raslog region at offset 0x0: bad magic$/],
    [['region', '--image', garbage, '--offset', '0x1000', '--size', '64K'], /^raslog: not a raslog region at offset 0x1000: bad magic$/],
    [['region', '--image', zero], /^raslog: not a raslog region at offset 0x0: header all zero \(never formatted\)$/],
    [['region', '--image', path, '--offset', '1M'], /^raslog: offset 0x100000 is beyond the end of .* \(65536 bytes\)$/],
    [['region', '--image', path, '--size', '128K'], /^raslog: .* has only 65536 bytes at offset 0x0, less than --size 131072$/],
    [['region', '--image', join(dir, 'nope.bin')], /^raslog: cannot read .*nope\.bin: no such file or directory$/],
    [['region', '--device', join(dir, 'no-device')], /^raslog: cannot read .*no-device: no such file or directory$/],
    [['region', '--device', '/dev/null'], /^raslog: region at offset 0x0 too small: 0 bytes \(minimum 65536\)$/],
  ];
  for (const [args, re] of cases) {
    const r = raslog(...args);
    t.is(r.code, 1, `${args.join(' ')}: ${r.err}`);
    oneLine(t, r.err, re);
  }
});

test('--device reads a whole file from offset 0 like the device', (t) => {
  const { path, manifest } = mkimage(['--size', '64K', '--records', '4']);
  const r = raslog('region', '--device', path, '-o', 'json');
  t.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.is(j.region.source, path);
  t.deepEqual(j.records.map((x: { seq: number }) => x.seq), manifest.records.map((x) => x.seq));
});

test('bin/raslogd.js --help prints its usage', (t) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'raslogd.js'), '--help'], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^Usage: raslogd /m);
  t.regex(r.stdout, /--data-dir/);
});
