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

/** Writes `data` to `file` through a temporary file and a rename, so readers never see half a block. */
export async function writeFileAtomic(file: string, data: Buffer, mode = 0o600): Promise<void> {
  const tmp = tempNameOf(file);
  if (data.length <= DEFAULT_DIRECT_WRITE_BELOW) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(tmp, data, { mode });
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    return;
  }
  await fsp.mkdir(path.dirname(file), { recursive: true });
  try {
    await fsp.writeFile(tmp, data, { mode });
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Reads `size` bytes at `offset` of `file`; undefined when the file is missing. */
export async function readRange(file: string, offset: number, size: number): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await readFully(fd, Buffer.allocUnsafe(size), offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every regular file below `dir`, as paths relative to it with "/" separators. */
export async function listFiles(dir: string): Promise<Array<{ rel: string; size: number }>> {
  const out: Array<{ rel: string; size: number }> = [];
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
      else if (st.isFile()) out.push({ rel, size: st.size });
    }
  }
  await walk('');
  return out;
}
