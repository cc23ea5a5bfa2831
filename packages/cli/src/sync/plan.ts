import { compareKeys, type SyncEntry } from './tree.js';

export interface PlanOptions {
  /** Copy when the source is newer, whatever the sizes (--update). */
  update: boolean;
  /** Copy every file that exists on both sides (--force-update). */
  forceUpdate: boolean;
  /** Make directories too, empty ones included (--dirs). */
  dirs: boolean;
  /** Remove from the destination what the source does not have (--delete-dst). */
  deleteDst: boolean;
  /** The destination keeps directories (a file system), so --dirs and links apply. */
  dstIsFileSystem: boolean;
  /** Which source and destination keys take part (--include/--exclude). */
  takes: (key: string) => boolean;
}

/** What the sync does, in the order it does it. */
export interface SyncPlan {
  mkdirs: SyncEntry[];
  copies: SyncEntry[];
  links: SyncEntry[];
  /** Source entries found equal at the destination (skipped; with --delete-src, removed). */
  same: SyncEntry[];
  /** Destination entries to remove, deepest first. */
  deletes: SyncEntry[];
  /** Source entries left out by the filters. */
  filtered: number;
}

function needsCopy(src: SyncEntry, dst: SyncEntry, o: PlanOptions): boolean {
  if (o.forceUpdate) return true;
  if (o.update) return src.mtime > dst.mtime;
  return src.size !== dst.size || src.linkTarget !== dst.linkTarget;
}

/**
 * Merge the two sorted listings into a plan, as JuiceFS's sync decides: a file missing at the
 * destination is copied; one present is copied when its size differs (--update: when the source
 * is newer; --force-update: always); directories are made only with --dirs (files make their
 * parents as needed).
 */
export function planSync(src: readonly SyncEntry[], dst: readonly SyncEntry[], o: PlanOptions): SyncPlan {
  const plan: SyncPlan = { mkdirs: [], copies: [], links: [], same: [], deletes: [], filtered: 0 };
  let j = 0;
  for (const s of src) {
    while (j < dst.length && compareKeys(dst[j]!.key, s.key) < 0) {
      const d = dst[j++]!;
      if (o.deleteDst && o.takes(d.key)) plan.deletes.push(d);
    }
    const d = j < dst.length && dst[j]!.key === s.key ? dst[j++] : undefined;
    if (!o.takes(s.key)) {
      plan.filtered++;
      continue;
    }
    if (s.isDir) {
      if (o.dirs && o.dstIsFileSystem && d === undefined) plan.mkdirs.push(s);
      else plan.same.push(s);
    } else if (d === undefined || d.isDir || needsCopy(s, d, o)) {
      (s.linkTarget !== undefined && o.dstIsFileSystem ? plan.links : plan.copies).push(s);
    } else plan.same.push(s);
  }
  for (; j < dst.length; j++) if (o.deleteDst && o.takes(dst[j]!.key)) plan.deletes.push(dst[j]!);
  plan.deletes.reverse(); // contents before their directories
  return plan;
}
