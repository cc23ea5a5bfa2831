import { fsError } from '@juicefs/core';
import {
  DirentBuffer,
  FUSE_FSYNC_FDATASYNC,
  FUSE_IOCTL,
  InitFlag,
  Opcode,
  type RawRequest,
  decodeAccess,
  decodeBatchForget,
  decodeCopyFileRange,
  decodeCreate,
  decodeFallocate,
  decodeFlush,
  decodeForget,
  decodeFsync,
  decodeGetattr,
  decodeGetxattr,
  decodeIoctl,
  decodeLink,
  decodeLk,
  decodeLseek,
  decodeMkdir,
  decodeMknod,
  decodeName,
  decodeOpen,
  decodeRead,
  decodeRelease,
  decodeRename,
  decodeSetattr,
  decodeSetxattr,
  decodeSymlink,
  decodeWrite,
  encodeAttrOut,
  encodeEntryOut,
  encodeIoctlOut,
  encodeLkOut,
  encodeLseekOut,
  encodeOpenOut,
  encodeStatfs,
  encodeWriteOut,
  encodeXattrList,
  encodeXattrSize,
} from '../protocol/index.js';
import type { FuseHandler, RequestContext } from './handler.js';

/** The reply payload parts after the header; NO_REPLY for requests the kernel expects no answer to. */
export const NO_REPLY = Symbol('no reply');
export type OpResult = readonly Uint8Array[] | typeof NO_REPLY;

/** What an operation may look at besides its request: the negotiated INIT flags. */
export interface OpEnv {
  initFlags: number;
}

type HandlerMethod = Exclude<keyof FuseHandler, 'init' | 'destroy'>;

export interface OpDef {
  /** The handler method this opcode needs; ENOSYS when the handler lacks it. */
  method: HandlerMethod;
  run(h: Required<FuseHandler>, ctx: RequestContext, req: RawRequest, env: OpEnv): Promise<OpResult>;
}

const EMPTY: OpResult = [];
const ino = (req: RawRequest): bigint => req.header.nodeid;

/** Answer a getxattr/listxattr-style request: size probe (size 0), ERANGE, or the bytes. */
function sized(value: Buffer, size: number, what: string): OpResult {
  if (size === 0) return [encodeXattrSize(value.length)];
  if (value.length > size) throw fsError('ERANGE', `${what} needs ${value.length} bytes, the caller's buffer has ${size}`);
  return [value];
}

async function readdirOp(
  h: Required<FuseHandler>,
  ctx: RequestContext,
  req: RawRequest,
  plus: boolean,
): Promise<OpResult> {
  const r = decodeRead(req.body);
  const out = new DirentBuffer(r.size, plus);
  if (plus) await h.readdirplus(ctx, ino(req), r.fh, r.offset, out);
  else await h.readdir(ctx, ino(req), r.fh, r.offset, out);
  return [out.toBuffer()];
}

/**
 * The one opcode table: every request the server answers goes through here. Opcodes absent
 * from it (BMAP, POLL, SETUPMAPPING, TMPFILE, STATX…) answer ENOSYS.
 */
