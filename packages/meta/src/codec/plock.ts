import { fsError, type LockType, type PosixLockRecord } from '@juicefs/core';

/** Bytes of one POSIX lock record (FORMAT.md 3.4): type u32, pid u32, start u64, end u64 (inclusive). */
export const PLOCK_RECORD_SIZE = 24;

/** Encode an owner's lock list (Redis `lockp<ino>` field value, SQL `jfs_plock.records`). */
export function encodePlocks(records: readonly PosixLockRecord[]): Buffer {
  const buf = Buffer.allocUnsafe(records.length * PLOCK_RECORD_SIZE);
  records.forEach((r, i) => {
    const at = i * PLOCK_RECORD_SIZE;
    buf.writeUInt32BE(r.type, at);
    buf.writeUInt32BE(r.pid, at + 4);
    buf.writeBigUInt64BE(r.start, at + 8);
    buf.writeBigUInt64BE(r.end, at + 16);
  });
  return buf;
}

export function decodePlocks(buf: Buffer): PosixLockRecord[] {
  if (buf.length % PLOCK_RECORD_SIZE !== 0) {
    throw fsError('EIO', `corrupt POSIX lock list: ${buf.length} bytes is not a multiple of ${PLOCK_RECORD_SIZE}`);
  }
  const out: PosixLockRecord[] = [];
  for (let at = 0; at < buf.length; at += PLOCK_RECORD_SIZE) {
    out.push({
      // Stored as the writing client's F_*LCK number; Linux numbering (0 read, 1 write) is assumed.
      type: buf.readUInt32BE(at) as LockType,
      pid: buf.readUInt32BE(at + 4),
      start: buf.readBigUInt64BE(at + 8),
      end: buf.readBigUInt64BE(at + 16),
    });
  }
  return out;
}
