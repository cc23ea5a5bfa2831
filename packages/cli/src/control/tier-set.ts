import { blockKey, blocksOf } from '@juicefs/chunk';
import { CHUNK_SIZE, NodeType, ROOT_CONTEXT, TRASH_INODE, type Attr, type Format, type Ino, type Meta, type ObjectStorage } from '@juicefs/core';

// `juicefs tier set`: a file's or a directory's storage tier (JuiceFS 1.4), as upstream does it:
// the objects of each file are rewritten in the tier's storage class, then its attributes take the
// tier id; a directory takes the id (new nodes inherit it) and so do its entries, and with
// `recursive` everything below it.

export interface TierSetOptions {
  /** The tier's storage class; undefined where the storage cannot set one (objects are left as they are). */
  storageClass: string | undefined;
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
 * Puts an object again with `storageClass`. OpenDAL will not copy an object onto its own key, so
 * the bytes are read and written back (through the volume's encryption, which seals them anew).
 */
async function rewrite(storage: ObjectStorage, key: string, storageClass: string): Promise<void> {
  const data = await storage.get(key);
  await storage.put(key, data, { storageClass });
}

export async function setTier(meta: Meta, storage: ObjectStorage, format: Format, top: { ino: Ino; attr: Attr }, tier: number, o: TierSetOptions): Promise<TierSetResult> {
  const result: TierSetResult = { nodes: 0, objects: 0, skipped: 0 };
  const one = async (ino: Ino, attr: Attr): Promise<void> => {
    if (attr.type !== NodeType.File && attr.type !== NodeType.Directory) return;
    if (attr.tier === tier && !o.force) {
      result.skipped++;
      return;
    }
    let objects = 0;
    if (attr.type === NodeType.File && o.storageClass !== undefined) {
      for (const key of await objectKeysOf(meta, format, ino, attr.length)) {
        await rewrite(storage, key, o.storageClass);
        objects++;
      }
    }
    // After the objects: an interrupted run leaves the file in its old tier, to be set again.
    await meta.setAttr(ROOT_CONTEXT, ino, { tier });
    result.nodes++;
    result.objects += objects;
    o.onNode?.(objects);
  };
  const visitDir = async (dir: Ino): Promise<void> => {
    let cursor: string | undefined;
    do {
      const page = await meta.readdir(ROOT_CONTEXT, dir, { plus: true, ...(cursor !== undefined ? { cursor } : {}) });
      for (const e of page.entries) {
        if (e.ino >= TRASH_INODE) continue; // the trash keeps what it holds as it was
        const attr = e.attr ?? (await meta.getAttr(ROOT_CONTEXT, e.ino));
        await one(e.ino, attr);
        if (attr.type === NodeType.Directory && o.recursive) await visitDir(e.ino);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  };
  await one(top.ino, top.attr);
  if (top.attr.type === NodeType.Directory) await visitDir(top.ino);
  return result;
}
