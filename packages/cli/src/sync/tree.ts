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
  /** Every entry below the root, sorted by key (byte order). */
  list(options: { links: boolean }): Promise<SyncEntry[]>;
  read(entry: SyncEntry): Promise<Readable>;
  /** Write a file whole from `data`, then give it `entry`'s mtime (and mode with `perms`). */
  write(entry: SyncEntry, data: Readable, perms: boolean): Promise<void>;
  mkdir(entry: SyncEntry, perms: boolean): Promise<void>;
  symlink(entry: SyncEntry): Promise<void>;
  remove(entry: SyncEntry): Promise<void>;
  close(): Promise<void>;
}

/** Byte-order comparison of keys, the order every listing is merged in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
