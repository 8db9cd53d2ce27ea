// Loading raslog.ko on bad parameters, foreign content and a damaged header, in the real kernel.
import test from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, buildInitramfs, Vm, readRegionFromRam, REGION_FILE_OFFSET, REGION_SIZE, RAM_MB } from './rig.ts';
import { LIFECYCLE_SCENARIO } from './scenarios.ts';
import { decodeRegion } from '../../src/region/decode.ts';

test('refuses bad parameters and foreign content, reformats on request, repairs a damaged header keeping records', async (t) => {
  t.timeout(240_000);
  const art = prepare();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raslog-vm-lifecycle-'));
  const ram = path.join(dir, 'ram.img');
  fs.writeFileSync(ram, '');
  fs.truncateSync(ram, RAM_MB << 20);
  const fd = fs.openSync(ram, 'r+');
  fs.writeSync(fd, crypto.randomBytes(REGION_SIZE), 0, REGION_SIZE, REGION_FILE_OFFSET); // foreign content
  fs.closeSync(fd);
  const initrd = buildInitramfs(art, LIFECYCLE_SCENARIO, path.join(dir, 'initrd.cpio'));

  let vm = new Vm({ art, initrd, ramFile: ram, dir, timeoutMs: 120_000 });
  try {
    await vm.waitFor(/STAGE-DONE/, 110_000);
    t.is(await vm.exited, 0, 'poweroff -f ended qemu');
  } finally {
    await vm.stop();
  }
  const out = vm.lines.join('\n');
  t.true(out.includes('RASLOG-INSMOD-FAILED'), 'the default load refused the random region');
  for (const name of ['noparam', 'sysram', 'small']) t.regex(out, new RegExp(`TRY ${name} rc=[1-9]`), name);
  t.regex(out, /TRY reformat rc=0/);
  const dmesg = vm.lines.filter((l) => l.startsWith('DMESG ')).join('\n');
  t.regex(dmesg, /foreign/i, 'foreign content is named');
  t.regex(dmesg, /System RAM/i, 'a System RAM range is named');
  t.regex(dmesg, /region_addr|region_size/, 'missing parameters are named');
  t.regex(dmesg, /below the minimum/, 'a too small region is named');

  const first = decodeRegion(readRegionFromRam(ram));
  t.like(first.records[0], { type: 'module_load', boot: 1, reformatted: true });
  t.is(first.records.filter((r) => r.type === 'process_death' && r.comm === 'segv').length, 3);
  t.is(first.records.filter((r) => r.type === 'shutdown').length, 1);
  const kept = first.records.length;

  // damage the static header (format time byte): CRC mismatch -> repair, records kept
  const fd2 = fs.openSync(ram, 'r+');
  fs.writeSync(fd2, Buffer.from([0xff]), 0, 1, REGION_FILE_OFFSET + 0x30);
  fs.closeSync(fd2);
  t.throws(() => decodeRegion(readRegionFromRam(ram), { sizeKnown: false }), undefined, 'damaged header is detected by the decoder');

  vm = new Vm({ art, initrd, ramFile: ram, dir, timeoutMs: 120_000 });
  try {
    await vm.waitFor(/STAGE-DONE/, 110_000);
    t.is(await vm.exited, 0, 'poweroff -f ended qemu');
  } finally {
    await vm.stop();
  }
  const second = decodeRegion(readRegionFromRam(ram));
  t.is(second.region.header, 'valid', 'the module rewrote a valid header');
  t.is(second.region.region_id, first.region.region_id, 'the region id survived the repair');
  const load2 = second.records.find((r) => r.type === 'module_load' && r.boot === 2);
  t.like(load2, { repaired: true, adopted_records: kept, invalid_records: 0 });
  t.deepEqual(second.records.slice(0, kept).map((r) => r.seq), first.records.map((r) => r.seq), 'every record kept');
});
