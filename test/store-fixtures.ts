/*
 * Test-only region writer for the store/collector tests: formats a region and
 * commits records the way raslog_format.h does (raslog_format, raslog_commit),
 * so src/region/decode.ts reads them. Used where tools/raslog-mkimage cannot
 * express the scenario (several boots in one region, chosen record kinds).
 */

import type { NewEvent } from '../src/store/types.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../src/region/crc32c.ts';
import { layoutForSize } from '../src/region/format.ts';

const HEADER = 4096;
const SLOT = 256;
const COMMIT = 0x544d4352;

export const T0 = 1795861234000000000n; // 2026-11-28T…Z

export interface RecOpts {
  time_ns?: bigint;
  cpu?: number;
  nmi?: boolean;
}

export class RegionWriter {
  buf: Buffer;
  size: number;
  seq = 1;
  bootCount = 0;
  clock = T0;
  lanes: { offset: number; slot_count: number }[];

  constructor(size = 64 * 1024, idByte = 0xab) {
    this.size = size;
    this.buf = Buffer.alloc(size);
    const b = this.buf;
    b.write('RASLOGRG', 0, 'latin1');
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(HEADER, 0x0c);
    b.writeBigUInt64LE(BigInt(size), 0x10);
    for (let i = 0; i < 16; i++) b[0x18 + i] = (idByte + i) & 0xff;
    b.writeUInt32LE(3, 0x28);
    b.writeUInt32LE(SLOT, 0x2c);
    b.writeBigUInt64LE(T0 - 1000000000n, 0x30);
    this.lanes = layoutForSize(size)!;
    this.lanes.forEach((l, i) => {
      b.writeBigUInt64LE(BigInt(l.offset), 0x40 + 16 * i);
      b.writeUInt32LE(l.slot_count, 0x40 + 16 * i + 8);
    });
    b.writeUInt32LE(crc32c(b, 0, 0x7c), 0x7c);
    this.setBoot(0);
    b.writeBigUInt64LE(1n, 0x90);
  }

  get regionId(): string {
    return this.buf.toString('hex', 0x18, 0x28);
  }

  private setBoot(n: number): void {
    this.bootCount = n;
    this.buf.writeBigUInt64LE(BigInt(n), 0x80);
    this.buf.writeBigUInt64LE(~BigInt(n) & 0xffffffffffffffffn, 0x88);
  }

  /** Module load at a new boot (boot_count + 1) with its module_load record. */
  newBoot(): this {
    this.setBoot(this.bootCount + 1);
    this.buf.writeBigUInt64LE(BigInt(this.seq), 0x90);
    this.clock += 60_000_000_000n;
    const p = Buffer.alloc(64);
    p.writeBigUInt64LE(0x7000000n, 0);
    p.writeBigUInt64LE(BigInt(this.size), 8);
    p.writeUInt32LE(this.bootCount === 1 ? 1 : 2, 0x10);
    p.write('0.1.0-test', 0x20);
    return this.commit(0, 1, p);
  }

  /** Skip sequence numbers (records reserved but never committed / overwritten). */
  skip(n: number): this {
    this.seq += n;
    return this;
  }

  commit(lane: number, type: number, payload: Buffer, o: RecOpts = {}): this {
    const b = this.buf;
    const ctr = 0x100 + 64 * lane;
    const writes = Number(b.readBigUInt64LE(ctr));
    b.writeBigUInt64LE(BigInt(writes + 1), ctr);
    const l = this.lanes[lane]!;
    const off = l.offset + (writes % l.slot_count) * SLOT;
    if (b.readUInt32LE(off) !== 0) b.writeBigUInt64LE(b.readBigUInt64LE(ctr + 8) + 1n, ctr + 8);
    b.fill(0, off, off + SLOT);
    const seq = this.seq++;
    this.clock = o.time_ns ?? this.clock + 1_000_000_000n;
    const len = 48 + payload.length;
    b.writeUInt16LE(len, off + 8);
    b.writeUInt16LE(type, off + 0x0a);
    b.writeUInt16LE(o.cpu ?? 0, off + 0x0c);
    b[off + 0x0e] = lane;
    b[off + 0x0f] = o.nmi ? 1 : 0;
    b.writeBigUInt64LE(BigInt(seq), off + 0x10);
    b.writeBigUInt64LE(this.clock, off + 0x18);
    b.writeBigUInt64LE(this.clock - T0 + 5_000_000_000n, off + 0x20);
    b.writeUInt32LE(this.bootCount, off + 0x28);
    payload.copy(b, off + 48);
    b.writeUInt32LE(crc32c(b, off + 8, off + len), off + 4);
    b.writeUInt32LE((COMMIT ^ (seq & 0xffffffff)) >>> 0, off);
    return this;
  }

  death(o: {
    pid: number;
    comm: string;
    signo?: number;
    exit?: number;
    cause?: number;
    sender?: { pid: number; uid: number; comm: string };
    cgroup?: string;
    watched?: boolean;
    core?: boolean;
    fault?: bigint;
    uid?: number;
  } & RecOpts): this {
    const p = Buffer.alloc(208);
    p.writeUInt32LE(o.pid, 0);
    p.writeUInt32LE(o.pid, 4);
    p.writeUInt32LE(o.uid ?? 0, 8);
    p.writeInt32LE(o.exit ?? 0, 0x0c);
    p.writeInt32LE(o.signo ?? 0, 0x10);
    if (o.sender) {
      p.writeUInt32LE(o.sender.pid, 0x18);
      p.writeUInt32LE(o.sender.pid, 0x1c);
      p.writeUInt32LE(o.sender.uid, 0x20);
      p.write(o.sender.comm, 0x40);
    }
    p[0x24] = o.cause ?? (o.sender ? 1 : 0);
    p[0x25] = (o.watched ? 1 : 0) | (o.core ? 2 : 0);
    const cg = o.cgroup ?? '/';
    p.writeUInt16LE(cg.length, 0x26);
    p.writeBigUInt64LE(o.fault ?? 0n, 0x28);
    p.write(o.comm, 0x30);
    p.write(cg, 0x50);
    return this.commit(o.watched ? 1 : 2, 3, p, o);
  }

