import {
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_MIN_MINOR_VERSION,
  InitFlag,
  type InitIn,
  type InitOut,
} from '../protocol/index.js';
import type { ConnectionInfo, FuseHandler } from './handler.js';

export const PAGE_SIZE = 4096;
export const MAX_MAX_WRITE = 1 << 20;

/** Tunables of a session; all optional. */
export interface SessionOptions {
  /** Largest WRITE the kernel sends (default and maximum 1 MiB). */
  maxWrite?: number;
  /** Largest readahead (default 1 MiB; never more than the kernel offers). */
  maxReadahead?: number;
  /** Let the kernel cache writes (WRITEBACK_CACHE); off by default: it changes mtime/size ownership. */
  writebackCache?: boolean;
  /** Let the kernel pass O_TRUNC to open instead of a separate SETATTR (default true). */
  atomicOTrunc?: boolean;
  /** NFS export support (lookups of "." and ".."); default true. */
  exportSupport?: boolean;
  /** Background (async) requests the kernel keeps in flight (default 64). */
  maxBackground?: number;
  /** Log sink for unexpected errors; default console.error. */
  log?: (message: string) => void;
  /** Log every request and reply (opcode, unique, errno). */
  debug?: boolean;
  /**
   * Answer every xattr request ENOSYS (go-fuse's DisableXAttrs; `juicefs mount` without
   * --enable-xattr). The kernel then stops sending them for the life of the mount, which also
   * spares the security.capability GETXATTR it sends before every WRITE; callers get EOPNOTSUPP.
   */
  disableXattrs?: boolean;
  /**
   * Ask the kernel to pass CREATE, MKDIR and MKNOD modes without the caller's umask applied
   * (DONT_MASK), for a handler that applies a umask of its own (`juicefs mount --umask`). The
   * caller's umask still arrives in the request.
   */
  dontMask?: boolean;
  /**
   * Serve a connection another process already initialised (a restarted mount worker): no INIT
   * is awaited, these are the terms it negotiated, and the kernel is asked to send again the
   * requests the previous server read but never answered (FUSE_NOTIFY_RESEND, Linux 6.9+).
   */
  resume?: ConnectionInfo;
}

export type InitResult =
  | { kind: 'ok'; out: InitOut }
  /** The kernel speaks a newer major: tell it ours, it will send INIT again. */
  | { kind: 'retry'; out: InitOut }
  | { kind: 'refuse'; reason: string };

/**
 * Choose the protocol and features: minor = min(kernel, ours), and each feature only when the
 * kernel offers it and (for handler-backed ones) the handler implements the operation.
 */
export function negotiateInit(k: InitIn, handler: FuseHandler, o: SessionOptions): InitResult {
  const maxWrite = Math.max(PAGE_SIZE, Math.min(o.maxWrite ?? MAX_MAX_WRITE, MAX_MAX_WRITE));
  const base: InitOut = {
    major: FUSE_KERNEL_VERSION,
    minor: FUSE_KERNEL_MINOR_VERSION,
    maxReadahead: 0,
    flags: 0,
    flags2: 0,
    maxBackground: 0,
    congestionThreshold: 0,
    maxWrite: 0,
    timeGran: 0,
    maxPages: 0,
  };
  if (k.major > FUSE_KERNEL_VERSION) return { kind: 'retry', out: base };
  if (k.major < FUSE_KERNEL_VERSION || k.minor < FUSE_MIN_MINOR_VERSION) {
    return {
      kind: 'refuse',
      reason: `kernel FUSE protocol ${k.major}.${k.minor} is older than 7.${FUSE_MIN_MINOR_VERSION}, the oldest this server speaks; use a Linux 5.4 or newer kernel`,
    };
  }
  let want =
    InitFlag.ASYNC_READ |
    InitFlag.BIG_WRITES |
    InitFlag.MAX_PAGES |
    InitFlag.PARALLEL_DIROPS |
    InitFlag.AUTO_INVAL_DATA |
    InitFlag.ASYNC_DIO;
  if (o.atomicOTrunc ?? true) want |= InitFlag.ATOMIC_O_TRUNC;
  if (o.exportSupport ?? true) want |= InitFlag.EXPORT_SUPPORT;
  if (o.writebackCache === true) want |= InitFlag.WRITEBACK_CACHE;
  if (o.dontMask === true) want |= InitFlag.DONT_MASK;
  if (handler.getlk !== undefined && handler.setlk !== undefined) want |= InitFlag.POSIX_LOCKS;
  if (handler.setlk !== undefined) want |= InitFlag.FLOCK_LOCKS;
  if (handler.ioctl !== undefined) want |= InitFlag.HAS_IOCTL_DIR;
  if (handler.readdirplus !== undefined) want |= InitFlag.DO_READDIRPLUS | InitFlag.READDIRPLUS_AUTO;
  if (handler.handleKillpriv === true) want |= InitFlag.HANDLE_KILLPRIV_V2;
  const flags = (want & k.flags) >>> 0;
  const maxPages = (flags & InitFlag.MAX_PAGES) !== 0 ? Math.ceil(maxWrite / PAGE_SIZE) : 0;
  const maxBackground = Math.min(o.maxBackground ?? 64, 0xffff);
  return {
    kind: 'ok',
    out: {
      major: FUSE_KERNEL_VERSION,
      minor: Math.min(k.minor, FUSE_KERNEL_MINOR_VERSION),
      maxReadahead: Math.min(k.maxReadahead, o.maxReadahead ?? MAX_MAX_WRITE),
      flags,
      flags2: 0,
      maxBackground,
      congestionThreshold: Math.floor((maxBackground * 3) / 4),
      // Without MAX_PAGES the kernel caps writes at 32 pages.
      maxWrite: maxPages > 0 ? maxWrite : Math.min(maxWrite, 32 * PAGE_SIZE),
      timeGran: 1,
      maxPages,
    },
  };
}
