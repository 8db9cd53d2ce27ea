/*
 * Fuzzer for the region decoder: random and mutated images (mkimage seeds,
 * bit flips, field overwrites with the header CRC or slot CRC fixed up so the
 * deeper code runs, truncation). Asserts that decodeRegion either returns a
 * report or throws RegionError, and that every record it returns comes from a
 * slot whose commit word and CRC verify.
 *
 *   node --import=tsx bench/fuzz-region.ts [N] [SEED]
 */

import { pathToFileURL } from 'node:url';
import { crc32c } from '../src/region/crc32c.ts';
import { decodeRegion, recordSlotCrcOk } from '../src/region/decode.ts';
import { RegionError } from '../src/region/errors.ts';
import { COMMIT_MAGIC, H, HEADER_SIZE, MIN_REGION, SLOT_SIZE, layoutForSize } from '../src/region/format.ts';
import { mkimage } from '../test/region-helpers.ts';

/** xorshift32, deterministic. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export interface FuzzStats {
  cases: number;
  reports: number;
  errors: Record<string, number>;
  records: number;
  damagedHeaders: number;
  failures: string[];
}

export function makeSeeds(): Buffer[] {
  return [
    mkimage(['--size', '64K', '--records', '20,40,300', '--seed', '3']).bytes,
    mkimage(['--size', '80K', '--records', '10,10,10', '--tear', 'watch', '--corrupt', 'process:2']).bytes,
    mkimage(['--size', '64K', '--records', '100', '--boot', '9', '--seq-start', '0x544D4340']).bytes,
  ];
}

function fixHeaderCrc(b: Buffer): void {
  b.writeUInt32LE(crc32c(b, 0, H.crc_len), H.header_crc);
}

/** Make a slot valid again after mutating it: commit word from seq, CRC over length. */
function fixSlot(b: Buffer, off: number): void {
  let len = b.readUInt16LE(off + 8);
  if (len < 48 || len > 256) {
    len = 48 + (len % 209);
    b.writeUInt16LE(len, off + 8);
  }
  b.writeUInt32LE((COMMIT_MAGIC ^ b.readUInt32LE(off + 0x10)) >>> 0, off);
  b.writeUInt32LE(crc32c(b, off + 8, off + len), off + 4);
}

export function fuzzCase(r: () => number, seeds: Buffer[]): { buf: Buffer; sizeKnown: boolean } {
  const kind = r() % 10;
  const sizeKnown = (r() & 1) === 1;
  if (kind === 0) {
    // pure random bytes, sometimes with the magic
    const n = r() % (MIN_REGION * 2);
    const buf = Buffer.alloc(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) buf.writeUInt32LE(r(), i);
    for (; i < n; i++) buf[i] = r() & 0xff;
    if (n >= 8 && r() & 1) buf.write('RASLOGRG', 0, 'latin1');
    if (n >= HEADER_SIZE && r() % 3 === 0) fixHeaderCrc(buf);
    return { buf, sizeKnown };
  }
  const seed = seeds[r() % seeds.length]!;
  const buf = Buffer.from(seed);
  const flips = 1 + (r() % 8);
  switch (kind) {
    case 1: // random bit flips anywhere
      for (let i = 0; i < flips; i++) buf[r() % buf.length]! ^= 1 << (r() % 8);
      break;
    case 2: // header static-part mutation with CRC fixed: lane tables, sizes, version
      for (let i = 0; i < flips; i++) buf[r() % H.crc_len]! ^= 1 << (r() % 8);
      if (r() % 4 === 0) buf.writeUInt32LE(r(), H.lanes + 16 * (r() % 3) + (r() % 2) * 8);
      if (r() % 4 === 0) buf.writeBigUInt64LE(BigInt(r()) * BigInt(r() % 5), H.region_size);
      buf.write('RASLOGRG', 0, 'latin1');
      fixHeaderCrc(buf);
      break;
    case 3: // dynamic header: counters, boot, seq_next
      for (let i = 0; i < flips; i++) buf.writeUInt32LE(r(), 0x80 + 4 * (r() % 56));
      break;
    case 4:
    case 5: {
      // slot field mutation with commit and CRC fixed up: decodeRecord sees odd values
      const lanes = layoutForSize(buf.length)!;
      const l = lanes[r() % 3]!;
      const off = l.offset + (r() % l.slot_count) * SLOT_SIZE;
      for (let i = 0; i < flips; i++) {
        const at = off + 8 + (r() % (SLOT_SIZE - 8));
        if (r() & 1) buf[at] = r() & 0xff;
        else buf[at]! ^= 1 << (r() % 8);
      }
      if (r() % 4 === 0) buf.writeUInt16LE(r() % 12, off + 0x0a); // type
      if (r() % 8 === 0) buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(r()) << BigInt(r() % 40)), off + 0x10); // seq
      fixSlot(buf, off);
      break;
    }
    case 6: // truncation
      return { buf: buf.subarray(0, r() % buf.length), sizeKnown };
    case 7: // extension with junk (size larger than region_size)
      return { buf: Buffer.concat([buf, Buffer.alloc(r() % 4096, r() & 0xff)]), sizeKnown };
    case 8: // damaged header (CRC not fixed)
      buf[0x08 + (r() % (H.crc_len - 8))]! ^= 1 << (r() % 8);
      break;
    default: // slot garbage runs
      for (let i = 0; i < flips; i++) {
        const at = HEADER_SIZE + (r() % (buf.length - HEADER_SIZE));
        buf.fill(r() & 0xff, at, Math.min(buf.length, at + (r() % 600)));
      }
      break;
  }
  return { buf, sizeKnown };
}

export function runFuzz(n: number, seed = 1, seeds = makeSeeds()): FuzzStats {
  const r = rng(seed);
  const st: FuzzStats = { cases: 0, reports: 0, errors: {}, records: 0, damagedHeaders: 0, failures: [] };
  for (let i = 0; i < n; i++) {
    const { buf, sizeKnown } = fuzzCase(r, seeds);
    st.cases++;
    try {
      const rep = decodeRegion(buf, { sizeKnown });
      st.reports++;
      if (rep.region.header === 'damaged') st.damagedHeaders++;
      for (const rec of rep.records) {
        st.records++;
        if (!recordSlotCrcOk(buf, rep.lanes, rec)) {
          st.failures.push(`case ${i}: record seq ${rec.seq} lane ${rec.lane} slot ${rec.slot} accepted without a valid CRC`);
        }
      }
      JSON.stringify(rep);
    } catch (e) {
      if (e instanceof RegionError) {
        st.errors[e.code] = (st.errors[e.code] ?? 0) + 1;
        if (e.message.includes('\n')) st.failures.push(`case ${i}: multi-line error message`);
      } else {
        st.failures.push(`case ${i}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    if (st.failures.length > 20) break;
  }
  return st;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 100000);
  const seed = Number(process.argv[3] ?? 1);
  const seeds = makeSeeds();
  const t0 = process.hrtime.bigint();
  const st = runFuzz(n, seed, seeds);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `fuzz-region: ${st.cases} cases in ${secs.toFixed(1)} s (${Math.round(st.cases / secs)} cases/s), seed ${seed}`,
  );
  console.log(
    `  reports ${st.reports} (damaged headers ${st.damagedHeaders}), records ${st.records}, typed errors ${JSON.stringify(st.errors)}`,
  );
  console.log(`  failures ${st.failures.length}`);
  for (const f of st.failures.slice(0, 10)) console.log(`  ${f}`);
  process.exitCode = st.failures.length ? 1 : 0;
}
