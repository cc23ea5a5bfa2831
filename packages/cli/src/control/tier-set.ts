import { blockKey, blocksOf } from '@juicefs/chunk';
import { CHUNK_SIZE, NodeType, ROOT_CONTEXT, TRASH_INODE, type Attr, type Format, type Ino, type Meta, type ObjectStorage, type PutOptions, type RestoreState } from '@juicefs/core';

// `juicefs tier set` and `tier restore` (JuiceFS 1.4), as upstream walks them: a file, or a
// directory and its entries (with `recursive` everything below it). `set` rewrites each file's
// objects in the tier's storage class and with its tags, then gives the node the tier id (a
// directory's new nodes inherit it); `restore` asks the object store for readable copies of
// archived objects.

export interface TierSetOptions {
  /** The tier's storage class and tags; undefined where the storage can set neither (objects are left as they are). */
  put: PutOptions | undefined;
  recursive: boolean;
  /** Rewrite entries already in the tier too. */
  force: boolean;
  /** After each node set, with the objects it rewrote. */
  onNode?: (objects: number) => void;
}

export interface TierSetResult {
  nodes: number;
  objects: number;
  /** Nodes already in the tier and left alone (without `force`). */
  skipped: number;
}

/** The object keys of a file's data, each once (slices shared by clones included). */
async function objectKeysOf(meta: Meta, format: Format, ino: Ino, length: number): Promise<string[]> {
  const blockSize = format.BlockSize * 1024;
  const keys = new Set<string>();
  for (let indx = 0; indx * CHUNK_SIZE < length; indx++) {
    for (const s of await meta.readChunk(ROOT_CONTEXT, ino, indx)) {
      if (s.id === 0) continue;
      for (const b of blocksOf(s.id, s.size, blockSize)) keys.add(blockKey(b, format.HashPrefix ?? false));
    }
  }
  return [...keys];
}

/**
 * Puts an object again with the tier's class and tags (a put replaces the old tags). OpenDAL will
 * not copy an object onto its own key, so the bytes are read and written back (through the
 * volume's encryption, which seals them anew).
 */
async function rewrite(storage: ObjectStorage, key: string, put: PutOptions): Promise<void> {
  const data = await storage.get(key);
  await storage.put(key, data, put);
}

/** Calls `visit` for `top`, then its entries (all below it when `recursive`); symlinks, special files and the trash are passed over. */
async function walk(meta: Meta, top: { ino: Ino; attr: Attr }, recursive: boolean, visit: (ino: Ino, attr: Attr) => Promise<void>): Promise<void> {
  const one = async (ino: Ino, attr: Attr): Promise<void> => {
    if (attr.type === NodeType.File || attr.type === NodeType.Directory) await visit(ino, attr);
  };
  const visitDir = async (dir: Ino): Promise<void> => {
    let cursor: string | undefined;
    do {
      const page = await meta.readdir(ROOT_CONTEXT, dir, { plus: true, ...(cursor !== undefined ? { cursor } : {}) });
      for (const e of page.entries) {
        if (e.ino >= TRASH_INODE) continue; // the trash keeps what it holds as it was
        const attr = e.attr ?? (await meta.getAttr(ROOT_CONTEXT, e.ino));
        await one(e.ino, attr);
        if (attr.type === NodeType.Directory && recursive) await visitDir(e.ino);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  };
  await one(top.ino, top.attr);
  if (top.attr.type === NodeType.Directory) await visitDir(top.ino);
}

export async function setTier(meta: Meta, storage: ObjectStorage, format: Format, top: { ino: Ino; attr: Attr }, tier: number, o: TierSetOptions): Promise<TierSetResult> {
  const result: TierSetResult = { nodes: 0, objects: 0, skipped: 0 };
  await walk(meta, top, o.recursive, async (ino, attr) => {
    if (attr.tier === tier && !o.force) {
      result.skipped++;
      return;
    }
    let objects = 0;
    if (attr.type === NodeType.File && o.put !== undefined) {
      for (const key of await objectKeysOf(meta, format, ino, attr.length)) {
        await rewrite(storage, key, o.put);
        objects++;
      }
    }
    // After the objects: an interrupted run leaves the file in its old tier, to be set again.
    await meta.setAttr(ROOT_CONTEXT, ino, { tier });
    result.nodes++;
    result.objects += objects;
    o.onNode?.(objects);
  });
  return result;
}

/** How many objects of the walked files each restore request found in which state. */
export type RestoreCounts = Record<RestoreState, number>;

/** `tier restore`: asks for a restore (`restore`, the volume storage's) of every object of the files under `top`. */
export async function restoreObjects(
  meta: Meta,
  restore: (key: string) => Promise<RestoreState>,
  format: Format,
  top: { ino: Ino; attr: Attr },
  recursive: boolean,
  onObject?: (state: RestoreState) => void,
): Promise<RestoreCounts> {
  const counts: RestoreCounts = { started: 0, 'in-progress': 0, restored: 0, 'not-archived': 0 };
  await walk(meta, top, recursive, async (ino, attr) => {
    if (attr.type !== NodeType.File) return;
    for (const key of await objectKeysOf(meta, format, ino, attr.length)) {
      const state = await restore(key);
      counts[state]++;
      onObject?.(state);
    }
  });
  return counts;
}
