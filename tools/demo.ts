// The README's first command (via tools/demo.sh): build raslog.ko, boot Debian's kernel in
// qemu with it over four boots (events + warm reboot, dump button + halt, power-off, power
// cut) and print the region decoded from the guest's RAM file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, readRegionFromRam, REGION_FILE_OFFSET, RigError } from '../test/vm/rig.ts';
import { runEventsVm } from '../test/vm/runs.ts';
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
} catch (err) {
  if (err instanceof RigError) {
    console.error(`demo: cannot run the VM here: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
