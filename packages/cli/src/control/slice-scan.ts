import { NodeType, ROOT_INODE, TRASH_INODE, type Ino, type Slice } from '@juicefs/core';
import type { EngineStore } from '@juicefs/meta';

/** One file met by a scan, with its slice records per chunk index. */
export interface ScannedFile {
  ino: Ino;
  /** A path to it ("/a/b", "/.trash/…"), or `<deleted ino>` / `<sustained ino>`. */
  path: string;
  chunks: Map<number, Slice[]>;
}

const PAGE = 1000;

/**
 * Visit every file that still owns slices, straight from the engine: the tree under the root
 * (from `start`), the trash, files queued for deletion and files kept open after unlink. Each
 * inode is visited once, however many hard links it has.
 */
export async function scanFiles(store: EngineStore, onFile: (f: ScannedFile) => Promise<void> | void, start: { ino: Ino; path: string } = { ino: ROOT_INODE, path: '' }): Promise<void> {
  const seen = new Set<Ino>();
  const visitFile = async (ino: Ino, path: string) => {
    if (seen.has(ino)) return;
    seen.add(ino);
    const chunks = await store.txn(async (tx) => {
      const m = new Map<number, Slice[]>();
      for (const indx of await tx.listChunks(ino)) m.set(indx, await tx.getChunk(ino, indx));
      return m;
    });
    await onFile({ ino, path, chunks });
  };
  const walk = async (dir: Ino, path: string): Promise<void> => {
    let cursor: string | undefined;
    do {
      const page = await store.txn((tx) => tx.listEntries(dir, cursor, PAGE));
      for (const e of page.entries) {
        const p = `${path}/${e.name.toString('utf8')}`;
        if (e.type === NodeType.Directory) await walk(e.ino, p);
        else if (e.type === NodeType.File) await visitFile(e.ino, p);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  };
  const root = await store.txn((tx) => tx.getAttr(start.ino));
  if (root?.type === NodeType.File) {
    await visitFile(start.ino, start.path);
    return;
  }
  await walk(start.ino, start.path);
  if (start.ino !== ROOT_INODE) return;
  if (await store.txn((tx) => tx.getAttr(TRASH_INODE))) await walk(TRASH_INODE, '/.trash');
  for (const d of await store.listDelFiles(Number.MAX_SAFE_INTEGER)) await visitFile(d.ino, `<deleted ${d.ino}>`);
  for (const s of await store.listSessions()) {
    for (const ino of await store.listSustained(s.sid)) await visitFile(ino, `<sustained ${ino}>`);
  }
}
