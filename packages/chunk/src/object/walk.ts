import type { Entry, Operator } from 'opendal';
import { messageOf } from './errors.js';

/**
 * Every object whose key starts with `prefix`, for services that cannot list recursively
 * (OpenDAL's fs): list the directory holding the prefix and descend into matching
 * sub-directories. Keys come back unsorted; directories are not returned.
 */
export async function walkPrefix(op: Operator, prefix: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  await walkDir(op, dir, prefix, out);
  return out;
}

async function walkDir(op: Operator, dir: string, prefix: string, out: Entry[]): Promise<void> {
  let entries: Entry[];
  try {
    entries = await op.list(dir);
  } catch (err) {
    if (messageOf(err).startsWith('NotFound ')) return;
    throw err;
  }
  for (const e of entries) {
    const p = e.path();
    if (p === dir || p === '/' || !p.startsWith(prefix.slice(0, Math.min(prefix.length, p.length)))) continue;
    if (p.endsWith('/')) {
      if (p.startsWith(prefix) || prefix.startsWith(p)) await walkDir(op, p, prefix, out);
    } else if (p.startsWith(prefix)) {
      out.push(e);
    }
  }
}
