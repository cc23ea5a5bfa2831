import { FATTR, FUSE_GETATTR_FH, FUSE_LK_FLOCK } from './constants.js';
import { WireReader } from './wire.js';

// Decoders of request bodies, one per argument struct of linux/fuse.h. Names stay raw bytes:
// Linux file names are byte strings, not necessarily UTF-8.

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  /** The high 32 bits of the flags (only when the kernel set INIT_EXT). */
  flags2: number;
}

export function decodeInit(body: Buffer): InitIn {
  const r = new WireReader(body);
  const major = r.u32();
  const minor = r.u32();
  // Kernels before 7.6 sent only major/minor; we refuse those later, but decode what is there.
  const maxReadahead = r.remaining >= 4 ? r.u32() : 0;
  const flags = r.remaining >= 4 ? r.u32() : 0;
  const flags2 = r.remaining >= 4 ? r.u32() : 0;
  return { major, minor, maxReadahead, flags, flags2 };
}

export function decodeName(body: Buffer): Buffer {
  return new WireReader(body).cstring();
}

export interface ForgetOne {
  ino: bigint;
  nlookup: bigint;
}

export function decodeForget(nodeid: bigint, body: Buffer): ForgetOne {
  return { ino: nodeid, nlookup: new WireReader(body).u64() };
}

export function decodeBatchForget(body: Buffer): ForgetOne[] {
  const r = new WireReader(body);
  const count = r.u32();
  r.skip(4);
  const out: ForgetOne[] = [];
  for (let i = 0; i < count && r.remaining >= 16; i++) out.push({ ino: r.u64(), nlookup: r.u64() });
  return out;
}

/** GETATTR: `fh` is set when the kernel asks about an open file (fstat). */
export function decodeGetattr(body: Buffer): { fh?: bigint } {
  if (body.length < 16) return {};
  const r = new WireReader(body);
  const flags = r.u32();
  r.skip(4);
  const fh = r.u64();
  return (flags & FUSE_GETATTR_FH) !== 0 ? { fh } : {};
}

export interface TimeIn {
  sec: number;
  nsec: number;
}

/** SETATTR, with only the fields the kernel marked valid. Times may be 'now' (UTIME_NOW). */
export interface SetattrIn {
  fh?: bigint;
  size?: number;
  lockOwner?: bigint;
  atime?: TimeIn | 'now';
  mtime?: TimeIn | 'now';
  ctime?: TimeIn;
  /** The full st_mode the caller asked for (chmod): permission bits in the low 12 bits. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Clear setuid/setgid (HANDLE_KILLPRIV_V2). */
  killSuidgid?: boolean;
}

/** True when a SETATTR changes some attribute (not only `fh`, `lockOwner` or `killSuidgid`). */
export function setsAnything(set: SetattrIn): boolean {
  return (
    set.size !== undefined || set.mode !== undefined || set.uid !== undefined || set.gid !== undefined ||
    set.atime !== undefined || set.mtime !== undefined || set.ctime !== undefined
  );
}

export function decodeSetattr(body: Buffer): SetattrIn {
  const r = new WireReader(body);
  const valid = r.u32();
  r.skip(4);
  const fh = r.u64();
  const size = r.u64n();
  const lockOwner = r.u64();
  const atime = r.u64n();
  const mtime = r.u64n();
  const ctime = r.u64n();
  const atimensec = r.u32();
  const mtimensec = r.u32();
  const ctimensec = r.u32();
  const mode = r.u32();
  r.skip(4);
  const uid = r.u32();
  const gid = r.u32();
  const out: SetattrIn = {};
  if (valid & FATTR.FH) out.fh = fh;
  if (valid & FATTR.SIZE) out.size = size;
  if (valid & FATTR.LOCKOWNER) out.lockOwner = lockOwner;
  if (valid & FATTR.ATIME_NOW) out.atime = 'now';
  else if (valid & FATTR.ATIME) out.atime = { sec: atime, nsec: atimensec };
  if (valid & FATTR.MTIME_NOW) out.mtime = 'now';
  else if (valid & FATTR.MTIME) out.mtime = { sec: mtime, nsec: mtimensec };
  if (valid & FATTR.CTIME) out.ctime = { sec: ctime, nsec: ctimensec };
  if (valid & FATTR.MODE) out.mode = mode;
  if (valid & FATTR.UID) out.uid = uid;
  if (valid & FATTR.GID) out.gid = gid;
  if (valid & FATTR.KILL_SUIDGID) out.killSuidgid = true;
  return out;
}

