import { isVirtualInode, NodeType, TRASH_INODE, type Ino } from '@juicefs/core';
import { JfsStats } from '@juicefs/core';
import { fsErrorToS3 } from './errors.js';
import { listDir, statOrNone } from './fs-helpers.js';
import { MINIO_SYS_DIR, SYS_DIR } from './layout.js';
import type { ObjectInfo, ObjectStore } from './objects.js';

export interface ListRequest {
  prefix: string;
  /** "" lists every key below the prefix; "/" (or any string) groups keys into CommonPrefixes. */
  delimiter: string;
  /** Keys up to and including this one are skipped (V1 marker, V2 start-after or continuation token). */
  marker: string;
  maxKeys: number;
}

export interface ListResult {
  objects: ObjectInfo[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or prefix returned: where the next page starts. */
  nextMarker: string;
}

type Found = { kind: 'object'; key: string; path: string } | { kind: 'prefix'; key: string };

/** Byte order of UTF-8, which S3 sorts keys by (JavaScript's < compares UTF-16 units). */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const after = (key: string, marker: string) => marker === '' || byteOrder(key, marker) > 0;

/**
 * ListObjects over the directory tree: each directory's entries sorted by name, a directory's
 * name with "/" appended, walked depth first, yields the keys in S3's order without sorting the
 * whole bucket. Only the directories the prefix and marker leave possible are read, and with
 * delimiter "/" a directory below the prefix is one CommonPrefix, never descended into.
 * Directories made as "dir/" objects (atime 0) are listed as keys unless --hide-dir-object.
 */
export async function listObjects(store: ObjectStore, bucket: string, r: ListRequest): Promise<ListResult> {
  await store.checkBucket(bucket);
  const result: ListResult = { objects: [], prefixes: [], truncated: false, nextMarker: '' };
  if (r.maxKeys <= 0) return result;
  const walk = walkKeys(store, bucket, r);
  let lastPrefix = '';
  try {
    for (let next = await walk.next(); !next.done; next = await walk.next()) {
      const found = grouped(next.value, r);
      if (found.kind === 'prefix') {
        if (found.key === lastPrefix || !after(found.key, r.marker)) continue;
        lastPrefix = found.key;
      }
      if (result.objects.length + result.prefixes.length === r.maxKeys) {
        result.truncated = true;
        break;
      }
      if (found.kind === 'prefix') result.prefixes.push(found.key);
      else {
        const st = await statOrNone(store.fs, found.path);
        if (!st) continue; // removed while listing
        result.objects.push(await store.infoOf(found.path, found.key, st));
      }
      result.nextMarker = found.key;
    }
  } catch (err) {
    throw fsErrorToS3(err, { bucket });
  } finally {
    await walk.return(undefined);
  }
  return result;
}

/** A key below the prefix with the delimiter after it is its CommonPrefix. */
function grouped(found: Found, r: ListRequest): Found {
  if (found.kind === 'prefix' || r.delimiter === '') return found;
  const rest = found.key.slice(r.prefix.length);
  const at = rest.indexOf(r.delimiter);
  return at < 0 ? found : { kind: 'prefix', key: r.prefix + rest.slice(0, at + r.delimiter.length) };
}

async function* walkKeys(store: ObjectStore, bucket: string, r: ListRequest): AsyncGenerator<Found> {
  const root = store.layout.bucketRoot(bucket);
  // Start in the deepest directory the prefix names: nothing above it can match.
  const startKey = r.prefix.slice(0, r.prefix.lastIndexOf('/') + 1);
  const startPath = startKey === '' ? root : store.layout.objectPath(bucket, startKey);
  const start = await statOrNone(store.fs, startPath);
  if (!start?.isDirectory()) return;
  if (startKey !== '' && startKey === r.prefix && start.atimeMs === 0 && !store.config.hideDirObject && after(startKey, r.marker)) {
    yield { kind: 'object', key: startKey, path: startPath };
  }
  yield* walkDir(store, startPath, startKey, r, [start.ino]);
}

async function* walkDir(store: ObjectStore, dir: string, dirKey: string, r: ListRequest, ancestors: Ino[]): AsyncGenerator<Found> {
  const atVolumeRoot = dir === '/';
  const entries = (await listDir(store.fs, dir))
    .filter((e) => !(atVolumeRoot && (e.name === SYS_DIR || e.name === MINIO_SYS_DIR || isVirtualInode(e.ino) || e.ino === TRASH_INODE)))
    .map((e) => ({ ...e, isDir: e.attr.type === NodeType.Directory, sortName: e.attr.type === NodeType.Directory ? `${e.name}/` : e.name }))
    .sort((a, b) => byteOrder(a.sortName, b.sortName));
  for (const e of entries) {
    const key = dirKey + e.sortName;
    const path = `${dir === '/' ? '' : dir}/${e.name}`;
    if (!e.isDir) {
      if (key.startsWith(r.prefix) && after(key, r.marker)) yield { kind: 'object', key, path };
      continue;
    }
    if (!key.startsWith(r.prefix) && !r.prefix.startsWith(key)) continue;
    // Everything below starts with `key`: all of it is at or before the marker.
    if (r.marker !== '' && byteOrder(key, r.marker) < 0 && !r.marker.startsWith(key)) continue;
    if (r.delimiter === '/' && key.startsWith(r.prefix) && key.length > r.prefix.length) {
      yield { kind: 'prefix', key };
      continue;
    }
    if (ancestors.includes(e.ino)) continue; // a symlink back up the tree
    const st = new JfsStats(e.ino, e.attr);
    if (key.startsWith(r.prefix) && st.atimeMs === 0 && !store.config.hideDirObject && after(key, r.marker)) yield { kind: 'object', key, path };
    yield* walkDir(store, path, key, r, [...ancestors, e.ino]);
  }
}
