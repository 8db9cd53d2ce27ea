// The module builds warning-free against Debian 12's linux-headers-amd64 (a clean copy of
// the sources, so stale objects cannot hide a warning) and declares its interface.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, kernelVersion } from './vm/rig.ts';

test('raslog.ko builds with zero warnings and exposes its parameters', (t) => {
  const kver = kernelVersion();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raslog-kbuild-'));
  for (const f of fs.readdirSync(path.join(ROOT, 'kmod-raslog'))) {
    if (/\.(c|h)$|^(Kbuild|Makefile|dkms\.conf)$/.test(f) && !f.endsWith('.mod.c')) {
      fs.copyFileSync(path.join(ROOT, 'kmod-raslog', f), path.join(dir, f));
    }
  }
  const r = spawnSync('make', ['-C', dir, `KVER=${kver}`], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  t.is(r.status, 0, out);
  t.deepEqual(out.split('\n').filter((l) => /warning/i.test(l)), [], 'compiler output has no warning');
  const info = spawnSync('modinfo', [path.join(dir, 'raslog.ko')], { encoding: 'utf8' }).stdout;
  t.regex(info, /^license:\s+GPL/m);
  t.regex(info, new RegExp(`^vermagic:\\s+${kver.replace(/\./g, '\\.')} `, 'm'));
  for (const p of ['region_addr', 'region_size', 'reformat', 'flush']) t.regex(info, new RegExp(`^parm:\\s+${p}:`, 'm'));
  const dkms = fs.readFileSync(path.join(ROOT, 'kmod-raslog/dkms.conf'), 'utf8');
  t.regex(dkms, /^BUILT_MODULE_NAME\[0\]="?raslog"?/m);
  fs.rmSync(dir, { recursive: true, force: true });
});