export function decodeSymlink(body: Buffer): { name: Buffer; target: Buffer } {
  const r = new WireReader(body);
  const name = r.cstring();
  const target = r.cstring();
  return { name, target };
}

export interface MknodIn {
  mode: number;
  rdev: number;
  umask: number;
  name: Buffer;
}

export function decodeMknod(body: Buffer): MknodIn {
  const r = new WireReader(body);
  const mode = r.u32();
  const rdev = r.u32();
  const umask = r.u32();
  r.skip(4);
  return { mode, rdev, umask, name: r.cstring() };
}

export function decodeMkdir(body: Buffer): { mode: number; umask: number; name: Buffer } {
  const r = new WireReader(body);
  const mode = r.u32();
  const umask = r.u32();
  return { mode, umask, name: r.cstring() };
}

export interface RenameIn {
  newParent: bigint;
  flags: number;
  oldName: Buffer;
  newName: Buffer;
}

/** RENAME (no flags) and RENAME2 share one shape; RENAME2 adds flags + padding. */
export function decodeRename(body: Buffer, withFlags: boolean): RenameIn {
  const r = new WireReader(body);
  const newParent = r.u64();
  let flags = 0;
  if (withFlags) {
    flags = r.u32();
    r.skip(4);
  }
  const oldName = r.cstring();
  const newName = r.cstring();
  return { newParent, flags, oldName, newName };
}

export function decodeLink(body: Buffer): { oldIno: bigint; name: Buffer } {
  const r = new WireReader(body);
  const oldIno = r.u64();
  return { oldIno, name: r.cstring() };
}

/** OPEN / OPENDIR: the open(2) flags (O_ACCMODE, O_TRUNC, O_APPEND…). */
export function decodeOpen(body: Buffer): { flags: number; openFlags: number } {
  const r = new WireReader(body);
  const flags = r.u32();
  const openFlags = r.remaining >= 4 ? r.u32() : 0;
  return { flags, openFlags };
}

export interface CreateIn {
  flags: number;
  mode: number;
  umask: number;
  name: Buffer;
}

export function decodeCreate(body: Buffer): CreateIn {
  const r = new WireReader(body);
  const flags = r.u32();
  const mode = r.u32();
  const umask = r.u32();
  r.skip(4);
  return { flags, mode, umask, name: r.cstring() };
}

/** READ / READDIR / READDIRPLUS. */
export interface ReadIn {
  fh: bigint;
  offset: number;
  size: number;
  readFlags: number;
  lockOwner: bigint;
  flags: number;
}

export function decodeRead(body: Buffer): ReadIn {
  const r = new WireReader(body);
  const fh = r.u64();
  const offset = r.u64n();
  const size = r.u32();
  const readFlags = r.u32();
  const lockOwner = r.u64();
  const flags = r.u32();
  return { fh, offset, size, readFlags, lockOwner, flags };
}

export interface WriteIn extends ReadIn {
  writeFlags: number;
  data: Buffer;
}

export function decodeWrite(body: Buffer): WriteIn {
  const r = new WireReader(body);
  const fh = r.u64();
  const offset = r.u64n();
  const size = r.u32();
  const writeFlags = r.u32();
  const lockOwner = r.u64();
  const flags = r.u32();
  r.skip(4);
  const data = r.bytes(size);
  return { fh, offset, size, readFlags: 0, writeFlags, lockOwner, flags, data };
}

export interface ReleaseIn {
  fh: bigint;
  flags: number;
  releaseFlags: number;
  lockOwner: bigint;
}

export function decodeRelease(body: Buffer): ReleaseIn {
  const r = new WireReader(body);
  const fh = r.u64();
  const flags = r.u32();
  const releaseFlags = r.u32();
  const lockOwner = r.u64();
  return { fh, flags, releaseFlags, lockOwner };
}