  coredump(o: { pid: number; comm: string; signo?: number; dumped: boolean; reason: number; limit?: bigint; written?: number; target?: string; watched?: boolean } & RecOpts): this {
    const p = Buffer.alloc(208);
    p.writeUInt32LE(o.pid, 0);
    p.writeUInt32LE(o.pid, 4);
    p.writeInt32LE(o.signo ?? 11, 8);
    p[0x0c] = o.dumped ? 1 : 0;
    p[0x0d] = o.reason;
    p.writeBigUInt64LE(o.limit ?? 0xffffffffffffffffn, 0x18);
    p.writeBigUInt64LE(BigInt(o.written ?? 0), 0x20);
    p.write(o.comm, 0x28);
    p.write(o.target ?? 'core', 0x38);
    return this.commit(o.watched ? 1 : 2, 4, p, o);
  }

  shutdown(action = 1, o: RecOpts = {}): this {
    const p = Buffer.alloc(208);
    p.writeUInt32LE(action, 0);
    p.writeUInt32LE(1, 4);
    p.writeUInt32LE(1, 0x08);
    p.write('systemd-shutdow', 0x10);
    return this.commit(0, 5, p, o);
  }

  panic(msg = 'Kernel panic - not syncing: test', o: RecOpts = {}): this {
    const p = Buffer.alloc(208);
    p.writeUInt32LE(77, 0);
    p.write('kworker/0:1', 8);
    p.write(msg, 0x18);
    return this.commit(0, 6, p, o);
  }

  dumpButton(o: RecOpts = {}): this {
    const p = Buffer.alloc(41);
    p.writeUInt32LE(0, 0);
    p.writeUInt32LE(4000, 4);
    p.writeUInt32LE(4000, 8);
    p.write('spin', 0x10);
    p.writeBigUInt64LE(0xffffffff81000000n, 0x20);
    return this.commit(0, 7, p, { ...o, nmi: true });
  }

  /** Write the image to a file (a new temp file unless path is given). */
  save(path?: string): string {
    const p = path ?? join(mkdtempSync(join(tmpdir(), 'raslog-fx-')), 'region.img');
    writeFileSync(p, this.buf);
    return p;
  }
}

export function tempDir(tag = 'store'): string {
  return mkdtempSync(join(tmpdir(), `raslog-${tag}-`));
}

/** Fake /proc files for the boot collector. */
export function fakeProc(bootId: string, uptimeSec = 100): { bootIdPath: string; uptimePath: string } {
  const d = tempDir('proc');
  writeFileSync(join(d, 'boot_id'), bootId + '\n');
  writeFileSync(join(d, 'uptime'), `${uptimeSec}.00 0.00\n`);
  return { bootIdPath: join(d, 'boot_id'), uptimePath: join(d, 'uptime') };
}

/**
 * The standard four-boot region: boot 1 ends with a reboot, boot 2 with no
 * record (power cut), boot 3 with the dump button and a panic, boot 4 runs.
 */
export function fourBoots(): RegionWriter {
  const w = new RegionWriter(256 * 1024);
  w.newBoot()
    .death({ pid: 100, comm: 'sshd', signo: 15, sender: { pid: 1, uid: 0, comm: 'systemd' }, cgroup: '/system.slice/ssh.service' })
    .shutdown(1);
  w.newBoot()
    .death({ pid: 8877, comm: 'nginx', signo: 9, sender: { pid: 9001, uid: 0, comm: 'kill' }, cgroup: '/system.slice/nginx.service', watched: true })
    .coredump({ pid: 8877, comm: 'nginx', signo: 9, dumped: false, reason: 1, limit: 0n, watched: true })
    .death({ pid: 5, comm: 'segv', signo: 11, cause: 2, fault: 0x10n, core: true })
    .coredump({ pid: 5, comm: 'segv', dumped: true, reason: 0, written: 4096, target: '/var/crash/core.segv.5' });
  w.newBoot().dumpButton().panic();
  w.newBoot();
  return w;
}

/**
 * Netstats samples for the four-boot store: two per boot in boots 3 and 4 (the second of each
 * pair carries the deltas, 4 s and 10 s after the first), so rates can be computed per boot.
 */
export function fourBootNetstats(): NewEvent[] {
  const at = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();
  const sample = (boot: number, iso: string, rx: number, deltas: boolean) => ({
    type: 'netstats', boot, time_ns: at(iso), source: 'netstats', interval_sec: 10,
    interfaces: { eth0: { rx_bytes: rx }, eth1: { rx_bytes: 0 } },
    deltas: deltas ? { eth0: { rx_bytes: 10240, rx_packets: 20, tx_bytes: 512, tx_packets: 4, rx_errs: 1, tx_errs: 0, rx_drop: 0, tx_drop: 2 }, eth1: { rx_bytes: 0 } } : null,
  });
  return [
    sample(3, '2026-11-28T10:23:44.500Z', 0, false),
    sample(3, '2026-11-28T10:23:48.500Z', 10240, true),
    sample(4, '2026-11-28T10:25:00Z', 0, false),
    sample(4, '2026-11-28T10:25:10Z', 10240, true),
  ] as NewEvent[];
}