export const OPS: ReadonlyMap<number, OpDef> = new Map<number, OpDef>([
  [Opcode.LOOKUP, { method: 'lookup', run: async (h, c, q) => [encodeEntryOut(await h.lookup(c, ino(q), decodeName(q.body)))] }],
  [Opcode.FORGET, { method: 'forget', run: async (h, _c, q) => (h.forget([decodeForget(ino(q), q.body)]), NO_REPLY) }],
  [Opcode.BATCH_FORGET, { method: 'forget', run: async (h, _c, q) => (h.forget(decodeBatchForget(q.body)), NO_REPLY) }],
  [Opcode.GETATTR, { method: 'getattr', run: async (h, c, q) => [encodeAttrOut(await h.getattr(c, ino(q), decodeGetattr(q.body).fh))] }],
  [Opcode.SETATTR, { method: 'setattr', run: async (h, c, q) => [encodeAttrOut(await h.setattr(c, ino(q), decodeSetattr(q.body)))] }],
  [Opcode.READLINK, { method: 'readlink', run: async (h, c, q) => [await h.readlink(c, ino(q))] }],
  [Opcode.SYMLINK, {
    method: 'symlink',
    run: async (h, c, q) => {
      const s = decodeSymlink(q.body);
      return [encodeEntryOut(await h.symlink(c, ino(q), s.name, s.target))];
    },
  }],
  [Opcode.MKNOD, { method: 'mknod', run: async (h, c, q) => [encodeEntryOut(await h.mknod(c, ino(q), decodeMknod(q.body)))] }],
  [Opcode.MKDIR, {
    method: 'mkdir',
    run: async (h, c, q) => {
      const m = decodeMkdir(q.body);
      return [encodeEntryOut(await h.mkdir(c, ino(q), m.name, m.mode, m.umask))];
    },
  }],
  [Opcode.UNLINK, { method: 'unlink', run: async (h, c, q) => (await h.unlink(c, ino(q), decodeName(q.body)), EMPTY) }],
  [Opcode.RMDIR, { method: 'rmdir', run: async (h, c, q) => (await h.rmdir(c, ino(q), decodeName(q.body)), EMPTY) }],
  [Opcode.RENAME, {
    method: 'rename',
    run: async (h, c, q) => {
      const r = decodeRename(q.body, false);
      await h.rename(c, ino(q), r.oldName, r.newParent, r.newName, 0);
      return EMPTY;
    },
  }],
  [Opcode.RENAME2, {
    method: 'rename',
    run: async (h, c, q) => {
      const r = decodeRename(q.body, true);
      await h.rename(c, ino(q), r.oldName, r.newParent, r.newName, r.flags);
      return EMPTY;
    },
  }],
  [Opcode.LINK, {
    method: 'link',
    run: async (h, c, q) => {
      const l = decodeLink(q.body);
      return [encodeEntryOut(await h.link(c, l.oldIno, ino(q), l.name))];
    },
  }],
  [Opcode.OPEN, {
    method: 'open',
    run: async (h, c, q) => {
      const { flags, openFlags } = decodeOpen(q.body);
      return [encodeOpenOut(await h.open(c, ino(q), flags, openFlags))];
    },
  }],
  [Opcode.READ, { method: 'read', run: async (h, c, q) => [await h.read(c, ino(q), decodeRead(q.body))] }],
  [Opcode.WRITE, { method: 'write', run: async (h, c, q) => [encodeWriteOut(await h.write(c, ino(q), decodeWrite(q.body)))] }],
  [Opcode.STATFS, { method: 'statfs', run: async (h, c, q) => [encodeStatfs(await h.statfs(c, ino(q)))] }],
  [Opcode.RELEASE, { method: 'release', run: async (h, c, q) => (await h.release(c, ino(q), decodeRelease(q.body)), EMPTY) }],
  [Opcode.FSYNC, {
    method: 'fsync',
    run: async (h, c, q) => {
      const f = decodeFsync(q.body);
      await h.fsync(c, ino(q), f.fh, (f.fsyncFlags & FUSE_FSYNC_FDATASYNC) !== 0);
      return EMPTY;
    },
  }],
  [Opcode.FLUSH, {
    method: 'flush',
    run: async (h, c, q) => {
      const f = decodeFlush(q.body);
      await h.flush(c, ino(q), f.fh, f.lockOwner);
      return EMPTY;
    },
  }],
  [Opcode.SETXATTR, {
    method: 'setxattr',
    run: async (h, c, q, env) => {
      const s = decodeSetxattr(q.body, (env.initFlags & InitFlag.SETXATTR_EXT) !== 0);
      await h.setxattr(c, ino(q), s.name, s.value, s.flags);
      return EMPTY;
    },
  }],
  [Opcode.GETXATTR, {
    method: 'getxattr',
    run: async (h, c, q) => {
      const g = decodeGetxattr(q.body, true);
      return sized(await h.getxattr(c, ino(q), g.name), g.size, `xattr "${g.name.toString()}"`);
    },
  }],
  [Opcode.LISTXATTR, {
    method: 'listxattr',
    run: async (h, c, q) => {
      const g = decodeGetxattr(q.body, false);
      return sized(encodeXattrList(await h.listxattr(c, ino(q))), g.size, 'xattr name list');
    },
  }],
  [Opcode.REMOVEXATTR, { method: 'removexattr', run: async (h, c, q) => (await h.removexattr(c, ino(q), decodeName(q.body)), EMPTY) }],
  [Opcode.OPENDIR, { method: 'opendir', run: async (h, c, q) => [encodeOpenOut(await h.opendir(c, ino(q), decodeOpen(q.body).flags))] }],
  [Opcode.READDIR, { method: 'readdir', run: (h, c, q) => readdirOp(h, c, q, false) }],
  [Opcode.READDIRPLUS, { method: 'readdirplus', run: (h, c, q) => readdirOp(h, c, q, true) }],
  [Opcode.RELEASEDIR, { method: 'releasedir', run: async (h, c, q) => (await h.releasedir(c, ino(q), decodeRelease(q.body).fh), EMPTY) }],
  [Opcode.FSYNCDIR, {
    method: 'fsyncdir',
    run: async (h, c, q) => {
      const f = decodeFsync(q.body);
      await h.fsyncdir(c, ino(q), f.fh, (f.fsyncFlags & FUSE_FSYNC_FDATASYNC) !== 0);
      return EMPTY;
    },
  }],
  [Opcode.GETLK, { method: 'getlk', run: async (h, c, q) => [encodeLkOut(await h.getlk(c, ino(q), decodeLk(q.body)))] }],
  [Opcode.SETLK, { method: 'setlk', run: async (h, c, q) => (await h.setlk(c, ino(q), decodeLk(q.body), false), EMPTY) }],
  [Opcode.SETLKW, { method: 'setlk', run: async (h, c, q) => (await h.setlk(c, ino(q), decodeLk(q.body), true), EMPTY) }],
  [Opcode.ACCESS, { method: 'access', run: async (h, c, q) => (await h.access(c, ino(q), decodeAccess(q.body).mask), EMPTY) }],
  [Opcode.CREATE, {
    method: 'create',
    run: async (h, c, q) => {
      const r = await h.create(c, ino(q), decodeCreate(q.body));
      return [encodeEntryOut(r.entry), encodeOpenOut(r.open)];
    },
  }],
  [Opcode.FALLOCATE, { method: 'fallocate', run: async (h, c, q) => (await h.fallocate(c, ino(q), decodeFallocate(q.body)), EMPTY) }],
  [Opcode.LSEEK, {
    method: 'lseek',
    run: async (h, c, q) => {
      const l = decodeLseek(q.body);
      return [encodeLseekOut(await h.lseek(c, ino(q), l.fh, l.offset, l.whence))];
    },
  }],
  [Opcode.IOCTL, {
    method: 'ioctl',
    run: async (h, c, q) => {
      const r = decodeIoctl(q.body);
      // Unrestricted ioctls need the retry-with-iovecs dance only CUSE servers do.
      if ((r.flags & FUSE_IOCTL.UNRESTRICTED) !== 0) throw fsError('ENOTTY', `unrestricted ioctl 0x${(r.cmd >>> 0).toString(16)} is not supported`);
      const out = await h.ioctl(c, ino(q), r);
      return [encodeIoctlOut(0), out.subarray(0, r.outSize)];
    },
  }],
  [Opcode.COPY_FILE_RANGE, {
    method: 'copyFileRange',
    run: async (h, c, q) => {
      // fuse_write_out.size is 32-bit: ask for at most that much; the caller loops on a short copy.
      const r = decodeCopyFileRange(q.body);
      const n = await h.copyFileRange(c, ino(q), { ...r, len: Math.min(r.len, 0xfffff000) });
      return [encodeWriteOut(n)];
    },
  }],
]);
