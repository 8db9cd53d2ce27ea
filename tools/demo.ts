// The README's first command (via tools/demo.sh): build raslog.ko, boot Debian's kernel in
// qemu with it over four boots (events + warm reboot, dump button + halt, power-off, power
// cut) and print the region decoded from the guest's RAM file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, readRegionFromRam, REGION_FILE_OFFSET, RigError, CACHE } from '../test/vm/rig.ts';
import { runEventsVm, runDaemonVm } from '../test/vm/runs.ts';
import { decodeRegion } from '../src/region/index.ts';
import { renderText } from '../src/cli/text.ts';

try {
  console.log('building raslog.ko and the guest tools, extracting vmlinux ...');
  const art = prepare();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raslog-demo-'));
  console.log(`booting Debian ${art.kver} under qemu (TCG); console log in ${dir}/console.log`);
  const { ram } = await runEventsVm(art, dir, (s) => console.log(`  ${s}`));
  console.log(`\nregion decoded from ${ram} at offset 0x${REGION_FILE_OFFSET.toString(16)}:\n`);
  process.stdout.write(renderText(decodeRegion(readRegionFromRam(ram), { source: ram, offset: REGION_FILE_OFFSET })));
  console.log(`\nsame with: npx raslog region --image ${ram} --offset 0x${REGION_FILE_OFFSET.toString(16)}`);

  console.log('\nnow raslogd in the guest (the host node over 9p), store in a host directory:');
  const share = fs.mkdtempSync(path.join(CACHE, 'demo-daemon-'));
  const { first, second } = await runDaemonVm(art, share, (s) => console.log(`  ${s}`));
  if ([...first, ...second].some((l) => l.includes('RASLOGD-NOT-READY'))) {
    throw new Error(`raslogd did not start in the guest; see ${share}/raslogd-*.log`);
  }
  const show = (title: string, file: string) => {
    console.log(`\n$ ${title}`);
    process.stdout.write(fs.readFileSync(path.join(share, file), 'utf8'));
  };
  show('raslog show --since boot-1 --until boot     # run in boot 2: exactly boot 1', 'show-b1.txt');
  show('raslog boots                                # run in boot 3: boot 2 lost power', 'boots-3.txt');
  show('raslog show --since boot-2                  # run in boot 3', 'show-3.txt');
  console.log(`\nthe store: npx raslog boots --data-dir ${share}/data`);
} catch (err) {
  if (err instanceof RigError) {
    console.error(`demo: cannot run the VM here: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
