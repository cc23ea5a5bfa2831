import { fsError } from '@juicefs/core';

/**
 * The 16-byte quota pair of FORMAT.md 3.4 (Redis `dirQuota`/`userQuota`/`groupQuota` values):
 * max space int64 BE, max inodes int64 BE. A value ≤ 0 means unlimited; -1/-1 is "no limit".
 */
export interface QuotaLimits {
  maxSpace: number;
  maxInodes: number;
}

export const QUOTA_LENGTH = 16;

export function encodeQuota(q: QuotaLimits): Buffer {
  const b = Buffer.alloc(QUOTA_LENGTH);
  b.writeBigInt64BE(BigInt(q.maxSpace), 0);
  b.writeBigInt64BE(BigInt(q.maxInodes), 8);
  return b;
}

export function decodeQuota(buf: Uint8Array, what = 'quota value'): QuotaLimits {
  if (buf.length !== QUOTA_LENGTH) throw fsError('EIO', `${what} is ${buf.length} bytes instead of 16: corrupt metadata`);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const space = b.readBigInt64BE(0);
  const inodes = b.readBigInt64BE(8);
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (space > limit || inodes > limit) throw fsError('EOVERFLOW', `${what} holds a limit above 2^53`);
  return { maxSpace: Number(space), maxInodes: Number(inodes) };
}
