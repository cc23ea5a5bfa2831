import { fsError, type Ino, type NodeType } from '@juicefs/core';

/** The 9-byte directory entry value of FORMAT.md 3.2: type byte, then the child inode (u64 BE). */
export const ENTRY_LENGTH = 9;

export function encodeEntry(type: NodeType, ino: Ino): Buffer {
  const b = Buffer.alloc(ENTRY_LENGTH);
  b.writeUInt8(type, 0);
  b.writeBigUInt64BE(ino, 1);
  return b;
}

export function decodeEntry(buf: Uint8Array, what = 'directory entry'): { type: NodeType; ino: Ino } {
  if (buf.length !== ENTRY_LENGTH) {
    throw fsError('EIO', `${what} value is ${buf.length} bytes instead of 9: corrupt metadata`);
  }
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = b.readUInt8(0);
  if (type < 1 || type > 7) throw fsError('EIO', `${what} has unknown node type ${type}: corrupt metadata`);
  return { type: type as NodeType, ino: b.readBigUInt64BE(1) };
}
