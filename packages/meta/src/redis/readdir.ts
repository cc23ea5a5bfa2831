import { fsError, type Ino, type NodeType } from '@juicefs/core';
import { decodeEntry } from '../codec/entry.js';
import { fieldBytes } from './overlay.js';
import type { WatchingReader } from './reader.js';

type DirEntry = { name: Buffer; ino: Ino; type: NodeType };

/**
 * One page of a directory via HSCAN. The opaque cursor is `<hscan cursor>:<hex of last name>`:
 * an HSCAN batch can hold more entries than the page wants, so the rest of that batch is fetched
 * again from the same HSCAN cursor and resumed after the last name returned (batches are sorted
 * by name bytes), which yields each entry once even if earlier ones were removed meanwhile.
 * When the transaction itself changed the directory, `merged` holds the full merged hash and the
 * cursor is `m:<hex of last name>`.
 */
export async function listEntriesPage(
  reader: WatchingReader,
  key: string,
  cursor: string | undefined,
  limit: number,
  merged: Map<string, Buffer> | undefined,
): Promise<{ entries: DirEntry[]; cursor?: string }> {
  const want = Math.max(1, Math.floor(limit));
  let [scan, after] = parseCursor(cursor);
  if (merged) {
    const all = sortByName([...merged].map(([f, v]) => [fieldBytes(f), v] as const));
    const rest = after ? all.filter(([n]) => Buffer.compare(n, after!) > 0) : all;
    const page = rest.slice(0, want);
    const entries = page.map(([n, v]) => toEntry(key, n, v));
    const last = page[page.length - 1];
    return rest.length > want && last ? { entries, cursor: `m:${last[0].toString('hex')}` } : { entries };
  }
  if (scan === 'm') scan = '0';

  const entries: DirEntry[] = [];
  const seen = new Set<string>();
  for (;;) {
    const [next, flat] = await reader.readOne<[Buffer, Buffer[]]>([key], (p) => p.hscanBuffer(key, scan, 'COUNT', want));
    const nextCursor = next.toString();
    const batch: Array<readonly [Buffer, Buffer]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) batch.push([flat[i]!, flat[i + 1]!]);
    let sorted = sortByName(batch);
    if (after) {
      const a = after;
      sorted = sorted.filter(([n]) => Buffer.compare(n, a) > 0);
    }
    for (const [name, value] of sorted) {
      const id = name.toString('latin1');
      if (seen.has(id)) continue; // HSCAN may repeat an element while the hash is rehashed
      if (entries.length === want) {
        const last = entries[entries.length - 1]!;
        return { entries, cursor: `${scan}:${last.name.toString('hex')}` };
      }
      seen.add(id);
      entries.push(toEntry(key, name, value));
    }
    after = undefined;
    scan = nextCursor;
    if (scan === '0') return { entries };
    if (entries.length === want) return { entries, cursor: `${scan}:` };
  }
}

function parseCursor(cursor: string | undefined): [string, Buffer | undefined] {
  if (cursor === undefined || cursor === '') return ['0', undefined];
  const m = /^(m|\d+):([0-9a-f]*)$/.exec(cursor);
  if (!m) throw fsError('EINVAL', `invalid readdir cursor "${cursor}" for the Redis engine`);
  const hex = m[2] ?? '';
  return [m[1] ?? '0', hex === '' ? undefined : Buffer.from(hex, 'hex')];
}

function sortByName<T extends readonly [Buffer, Buffer]>(items: T[]): T[] {
  return items.sort((a, b) => Buffer.compare(a[0], b[0]));
}

function toEntry(key: string, name: Buffer, value: Buffer): DirEntry {
  const { ino, type } = decodeEntry(value, `entry "${name.toString()}" of ${key}`);
  return { name, ino, type };
}
