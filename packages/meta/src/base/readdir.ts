import { fsError, R_OK, X_OK, type Attr, type Context, type Entry, type Ino, type ReaddirOptions, type ReaddirPage } from '@juicefs/core';
import { touchAtime } from './atime.js';
import { checkAccess } from './permissions.js';
import type { MetaState } from './state.js';
import { readOnly, requireDir } from './tx-util.js';

/** Entries per page when the caller gives no limit. */
export const DEFAULT_READDIR_LIMIT = 1000;

/**
 * One page of a directory (never "." or ".."), in the engine's stable order. With `plus`, each
 * entry carries its attributes, read in the same transaction (search permission needed too).
 */
export async function readdir(
  m: MetaState,
  ctx: Context,
  ino: Ino,
  options: ReaddirOptions = {},
): Promise<ReaddirPage> {
  const limit = options.limit ?? DEFAULT_READDIR_LIMIT;
  if (!Number.isInteger(limit) || limit <= 0) throw fsError('EINVAL', `readdir limit must be a positive integer, got ${limit}`);
  let dirAttr: Attr | undefined;
  // Reads only: no transaction (on SQLite BEGIN IMMEDIATE took the write lock for every page an
  // `ls` read). Pages were never one snapshot anyway; each statement sees committed data.
  const page = await readOnly(m, async (tx) => {
    const attr = await requireDir(tx, ino);
    dirAttr = attr;
    checkAccess(attr, ctx, options.plus ? R_OK | X_OK : R_OK, `directory ${ino}`);
    if (options.plus && tx.listEntriesPlus) {
      // Entries and their attributes in one joined read (SQL).
      const page = await tx.listEntriesPlus(ino, options.cursor, limit);
      const entries: Entry[] = page.entries.map((e) =>
        e.attr ? { name: e.name, ino: e.ino, type: e.type, attr: e.attr } : { name: e.name, ino: e.ino, type: e.type },
      );
      return page.cursor === undefined ? { entries } : { entries, cursor: page.cursor };
    }
    const page = await tx.listEntries(ino, options.cursor, limit);
    const entries: Entry[] = page.entries.map((e) => ({ name: e.name, ino: e.ino, type: e.type }));
    if (options.plus && entries.length > 0) {
      const attrs = await tx.getAttrs(entries.map((e) => e.ino));
      entries.forEach((e, i) => {
        const a = attrs[i];
        if (a) e.attr = a;
      });
    }
    return page.cursor === undefined ? { entries } : { entries, cursor: page.cursor };
  });
  // A listing is one access, recorded at its first page (as JuiceFS, which lists in one go).
  if (options.cursor === undefined) await touchAtime(m, ino, dirAttr);
  return page;
}
