import { NodeType, TRASH_INODE, type Ino } from '@juicefs/core';
import type { EngineStore } from '../wiring.js';

/**
 * What `juicefs status --more` adds to the statistic, as JuiceFS names it: files in the trash,
 * files and slices waiting to be deleted, each a count and the bytes they hold. As in JuiceFS,
 * a field that is 0 is left out. Trash slices (slices kept after compaction while the
 * trash keeps files) do not exist in this client: it deletes them at once.
 */
export interface MoreStatistic {
  TrashFileCount?: number;
  TrashFileSize?: number;
  PendingDeletedFileCount?: number;
  PendingDeletedFileSize?: number;
  PendingDeletedSliceCount?: number;
  PendingDeletedSliceSize?: number;
}

const PAGE = 1000;

/** Entries of a directory, page by page, each read as its own transaction (no long lock). */
async function* entriesOf(store: EngineStore, dir: Ino): AsyncGenerator<{ ino: Ino; type: NodeType }> {
  let cursor: string | undefined;
  do {
    const page = await store.txn((tx) => tx.listEntries(dir, cursor, PAGE));
    yield* page.entries;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The files each trash hour holds (JuiceFS's scanTrashFiles counts those), with their lengths. */
async function trashFiles(store: EngineStore): Promise<{ count: number; size: number }> {
  const out = { count: 0, size: 0 };
  for await (const hour of entriesOf(store, TRASH_INODE)) {
    if (hour.type !== NodeType.Directory) continue;
    let files: Ino[] = [];
    const flush = async () => {
      const attrs = await store.txn((tx) => tx.getAttrs(files));
      for (const a of attrs) {
        if (a === undefined) continue;
        out.count++;
        out.size += a.length;
      }
      files = [];
    };
    for await (const e of entriesOf(store, hour.ino)) {
      if (e.type !== NodeType.File) continue;
      files.push(e.ino);
      if (files.length >= PAGE) await flush();
    }
    if (files.length > 0) await flush();
  }
  return out;
}

export async function moreStatistic(store: EngineStore): Promise<MoreStatistic> {
  const trash = await trashFiles(store);
  const files = await store.listDelFiles(Number.MAX_SAFE_INTEGER);
  const slices = await store.listPendingSlices(Number.MAX_SAFE_INTEGER);
  const all: Required<MoreStatistic> = {
    TrashFileCount: trash.count,
    TrashFileSize: trash.size,
    PendingDeletedFileCount: files.length,
    PendingDeletedFileSize: files.reduce((n, f) => n + f.length, 0),
    PendingDeletedSliceCount: slices.length,
    PendingDeletedSliceSize: slices.reduce((n, s) => n + s.size, 0),
  };
  // Go's omitempty: each zero field is left out on its own.
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0)) as MoreStatistic;
}
