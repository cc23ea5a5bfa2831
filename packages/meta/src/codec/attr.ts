import { fsError, type Attr, type NodeType } from '@juicefs/core';

/**
 * The attribute record of FORMAT.md 3.1 (Redis `i<ino>` value): 71 meaningful bytes, an
 * optional ACL id pair, an optional tier byte, then one padding 0x00 that the Go writer always
 * leaves. The four lengths a writer produces are 72, 73, 80 and 81 bytes.
 */
export const ATTR_BASE_LENGTH = 71;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

export function encodeAttr(attr: Attr): Buffer {
  const hasAcl = (attr.accessACL | attr.defaultACL) !== 0;
  const hasTier = attr.tier !== 0;
  const size = ATTR_BASE_LENGTH + (hasAcl ? 8 : 0) + (hasTier ? 1 : 0) + 1;
  const b = Buffer.alloc(size);
  b.writeUInt8(attr.flags & 0xff, 0);
  b.writeUInt16BE(((attr.type & 0xf) << 12) | (attr.mode & 0x0fff), 1);
  b.writeUInt32BE(attr.uid >>> 0, 3);
  b.writeUInt32BE(attr.gid >>> 0, 7);
  b.writeBigInt64BE(BigInt(attr.atime), 11);
  b.writeUInt32BE(attr.atimensec >>> 0, 19);
  b.writeBigInt64BE(BigInt(attr.mtime), 23);
  b.writeUInt32BE(attr.mtimensec >>> 0, 31);
  b.writeBigInt64BE(BigInt(attr.ctime), 35);
  b.writeUInt32BE(attr.ctimensec >>> 0, 43);
  b.writeUInt32BE(attr.nlink >>> 0, 47);
  b.writeBigUInt64BE(BigInt(attr.length), 51);
  b.writeUInt32BE(attr.rdev >>> 0, 59);
  b.writeBigUInt64BE(attr.parent, 63);
  let off = ATTR_BASE_LENGTH;
  if (hasAcl) {
    b.writeUInt32BE(attr.accessACL >>> 0, off);
    b.writeUInt32BE(attr.defaultACL >>> 0, off + 4);
    off += 8;
  }
  if (hasTier) b.writeUInt8(attr.tier & 0xff, off);
  return b;
}

/**
 * Decode with the Go reader's rules: 63 fixed bytes, then parent / ACL pair / tier only as far
 * as bytes remain (so 72 reads tier 0 from the padding). Values a JS number cannot hold exactly
 * (length or times beyond 2^53) are refused with EOVERFLOW instead of being rounded.
 */
export function decodeAttr(buf: Uint8Array, what = 'attribute record'): Attr {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 63) throw fsError('EIO', `${what} is ${b.length} bytes, shorter than the 63-byte minimum: corrupt metadata`);
  const typeMode = b.readUInt16BE(1);
  const attr: Attr = {
    flags: b.readUInt8(0),
    type: (typeMode >>> 12) as NodeType,
    mode: typeMode & 0x0fff,
    uid: b.readUInt32BE(3),
    gid: b.readUInt32BE(7),
    atime: safeInt(b.readBigInt64BE(11), 'atime', what),
    atimensec: b.readUInt32BE(19),
    mtime: safeInt(b.readBigInt64BE(23), 'mtime', what),
    mtimensec: b.readUInt32BE(31),
    ctime: safeInt(b.readBigInt64BE(35), 'ctime', what),
    ctimensec: b.readUInt32BE(43),
    nlink: b.readUInt32BE(47),
    length: safeInt(b.readBigUInt64BE(51), 'length', what),
    rdev: b.readUInt32BE(59),
    parent: 0n,
    accessACL: 0,
    defaultACL: 0,
    tier: 0,
  };
  let off = 63;
  if (b.length - off >= 8) {
    attr.parent = b.readBigUInt64BE(off);
    off += 8;
    if (b.length - off >= 8) {
      attr.accessACL = b.readUInt32BE(off);
      attr.defaultACL = b.readUInt32BE(off + 4);
      off += 8;
    }
    if (b.length - off >= 1) attr.tier = b.readUInt8(off);
  }
  return attr;
}

function safeInt(v: bigint, field: string, what: string): number {
  if (v > MAX_SAFE || v < MIN_SAFE) {
    throw fsError('EOVERFLOW', `${field} ${v} of the ${what} exceeds 2^53 and cannot be represented exactly by this client`);
  }
  return Number(v);
}
