import { NodeType, RENAME_NOREPLACE, ROOT_CONTEXT, TRASH_INODE, fsError, hasCode, type Ino, type Meta } from '@juicefs/core';
import { runPool } from './handler.js';
import { listDir } from './tree.js';

/** An entry of a trash hour, named `<parent>-<ino>-<name>` when it was moved there (FORMAT.md 1). */
interface TrashEntry {
  /** The name in the trash. */
  trashName: Buffer;
  type: NodeType;
  ino: Ino;
  /** Where it was, parsed from the name; undefined for a name not in that form. */
  parent: Ino | undefined;
  name: Buffer | undefined;
}

export interface RestoreOptions {
  /** Move every entry back into its original directory, not only those whose directory was trashed with them. */
  putBack: boolean;
  /** Renames running at once. */
  threads: number;
  /** Called after each entry with the counts so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface RestoreResult {
  /** Entries in the hour. */
  total: number;
  restored: number;
  /** Left in the trash: without --put-back, entries whose directory is not in this hour. */
  skipped: number;
  failed: Array<{ name: string; error: string }>;
  /** How many entries went into each directory. */
  restoredTo: Map<Ino, number>;
  /** The hour's directories by inode, with their names in the trash (where entries went without putBack). */
  trashedDirs: Map<Ino, Buffer>;
}

/** `YYYY-MM-DD-HH`, the names of the trash's hour directories. */
export const TRASH_HOUR = /^\d{4}-\d{2}-\d{2}-\d{2}$/;

/** Refuses (EINVAL) a name that is not a trash hour, saying the form with this hour as example. */
export function checkTrashHour(hour: string): void {
  if (TRASH_HOUR.test(hour)) return;
  const example = new Date().toISOString().slice(0, 13).replace('T', '-');
  throw fsError('EINVAL', `"${hour}" is not a trash hour: name one as YYYY-MM-DD-HH (UTC), e.g. ${example}, as listed by ls <mountpoint>/.trash`);
}

/** Splits `<parent>-<ino>-<name>`; names not in that form (none are, from JuiceFS) give undefined. */
export function parseTrashName(name: Buffer): { parent: Ino; ino: Ino; name: Buffer } | undefined {
  const first = name.indexOf(0x2d); // '-'
  const second = first < 0 ? -1 : name.indexOf(0x2d, first + 1);
  if (first <= 0 || second <= first + 1 || second === name.length - 1) return undefined;
  const parent = name.subarray(0, first).toString('latin1');
  const ino = name.subarray(first + 1, second).toString('latin1');
  if (!/^\d+$/.test(parent) || !/^\d+$/.test(ino)) return undefined;
  return { parent: BigInt(parent) as Ino, ino: BigInt(ino) as Ino, name: name.subarray(second + 1) };
}

/**
 * JuiceFS's `restore` for one trash hour: rebuilds the trees removed in that hour by moving each
 * entry into its original directory when that directory was removed in the same hour (so a
 * removed tree is whole again inside the trash), or, with `putBack`, moves every entry back where
 * it was. Renames never replace: an entry whose name was taken meanwhile stays in the trash and
 * is reported. Needs a root context (only root may move entries out of the trash).
 */
export async function restoreTrashHour(meta: Meta, hour: string, options: RestoreOptions): Promise<RestoreResult> {
  checkTrashHour(hour);
  let hourIno: Ino;
  try {
    hourIno = (await meta.lookup(ROOT_CONTEXT, TRASH_INODE, hour)).ino;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) throw fsError('ENOENT', `the trash has no hour ${hour}: nothing was removed then, or it was purged (TrashDays); list the hours with ls <mountpoint>/.trash`);
    throw err;
  }
  const entries: TrashEntry[] = [];
  for await (const e of listDir(meta, ROOT_CONTEXT, hourIno)) {
    const parsed = parseTrashName(e.name);
    entries.push({ trashName: e.name, type: e.type, ino: e.ino, parent: parsed?.parent, name: parsed?.name });
  }
  // Directories removed in this hour: entries that were inside them go back into them.
  const trashedDirs = new Map(entries.filter((e) => e.type === NodeType.Directory).map((e) => [e.ino, e.trashName]));
  const result: RestoreResult = { total: entries.length, restored: 0, skipped: 0, failed: [], restoredTo: new Map(), trashedDirs };
  let done = 0;
  const finish = () => options.onProgress?.(++done, entries.length);
  await runPool(
    entries.map((e) => async () => {
      if (e.parent === undefined || e.name === undefined) {
        result.failed.push({ name: e.trashName.toString(), error: 'not a name of the form <parent>-<inode>-<name>: left in place' });
      } else if (options.putBack || trashedDirs.has(e.parent)) {
        try {
          await meta.rename(ROOT_CONTEXT, hourIno, e.trashName, e.parent, e.name, RENAME_NOREPLACE);
          result.restored++;
          result.restoredTo.set(e.parent, (result.restoredTo.get(e.parent) ?? 0) + 1);
        } catch (err) {
          result.failed.push({ name: e.trashName.toString(), error: (err as Error).message });
        }
      } else {
        result.skipped++;
      }
      finish();
    }),
    Math.max(1, options.threads),
  );
  return result;
}
