import type { Readable } from 'node:stream';

/** One thing `juicefs sync` can copy: a file, a directory (key ends with "/") or a symlink. */
export interface SyncEntry {
  /** Path relative to the endpoint's root, "/"-separated; directories end with "/". */
  key: string;
  size: number;
  /** Last modification, ms since the epoch (0: unknown, as some object stores say). */
  mtime: number;
  /** Permission bits where the endpoint has them (files and directories of file systems). */
  mode?: number;
  isDir: boolean;
  /** The target of a symlink (with --links; without it, links are followed). */
  linkTarget?: string;
}

export interface WriteOptions {
  perms: boolean;
  inplace: boolean;
}

export interface ListOptions {
  links: boolean;
  /** --list-threads: directories read at the same time (file systems; 1: one after another). */
  threads?: number;
  /** --list-depth: how many levels from the root are read in parallel. */
  depth?: number;
}

/**
 * Either side of a sync: a local directory, an object storage prefix, or a directory of a
 * JuiceFS volume. Keys are relative to the root the user named.
 */
export interface SyncTree {
  /** How the user would recognise it in messages (no secrets). */
  readonly description: string;
  /** Whether it keeps directories, modes and symlinks (file systems do; object stores do not). */
  readonly isFileSystem: boolean;
  /** Make the root (a directory, a bucket) if it is missing, before the sync writes into it. */
  create(): Promise<void>;
  /**
   * File systems: whether the root is an existing directory. A missing SRC must not list as
   * empty: with --delete-dst a mistyped path would empty DST. (An object store has no such
   * thing: an empty prefix is a valid, empty source.)
   */
  rootIsDirectory?(): Promise<boolean>;
  /** Every entry below the root, sorted by key (byte order). */
  list(options: ListOptions): Promise<SyncEntry[]>;
  /** The entry at `key` as it is now (following symlinks unless `links`), undefined if there is none (--check-change). */
  head(key: string, options: { links: boolean }): Promise<SyncEntry | undefined>;
  read(entry: SyncEntry): Promise<Readable>;
  /**
   * Write a file whole from `data`, then give it `entry`'s mtime (and mode with `perms`). File
   * systems write through a temporary name renamed into place, unless `inplace` (--inplace).
   */
  write(entry: SyncEntry, data: Readable, options: WriteOptions): Promise<void>;
  /**
   * File systems: remove the temporary file an interrupted write of `key` by process `pid` left
   * (a distributed sync's worker that died half-way); nothing when there is none. Object stores
   * write whole objects and leave nothing to remove.
   */
  removeTemporary?(key: string, pid: number): Promise<void>;
  mkdir(entry: SyncEntry, perms: boolean): Promise<void>;
  symlink(entry: SyncEntry): Promise<void>;
  remove(entry: SyncEntry): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where a file-system tree writes `file` ("/"-separated) before renaming it into place: a hidden
 * name beside it that says which process wrote it, so concurrent writers never share one.
 */
export function temporaryName(file: string, pid: number): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash + 1)}.${file.slice(slash + 1)}.jfssync${pid}`;
}

/** Byte-order comparison of keys, the order every listing is merged in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** What walking a file system needs: Node's fs and the JuiceFS path API both fit. */
export interface StatLike {
  size: number;
  mtimeMs: number;
  mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export interface WalkOps {
  readdir(rel: string): Promise<string[]>;
  lstat(rel: string): Promise<StatLike>;
  stat(rel: string): Promise<StatLike>;
  readlink(rel: string): Promise<string>;
}

/**
 * Every file, directory and (with `links`) symlink below a file system root, sorted by key.
 * Without `links` a symlink is what it points to, and a dangling one is left out. A root that
 * does not exist yet (a destination) lists as empty.
 */
export async function walkFileSystem(ops: WalkOps, links: boolean, parallel: { threads?: number; depth?: number } = {}): Promise<SyncEntry[]> {
  const out: SyncEntry[] = [];
  const threads = Math.max(1, parallel.threads ?? 1);
  const depthLimit = Math.max(0, parallel.depth ?? 1);
  // --list-threads/--list-depth, as JuiceFS splits a listing: each directory within the top
  // --list-depth levels is read on its own, and below that depth each subtree is walked whole,
  // one after another inside it; at most `threads` of these run at once. A slot is never held
  // while waiting for subdirectories, so nested walks cannot deadlock. The result is sorted at
  // the end, so the order they finish in does not matter.
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    if (active < threads) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const sequential = async (rel: string): Promise<void> => {
    for (const d of await readLevel(rel)) await sequential(d);
  };
  const walk = async (rel: string, level: number): Promise<void> => {
    await acquire();
    let subdirs: string[] = [];
    try {
      if (level >= depthLimit) {
        await sequential(rel);
        return;
      }
      subdirs = await readLevel(rel);
    } finally {
      release();
    }
    await Promise.all(subdirs.map((d) => walk(d, level + 1)));
  };
  /** Read one directory into `out`; its subdirectories' keys are returned for the caller to walk. */
  const readLevel = async (rel: string): Promise<string[]> => {
    const subdirs: string[] = [];
    let names: string[];
    try {
      names = await ops.readdir(rel);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT' && rel === '') return subdirs;
      throw err;
    }
    for (const name of names) {
      const key = rel + name;
      let st = await ops.lstat(key);
      if (st.isSymbolicLink()) {
        if (links) {
          out.push({ key, size: 0, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: false, linkTarget: await ops.readlink(key) });
          continue;
        }
        try {
          st = await ops.stat(key);
        } catch {
          continue; // dangling
        }
      }
      if (st.isDirectory()) {
        out.push({ key: `${key}/`, size: 0, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: true });
        subdirs.push(`${key}/`);
      } else if (st.isFile()) {
        out.push({ key, size: st.size, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: false });
      }
    }
    return subdirs;
  };
  if (threads === 1) await sequential('');
  else await walk('', 0);
  return out.sort((a, b) => compareKeys(a.key, b.key));
}

/** What a file system says of one path now, as a sync entry (for --check-change); undefined if it is gone. */
export async function headFileSystem(ops: Pick<WalkOps, 'lstat' | 'stat' | 'readlink'>, key: string, links: boolean): Promise<SyncEntry | undefined> {
  try {
    const st = links ? await ops.lstat(key) : await ops.stat(key);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) return { key, size: 0, mtime: st.mtimeMs, mode, isDir: false, linkTarget: await ops.readlink(key) };
    return { key, size: st.isDirectory() ? 0 : st.size, mtime: st.mtimeMs, mode, isDir: st.isDirectory() };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}
