import { fsError, type Slice } from '@juicefs/core';

/** Bytes of one slice record (FORMAT.md 3.3): pos u32, id u64, size u32, off u32, len u32. */
export const SLICE_RECORD_SIZE = 24;

/** Write one record at `at` of `buf` (big-endian, as every JuiceFS binary value). */
export function writeSlice(buf: Buffer, at: number, s: Slice): void {
  buf.writeUInt32BE(s.pos, at);
  buf.writeBigUInt64BE(BigInt(s.id), at + 4);
  buf.writeUInt32BE(s.size, at + 12);
  buf.writeUInt32BE(s.off, at + 16);
  buf.writeUInt32BE(s.len, at + 20);
}

export function encodeSlice(s: Slice): Buffer {
  const buf = Buffer.allocUnsafe(SLICE_RECORD_SIZE);
  writeSlice(buf, 0, s);
  return buf;
}

/** The concatenation of records stored as a Redis list element run or SQL `jfs_chunk.slices`. */
export function encodeSlices(slices: readonly Slice[]): Buffer {
  const buf = Buffer.allocUnsafe(slices.length * SLICE_RECORD_SIZE);
  slices.forEach((s, i) => writeSlice(buf, i * SLICE_RECORD_SIZE, s));
  return buf;
}

export function readSlice(buf: Buffer, at: number): Slice {
  const id = buf.readBigUInt64BE(at + 4);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw fsError('EOVERFLOW', `slice id ${id} is above 2^53 and cannot be carried exactly by this client`);
  }
  return {
    pos: buf.readUInt32BE(at),
    id: Number(id),
    size: buf.readUInt32BE(at + 12),
    off: buf.readUInt32BE(at + 16),
    len: buf.readUInt32BE(at + 20),
  };
}

export function decodeSlice(buf: Buffer): Slice {
  if (buf.length !== SLICE_RECORD_SIZE) {
    throw fsError('EIO', `corrupt slice record: ${buf.length} bytes instead of ${SLICE_RECORD_SIZE}`);
  }
  return readSlice(buf, 0);
}

/** Split a concatenated slice list; a length that is not a multiple of 24 is corrupt metadata. */
export function decodeSlices(buf: Buffer): Slice[] {
  if (buf.length % SLICE_RECORD_SIZE !== 0) {
    throw fsError('EIO', `corrupt chunk slice list: ${buf.length} bytes is not a multiple of ${SLICE_RECORD_SIZE}`);
  }
  const out: Slice[] = [];
  for (let at = 0; at < buf.length; at += SLICE_RECORD_SIZE) out.push(readSlice(buf, at));
  return out;
}
