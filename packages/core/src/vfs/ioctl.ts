import { fsError } from '../errors/fs-error.js';
import { AttrFlag } from '../types/attr.js';

/** The ioctls JuiceFS answers (chattr/lsattr): everything else is ENOTTY. */
export const FS_IOC_GETFLAGS = 0x80086601;
export const FS_IOC_SETFLAGS = 0x40086602;
export const FS_IOC_GETFLAGS_32 = 0x80046601;
export const FS_IOC_SETFLAGS_32 = 0x40046602;
export const FS_IOC_FSGETXATTR = 0x801c581f;

const FS_SECRM_FL = 0x01;
const FS_IMMUTABLE_FL = 0x10;
const FS_APPEND_FL = 0x20;
const FS_XFLAG_IMMUTABLE = 0x08;
const FS_XFLAG_APPEND = 0x10;
const KNOWN_FLAGS = FS_SECRM_FL | FS_IMMUTABLE_FL | FS_APPEND_FL;

export function isSupportedIoctl(cmd: number): boolean {
  return [FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_GETFLAGS_32, FS_IOC_SETFLAGS_32, FS_IOC_FSGETXATTR].includes(cmd >>> 0);
}

export function isSetIoctl(cmd: number): boolean {
  return cmd >>> 30 === 1;
}

/** The node flags a SETFLAGS argument (4 or 8 bytes, native little-endian) asks for. */
export function flagsFromIoctl(input: Buffer): number {
  let iflag: number;
  if (input.length === 8) iflag = Number(input.readBigUInt64LE(0) & 0xffffffffn);
  else if (input.length === 4) iflag = input.readUInt32LE(0);
  else throw fsError('EINVAL', `SETFLAGS takes a 4 or 8 byte argument, not ${input.length}`);
  if ((iflag & ~KNOWN_FLAGS) !== 0) throw fsError('EOPNOTSUPP', `only the s, i and a attributes are supported (got 0x${iflag.toString(16)})`);
  let flags = 0;
  if (iflag & FS_SECRM_FL) flags |= AttrFlag.SkipTrash;
  if (iflag & FS_IMMUTABLE_FL) flags |= AttrFlag.Immutable;
  if (iflag & FS_APPEND_FL) flags |= AttrFlag.Append;
  return flags;
}

/** True when the request sets flags only root may set. */
export function needsRoot(input: Buffer): boolean {
  const iflag = input.length >= 4 ? input.readUInt32LE(0) : 0;
  return (iflag & KNOWN_FLAGS) !== 0;
}

/** The GETFLAGS / FSGETXATTR reply for node `flags`, `outSize` bytes long. */
export function ioctlReply(cmd: number, flags: number, outSize: number): Buffer {
  const out = Buffer.alloc(outSize);
  if (((cmd >>> 8) & 0xff) === 'f'.charCodeAt(0)) {
    let iflag = 0;
    if (flags & AttrFlag.SkipTrash) iflag |= FS_SECRM_FL;
    if (flags & AttrFlag.Immutable) iflag |= FS_IMMUTABLE_FL;
    if (flags & AttrFlag.Append) iflag |= FS_APPEND_FL;
    if (outSize === 8) out.writeBigUInt64LE(BigInt(iflag));
    else if (outSize === 4) out.writeUInt32LE(iflag);
    else throw fsError('EINVAL', `GETFLAGS replies in 4 or 8 bytes, not ${outSize}`);
    return out;
  }
  if (outSize !== 28) throw fsError('EINVAL', `FSGETXATTR replies in 28 bytes, not ${outSize}`);
  let xflag = 0;
  if (flags & AttrFlag.Immutable) xflag |= FS_XFLAG_IMMUTABLE;
  if (flags & AttrFlag.Append) xflag |= FS_XFLAG_APPEND;
  out.writeUInt32LE(xflag);
  return out;
}