export function decodeFlush(body: Buffer): { fh: bigint; lockOwner: bigint } {
  const r = new WireReader(body);
  const fh = r.u64();
  r.skip(8);
  return { fh, lockOwner: r.u64() };
}

export function decodeFsync(body: Buffer): { fh: bigint; fsyncFlags: number } {
  const r = new WireReader(body);
  const fh = r.u64();
  return { fh, fsyncFlags: r.u32() };
}

/** SETXATTR; `ext` when SETXATTR_EXT was negotiated (a 16-byte header instead of 8). */
export function decodeSetxattr(body: Buffer, ext: boolean): { name: Buffer; value: Buffer; flags: number } {
  const r = new WireReader(body);
  const size = r.u32();
  const flags = r.u32();
  if (ext) r.skip(8);
  const name = r.cstring();
  return { name, value: r.bytes(size), flags };
}

/** GETXATTR (with a name) and LISTXATTR (without): `size` 0 asks for the needed size. */
export function decodeGetxattr(body: Buffer, withName: boolean): { size: number; name: Buffer } {
  const r = new WireReader(body);
  const size = r.u32();
  r.skip(4);
  return { size, name: withName ? r.cstring() : Buffer.alloc(0) };
}

export interface FileLock {
  start: bigint;
  end: bigint;
  /** F_RDLCK, F_WRLCK or F_UNLCK. */
  type: number;
  pid: number;
}

export interface LkIn {
  fh: bigint;
  owner: bigint;
  lock: FileLock;
  /** A BSD flock(2) rather than an fcntl record lock. */
  flock: boolean;
}

export function decodeLk(body: Buffer): LkIn {
  const r = new WireReader(body);
  const fh = r.u64();
  const owner = r.u64();
  const start = r.u64();
  const end = r.u64();
  const type = r.u32();
  const pid = r.u32();
  const lkFlags = r.u32();
  return { fh, owner, lock: { start, end, type, pid }, flock: (lkFlags & FUSE_LK_FLOCK) !== 0 };
}

export function decodeAccess(body: Buffer): { mask: number } {
  return { mask: new WireReader(body).u32() };
}

export function decodeInterrupt(body: Buffer): { unique: bigint } {
  return { unique: new WireReader(body).u64() };
}

export interface FallocateIn {
  fh: bigint;
  offset: number;
  length: number;
  mode: number;
}

export function decodeFallocate(body: Buffer): FallocateIn {
  const r = new WireReader(body);
  return { fh: r.u64(), offset: r.u64n(), length: r.u64n(), mode: r.u32() };
}

export function decodeLseek(body: Buffer): { fh: bigint; offset: number; whence: number } {
  const r = new WireReader(body);
  return { fh: r.u64(), offset: r.u64n(), whence: r.u32() };
}

export interface CopyFileRangeIn {
  fhIn: bigint;
  offIn: number;
  nodeidOut: bigint;
  fhOut: bigint;
  offOut: number;
  len: number;
  flags: number;
}

export function decodeCopyFileRange(body: Buffer): CopyFileRangeIn {
  const r = new WireReader(body);
  const fhIn = r.u64();
  const offIn = r.u64n();
  const nodeidOut = r.u64();
  const fhOut = r.u64();
  const offOut = r.u64n();
  // len may be "everything" (~0): clamp to what a JS number holds.
  const rawLen = r.u64();
  const len = rawLen > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(rawLen);
  const flags = Number(r.u64() & 0xffffffffn);
  return { fhIn, offIn, nodeidOut, fhOut, offOut, len, flags };
}

export interface IoctlIn {
  fh: bigint;
  /** FUSE_IOCTL_* flags (COMPAT, UNRESTRICTED, 32BIT, DIR…). */
  flags: number;
  cmd: number;
  arg: bigint;
  /** The caller's argument bytes (for _IOW ioctls). */
  input: Buffer;
  /** The bytes the caller expects back (for _IOR ioctls). */
  outSize: number;
}

export function decodeIoctl(body: Buffer): IoctlIn {
  const r = new WireReader(body);
  const fh = r.u64();
  const flags = r.u32();
  const cmd = r.u32();
  const arg = r.u64();
  const inSize = r.u32();
  const outSize = r.u32();
  return { fh, flags, cmd, arg, input: r.bytes(inSize), outSize };
}
