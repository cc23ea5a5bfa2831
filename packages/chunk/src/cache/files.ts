import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_DIRECT_WRITE_BELOW, readFully } from '../object/direct-io.js';

// Cache files are local like a file bucket: small ones are cheaper to write with direct calls
// than through four thread-pool hops (see DEFAULT_DIRECT_WRITE_BELOW).
const tempTag = `${process.pid.toString(16)}${randomBytes(2).toString('hex')}`;
let tempCount = 0;

/** A temporary name beside `file`, unique in this process (never a valid block name). */
export function tempNameOf(file: string): string {
  return `${file}.tmp.${tempTag}${(tempCount++).toString(16)}`;
}

/**
 * Writes `data` (then `trailer`, the checksums of a cache file) to `file` through a temporary file
 * and a rename, so readers never see half a block. `mode` is the new file's (less the umask, as
 * JuiceFS creates its cache files).
 */
export async function writeFileAtomic(file: string, data: Buffer, mode = 0o600, trailer?: Buffer): Promise<void> {
  const tmp = tempNameOf(file);
  if (data.length <= DEFAULT_DIRECT_WRITE_BELOW) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(tmp, trailer ? Buffer.concat([data, trailer]) : data, { mode });
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    return;
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  try {
    const fh = await fsp.open(tmp, 'w', mode);
    try {
      await fh.writev(trailer ? [data, trailer] : [data]);
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** A descriptor of `file` open for reading; undefined when the file is missing (evicted meanwhile). */
export function openIfPresent(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads `size` bytes at `offset` of `file`; undefined when the file is missing. */
export async function readRange(file: string, offset: number, size: number): Promise<Buffer | undefined> {
  const fd = openIfPresent(file);
  if (fd === undefined) return undefined;
  try {
    return await readFully(fd, Buffer.allocUnsafe(size), offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** A file found by `listFiles`. */
export interface ListedFile {
  /** Path relative to the listed directory, with "/" separators. */
  rel: string;
  size: number;
  /** Last access and modification, ms since the epoch. */
  atimeMs: number;
  mtimeMs: number;
  links: number;
}

/** Every regular file below `dir`. */
export async function listFiles(dir: string): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  async function walk(sub: string): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(dir, sub));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const rel = sub ? `${sub}/${name}` : name;
      const st = await fsp.lstat(path.join(dir, rel));
      if (st.isDirectory()) await walk(rel);
      else if (st.isFile()) out.push({ rel, size: st.size, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs, links: st.nlink });
    }
  }
  await walk('');
  return out;
}

/**
 * The mode JuiceFS gives cache directories for a `--cache-mode`: whoever may read the blocks may
 * also enter the directories and add files to them (pkg/chunk/disk_cache.go, createDir): 0600
 * gives 0700, 0640 gives 0770, 0644 gives 0777.
 */
export function cacheDirMode(fileMode: number): number {
  const read = fileMode & 0o444;
  return (fileMode | (read >> 2) | (read >> 1)) & 0o7777;
}

/**
 * Makes `dir` and any missing parents with exactly `mode` (a chmod after each mkdir, as the umask
 * may have taken bits away). Directories that exist keep theirs.
 */
export function makeDirs(dir: string, mode: number): void {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirs(parent, mode);
  try {
    fs.mkdirSync(dir, { mode });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
    return; // made meanwhile by someone else: theirs
  }
  fs.chmodSync(dir, mode);
}
