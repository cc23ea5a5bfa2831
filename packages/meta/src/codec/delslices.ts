import { fsError } from '@juicefs/core';

/** Bytes of one delayed-slice item (FORMAT.md 3.4): slice id u64, slice size u32. */
export const DELSLICE_RECORD_SIZE = 12;

export interface DelayedSlice {
  id: number;
  size: number;
}

/** Encode the slices a compaction replaced (Redis `delSlices` value, SQL `jfs_delslices.slices`). */
export function encodeDelSlices(slices: readonly DelayedSlice[]): Buffer {
  const buf = Buffer.allocUnsafe(slices.length * DELSLICE_RECORD_SIZE);
  slices.forEach((s, i) => {
    buf.writeBigUInt64BE(BigInt(s.id), i * DELSLICE_RECORD_SIZE);
    buf.writeUInt32BE(s.size, i * DELSLICE_RECORD_SIZE + 8);
  });
  return buf;
}

export function decodeDelSlices(buf: Buffer): DelayedSlice[] {
  if (buf.length % DELSLICE_RECORD_SIZE !== 0) {
    throw fsError('EIO', `corrupt delayed-slice list: ${buf.length} bytes is not a multiple of ${DELSLICE_RECORD_SIZE}`);
  }
  const out: DelayedSlice[] = [];
  for (let at = 0; at < buf.length; at += DELSLICE_RECORD_SIZE) {
    const id = buf.readBigUInt64BE(at);
    if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw fsError('EOVERFLOW', `slice id ${id} is above 2^53 and cannot be carried exactly by this client`);
    }
    out.push({ id: Number(id), size: buf.readUInt32BE(at + 8) });
  }
  return out;
}
