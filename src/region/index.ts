export * from './types.ts';
export { RegionError, type RegionErrorCode } from './errors.ts';
export { crc32c } from './crc32c.ts';
export { decodeRegion, scanRegion, classifySlot, nsToIso, recordSlotCrcOk, type DecodeOptions, type RegionScan } from './decode.ts';
export { readRegionImage, readRegionDevice, scanRegionImage, scanRegionDevice, DEFAULT_DEVICE } from './source.ts';
export { layoutForSize, MIN_REGION, HEADER_SIZE, SLOT_SIZE } from './format.ts';
export { signalName, errnoName, unitFromCgroup } from './names.ts';
