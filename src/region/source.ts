/*
 * Region sources: a file holding the region at some offset (a qemu RAM
 * backing file, a memory dump, an image made by raslog-mkimage), or the
 * /dev/raslog device. Both end in decodeRegion() (every record decoded) or
 * scanRegion() (records indexed, decoded on demand: what raslogd replays).
 */

import { constants as bufferConstants } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { decodeRegion, headerIdentity, probeHeader, scanRegion, type RegionScan } from './decode.ts';
import { RegionError, hex } from './errors.ts';
import { HEADER_SIZE, MIN_REGION } from './format.ts';
import type { RegionReport } from './types.ts';

export const DEFAULT_DEVICE = '/dev/raslog';
const MAX_READ = Math.min(bufferConstants.MAX_LENGTH, 8 * 1024 * 1024 * 1024);

function ioError(path: string, e: unknown): RegionError {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a directory',
    ENODEV: 'no such device',
    ENXIO: 'no such device or address',
    EIO: 'I/O error',
    EINVAL: 'invalid argument',
  };
  const msg = (err && err.code && why[err.code]) || (err && err.message) || String(e);
  return new RegionError('io', `cannot read ${path}: ${msg}`);
}

/** Open a region file or device for reading; a failure becomes a RegionError naming the path. */
async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
}

async function readAt(fh: FileHandle, path: string, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  try {
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (e) {
    throw ioError(path, e);
  }
  return got === len ? buf : buf.subarray(0, got);
}

/**
 * Decode a region stored in a file at `offset` (default 0). Without `size`,
 * the size comes from the header's region_size; a damaged header then needs
 * an explicit size.
 */
export async function readRegionImage(path: string, offset = 0, size?: number): Promise<RegionReport> {
  return decodeRegion(await loadRegionImage(path, offset, size), { source: path, offset, sizeKnown: true });
}

/** readRegionImage() without decoding the records. */
export async function scanRegionImage(path: string, offset = 0, size?: number): Promise<RegionScan> {
  return scanRegion(await loadRegionImage(path, offset, size), { source: path, offset, sizeKnown: true });
}

/** headerIdentity() of the region at `offset` of a file or device: its first 4 KiB only. */
export async function readRegionIdentity(path: string, offset = 0): Promise<{ region_id: string; boot_count: number } | null> {
  const fh = await openForRead(path);
  try {
    return headerIdentity(await readAt(fh, path, offset, HEADER_SIZE));
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Read the region's bytes from a file at `offset` (size: given, or from the header). */
async function loadRegionImage(path: string, offset: number, size?: number): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RegionError('bad_argument', `invalid offset ${offset}`);
  }
  if (size !== undefined) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RegionError('bad_argument', `invalid size ${size}`);
    if (size < MIN_REGION) {
      throw new RegionError('too_small', `size ${size} is below the minimum region size ${MIN_REGION} (64K)`);
    }
    if (size > MAX_READ) throw new RegionError('bad_argument', `size ${size} is too large to read into memory`);
  }
  const fh = await openForRead(path);
  try {
    let fileSize: number;
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new RegionError('io', `cannot read ${path}: is a directory`);
      fileSize = st.size;
    } catch (e) {
      if (e instanceof RegionError) throw e;
      throw ioError(path, e);
    }
    const where = `at offset ${hex(offset)}`;
    if (offset >= fileSize) {
      throw new RegionError('bad_offset', `offset ${hex(offset)} is beyond the end of ${path} (${fileSize} bytes)`);
    }
    const avail = fileSize - offset;
    let regionSize: number;
    if (size !== undefined) {
      if (size > avail) {
        throw new RegionError('truncated', `${path} has only ${avail} bytes ${where}, less than --size ${size}`);
      }
      regionSize = size;
    } else {
      const head = await readAt(fh, path, offset, Math.min(HEADER_SIZE, avail));
      const rs = probeHeader(head, where);
      if (rs === null) {
        throw new RegionError('need_size', `raslog header ${where} in ${path} is damaged; give the region size (--size) to salvage the records`);
      }
      if (rs > avail) {
        throw new RegionError('truncated', `raslog region ${where} truncated: header says ${rs} bytes, ${path} has ${avail}`);
      }
      if (rs > MAX_READ) throw new RegionError('bad_argument', `region size ${rs} is too large to read into memory`);
      regionSize = rs;
    }
    const buf = await readAt(fh, path, offset, regionSize);
    if (buf.length < regionSize) {
      throw new RegionError('truncated', `short read from ${path}: ${buf.length} of ${regionSize} bytes ${where}`);
    }
    return buf;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Read the whole device (from offset 0 to EOF) and decode it. */
export async function readRegionDevice(path: string = DEFAULT_DEVICE): Promise<RegionReport> {
  return decodeRegion(await loadDevice(path), { source: path, offset: 0, sizeKnown: true });
}

/** readRegionDevice() without decoding the records. */
export async function scanRegionDevice(path: string = DEFAULT_DEVICE): Promise<RegionScan> {
  return scanRegion(await loadDevice(path), { source: path, offset: 0, sizeKnown: true });
}

/**
 * The device's bytes, in one buffer sized by the header's region_size when it
 * is plausible (grown by doubling otherwise): no second, concatenated copy.
 */
async function loadDevice(path: string): Promise<Buffer> {
  const fh = await openForRead(path);
  try {
    let buf = Buffer.allocUnsafe(HEADER_SIZE);
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        const hinted = total === HEADER_SIZE && total >= 0x18 ? Number(buf.readBigUInt64LE(0x10)) : 0;
        const want = hinted > total && hinted <= MAX_READ ? hinted : total * 2;
        if (want > MAX_READ) throw new RegionError('bad_argument', `${path} is larger than ${MAX_READ} bytes`);
        const bigger = Buffer.allocUnsafe(want);
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, total, buf.length - total, null));
      } catch (e) {
        throw ioError(path, e);
      }
      if (n === 0) break;
      total += n;
    }
    return total === buf.length ? buf : buf.subarray(0, total);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
