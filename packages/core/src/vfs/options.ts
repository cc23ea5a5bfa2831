import type { Attr, NodeType } from '../types/attr.js';
import type { Format } from '../types/format.js';
import type { Ino } from '../types/inode.js';
import type { Meta } from '../meta/meta.js';
import type { ChunkStore } from '../chunk/store.js';
import type { ControlHandler } from './control-channel.js';

/** Run-time settings of a VFS (the mount flags that concern it). Times are seconds. */
export interface VfsOptions {
  /** Kernel attribute cache timeout, also the VFS's own attribute cache (JuiceFS --attr-cache, 1 s). */
  attrCache: number;
  /** Kernel entry cache timeout for files (--entry-cache, 1 s). */
  entryCache: number;
  /** Kernel entry cache timeout for directories (--dir-entry-cache, 1 s). */
  dirEntryCache: number;
  /** Refuse every change with EROFS (--read-only). */
  readOnly: boolean;
  /** Largest write the FUSE layer will hand us (--max-fuse-io; 128 KiB unless a mount says): shown in `.config`. */
  maxWrite: number;
  /** Bytes of unflushed writes per VFS before writers are flushed early (--buffer-size, 300 MiB). */
  bufferSize: number;
  /** Seconds after the last write before an open file's buffered data is committed in the background (0: only on flush). */
  flushDelay: number;
  /** Compact a chunk in the background when a read finds at least this many slices in it (JuiceFS: 5; 0 disables). */
  compactThreshold: number;
  /** Name the virtual files `.jfs.accesslog`, `.jfs.stats`… so they cannot clash with user files (--prefix-internal). */
  prefixInternal: boolean;
  /** Leave `.accesslog`, `.stats`, `.config` and `.trash` out of the root listing (--hide-internal). */
  hideInternal: boolean;
  /**
   * No `.trash` at all (neither listed nor found): a mount of a subdirectory (--subdir) must not
   * show what was deleted elsewhere in the volume.
   */
  hideTrash: boolean;
  /**
   * Serve the virtual files `.control`, `.accesslog`, `.stats` and `.config` (a mount's). Servers
   * that hand the volume to other people (gateway, webdav) turn them off: `.config` holds the
   * volume's secrets and `.control` takes commands. Their names are then ordinary names, as in
   * JuiceFS's pkg/fs, which has no virtual files.
   */
  virtualFiles: boolean;
  /** List directories sorted by name (--sort-dir) instead of in the engine's order. */
  sortDir: boolean;
  /** Version string shown in `.config`. */
  version: string;
  /** Mount point, when there is one (shown in `.config`). */
  mountPoint: string;
  /** How the mount's chunk store is set up, shown in `.config`'s Chunk beside what the VFS knows. */
  chunkConfig: ChunkConfigShown;
  /**
   * The first handle number to give out (default 1). A mount worker restarted on a connection an
   * earlier worker served numbers its handles above the earlier ones, so the kernel's old handle
   * numbers never name a new handle (see the FUSE adapter's `handlesFrom`).
   */
  firstHandle: number;
}

/**
 * Members of Go's chunk.Config that tools read from `.config`, under Go's names: JuiceFS's
 * `umount --flush` waits for `<CacheDir>/rawstaging` to empty when Writeback is set, and
 * `juicefs debug` looks in CacheDir. CacheDir is the volume's own directory (`<--cache-dir>/<UUID>`),
 * or `memory`.
 */
export interface ChunkConfigShown {
  CacheDir?: string;
  CacheSize?: number;
  FreeSpace?: number;
  Writeback?: boolean;
  Compress?: string;
  MaxUpload?: number;
}

export const DEFAULT_VFS_OPTIONS: VfsOptions = {
  attrCache: 1,
  entryCache: 1,
  dirEntryCache: 1,
  readOnly: false,
  maxWrite: 128 * 1024,
  bufferSize: 300 << 20,
  flushDelay: 5,
  compactThreshold: 5,
  hideInternal: false,
  prefixInternal: false,
  hideTrash: false,
  virtualFiles: true,
  sortDir: false,
  version: '1.4.0',
  mountPoint: '',
  chunkConfig: {},
  firstHandle: 1,
};

/** What a VFS is built from. */
export interface VfsInit {
  meta: Meta;
  store: ChunkStore;
  format: Format;
  options?: Partial<VfsOptions>;
  /** Extra `name value` lines appended to `.stats` (e.g. the CLI's Prometheus registry). */
  extraStats?: () => string;
  /** Serves `.control` messages (info, warmup, rmr… of the CLI); without it they answer ENOSYS. */
  control?: ControlHandler;
}

/** A node the kernel may cache: LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE replies. */
export interface EntryReply {
  ino: Ino;
  attr: Attr;
  /** Seconds the kernel may cache the attributes. */
  attrTimeout: number;
  /** Seconds the kernel may cache the name → inode mapping. */
  entryTimeout: number;
}

/** GETATTR / SETATTR reply. */
export interface AttrReply {
  attr: Attr;
  attrTimeout: number;
}

/** OPEN reply: a file handle plus the FOPEN_* hints. */
export interface OpenReply extends AttrReply {
  fh: number;
  /** Bypass the kernel page cache (internal files, whose content changes without mtime). */
  directIo: boolean;
  /** The kernel may keep its page cache from earlier opens. */
  keepCache: boolean;
}

/**
 * How the caller will use a file handle beyond its open flags. A FUSE mount with the kernel's
 * writeback cache (`-o writeback_cache`) sets `kernelWriteback`: the kernel then reads pages
 * through any handle (to fill a page before a partial write, even on an O_WRONLY one) and places
 * O_APPEND writes at its own end of file, sending page-sized writes at explicit offsets. Such a
 * handle is readable whatever its access mode, and its writes go where they say; the open itself
 * is checked with the flags as given (permissions, chattr +a), as libfuse's passthrough_ll does.
 */
export interface OpenUse {
  kernelWriteback?: boolean;
  /** The opener lacks CAP_FSETID (FUSE_OPEN_KILL_SUIDGID): an O_TRUNC also clears setuid/setgid. */
  killSetid?: boolean;
}

/** CREATE reply: the new node and its open handle. */
export interface CreateReply extends EntryReply {
  fh: number;
  directIo: boolean;
  keepCache: boolean;
}

/** One directory entry as READDIR(PLUS) returns it. */
export interface DirEntryReply {
  name: Buffer;
  ino: Ino;
  type: NodeType;
  /** Offset of the entry after this one: pass it back to continue the listing. */
  offset: number;
  /** Present for readdirplus. */
  attr?: Attr;
  attrTimeout: number;
  entryTimeout: number;
}

export interface ReaddirRequest {
  /** Return attributes (READDIRPLUS). */
  plus?: boolean;
  /** At most this many entries. */
  limit?: number;
}

/** STATFS reply in the units struct statvfs uses. */
export interface StatfsReply {
  /** Total blocks of `bsize` bytes. */
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  frsize: number;
  namelen: number;
}
