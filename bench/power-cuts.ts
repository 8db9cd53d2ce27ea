// bench/power-cuts: N power cuts (qemu SIGKILL at a random 0.5–3 s into a kill storm) on one
// RAM file. After each: corrupt slots accepted (must be 0), torn slots, records missing from the
// live window (must be <= torn), boot load records kept, sequence continuing.
// Usage: node --import=tsx bench/power-cuts.ts [cuts=20]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepare, buildInitramfs, readRegionFromRam } from '../test/vm/rig.ts';
import { ENDLESS_STORM_SCENARIO } from '../test/vm/scenarios.ts';
import { powerCutRound } from '../test/vm/runs.ts';
import { decodeRegion } from '../src/region/decode.ts';

const cuts = Number(process.argv[2] ?? 20);
const art = prepare();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raslog-cuts-'));
const ram = path.join(dir, 'ram.img');
const initrd = buildInitramfs(art, ENDLESS_STORM_SCENARIO, path.join(dir, 'initrd.cpio'));
let failures = 0;
let lastMax = 0;
for (let boot = 1; boot <= cuts; boot++) {
  const c = await powerCutRound(art, initrd, ram, dir, boot, (f) => decodeRegion(readRegionFromRam(f)));
  const bad: string[] = [];
  if (c.corrupt) bad.push(`${c.corrupt} corrupt accepted`);
  if (c.missing > c.torn) bad.push(`${c.missing} missing > ${c.torn} torn`);
  if (c.loads.length !== boot || c.loads.some((b, i) => b !== i + 1)) bad.push(`load records ${c.loads}`);
  if (c.maxSeq <= lastMax) bad.push('sequence did not continue');
  lastMax = c.maxSeq;
  failures += bad.length ? 1 : 0;
  console.log(`cut ${String(boot).padStart(2)}: records ${c.records} max_seq ${c.maxSeq} torn ${c.torn} missing ${c.missing} ${bad.length ? 'FAIL ' + bad.join('; ') : 'ok'}`);
}
console.log(`${cuts - failures}/${cuts} power cuts clean`);
process.exitCode = failures ? 1 : 0;
