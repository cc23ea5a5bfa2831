import { hasCode, NodeType, O_RDONLY, O_WRONLY, type Attr, type Ino, type JfsStats, type JuiceFS } from '@juicefs/core';
import { s3 } from './errors.js';

// Small path-API helpers the gateway needs beyond what JuiceFS offers by name.

/** stat, or undefined when the path (or a directory on the way) does not exist. */
export async function statOrNone(fs: JuiceFS, path: string): Promise<JfsStats | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** An xattr's value as text, or undefined when it is not set. */
export async function xattrOrNone(fs: JuiceFS, path: string, name: string): Promise<string | undefined> {
  try {
    return (await fs.getxattr(path, name)).toString();
  } catch (err) {
    if (hasCode(err, 'ENODATA')) return undefined;
    throw err;
  }
}

/**
 * Every missing directory of `path`; a file on the way is S3's "parent is an object". Made by
 * the gateway's user with the volume umask, as JuiceFS's gateway does.
 */
export async function mkdirAll(fs: JuiceFS, path: string, key: string): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true });
  } catch (err) {
    if (hasCode(err, 'ENOTDIR') || hasCode(err, 'EEXIST')) throw s3.parentIsObject(key);
    throw err;
  }
}

/**
 * Set only the atime. JuiceFS's gateway marks a directory made by a "dir/" PUT with atime 0 (a
 * directory object), and resets it to now when that object is deleted; reads do not move atime
 * here (the volume is opened with noatime semantics), so the mark stays.
 */
export async function setAtime(fs: JuiceFS, path: string, sec: number): Promise<void> {
  const st = await fs.stat(path);
  await fs.vfs.setattr(fs.ctx, st.ino, { atime: { sec, nsec: 0 } });
}

/** One entry of a directory listing with its attributes (symlinks followed, broken ones left out). */
export interface DirItem {
  name: string;
  attr: Attr;
  ino: Ino;
}

/** A directory's entries with attributes, through one readdirplus rather than a stat per entry. */
export async function listDir(fs: JuiceFS, dir: string): Promise<DirItem[]> {
  const st = await fs.stat(dir);
  const { fh } = await fs.vfs.opendir(fs.ctx, st.ino);
  const out: DirItem[] = [];
  try {
    let offset = 0;
    for (;;) {
      const page = await fs.vfs.readdir(fs.ctx, st.ino, fh, offset, { limit: 1000, plus: true });
      if (page.length === 0) break;
      for (const e of page) {
        const name = e.name.toString();
        if (name === '.' || name === '..') continue;
        if (e.type === NodeType.Symlink) {
          const target = await statOrNone(fs, `${dir === '/' ? '' : dir}/${name}`).catch(() => undefined);
          if (!target) continue;
          const attr = (await fs.vfs.getattr(fs.ctx, target.ino)).attr;
          out.push({ name, attr, ino: target.ino });
        } else if (e.attr) {
          out.push({ name, attr: e.attr, ino: e.ino });
        } else {
          out.push({ name, attr: (await fs.vfs.getattr(fs.ctx, e.ino)).attr, ino: e.ino });
        }
      }
      offset = page[page.length - 1]!.offset;
    }
  } finally {
    await fs.vfs.releasedir(fs.ctx, st.ino, fh);
  }
  return out;
}

/**
 * Append the files `sources` one after the other into the new file `dst`, sharing their slices
 * (copy_file_range: no data is read or written), as JuiceFS's gateway assembles a multipart upload.
 */
export async function concatFiles(fs: JuiceFS, sources: Array<{ path: string; size: number }>, dst: string): Promise<number> {
  await fs.writeFile(dst, '');
  const out = await fs.stat(dst);
  const outFh = (await fs.vfs.open(fs.ctx, out.ino, O_WRONLY)).fh;
  let total = 0;
  try {
    for (const src of sources) {
      const ino = (await fs.stat(src.path)).ino;
      const inFh = (await fs.vfs.open(fs.ctx, ino, O_RDONLY)).fh;
      try {
        for (let done = 0; done < src.size; ) {
          const n = await fs.vfs.copyFileRange(fs.ctx, ino, inFh, done, out.ino, outFh, total + done, src.size - done);
          if (n === 0) break;
          done += n;
        }
      } finally {
        await fs.vfs.release(fs.ctx, ino, inFh);
      }
      total += src.size;
    }
    await fs.vfs.flush(fs.ctx, out.ino, outFh, 0n);
  } finally {
    await fs.vfs.release(fs.ctx, out.ino, outFh);
  }
  return total;
}
