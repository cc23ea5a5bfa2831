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
  /** Which source and destination keys take part (--include/--exclude, --start/--end, --files-from). */
  takes: (key: string) => boolean;
  /** Which entries take part by their attributes (--min-size… --end-time); absent: all. */
  selects?: (entry: SyncEntry) => boolean;
  /** --existing: never create at the destination, only update what is there. */
  existing?: boolean;
  /** --ignore-existing: never touch what the destination already has. */
  ignoreExisting?: boolean;
  /** --limit: how many objects to handle at most (-1 or absent: no limit). */
  limit?: number;
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
  /** Source entries found equal, or left alone by --existing/--ignore-existing: skipped, never removed by --delete-src. */
  untouched: SyncEntry[];
  /** Source entries left out by the filters. */
  filtered: number;
  /** Source entries the sync looked at (after the filters, up to --limit). */
  found: number;
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
 * parents as needed). --existing skips what the destination lacks, --ignore-existing what it has.
 *
 * --limit counts, as JuiceFS does, every source entry looked at (whatever is then done with it;
 * directories only with --dirs) and every extra destination entry removed by --delete-dst; once it
 * is used up the plan stops, leaving the rest of both listings alone.
 *
 * The attribute filters judge a source entry by its own size and mtime. A destination entry is
 * removed by --delete-dst only when the source has no entry of that key at all and the
 * destination entry itself passes the filters: a source file that a filter leaves out never gets
 * its destination copy deleted (JuiceFS filters each listing separately, so there it can be).
 */
export function planSync(src: readonly SyncEntry[], dst: readonly SyncEntry[], o: PlanOptions): SyncPlan {
  const plan: SyncPlan = { mkdirs: [], copies: [], links: [], same: [], deletes: [], untouched: [], filtered: 0, found: 0 };
  const selects = o.selects ?? (() => true);
  let left = o.limit === undefined || o.limit < 0 ? Infinity : o.limit;
  let j = 0;
  /** Queue `d` for removal if it qualifies; false once --limit is used up. */
  const extra = (d: SyncEntry): boolean => {
    if (!o.deleteDst || !o.takes(d.key) || !selects(d)) return true;
    plan.deletes.push(d);
    return --left > 0;
  };
  let stopped = left === 0;
  for (const s of src) {
    if (stopped) break;
    while (j < dst.length && compareKeys(dst[j]!.key, s.key) < 0) {
      if (!extra(dst[j++]!)) {
        stopped = true;
        break;
      }
    }
    if (stopped) break;
    const d = j < dst.length && dst[j]!.key === s.key ? dst[j++] : undefined;
    if (!o.takes(s.key) || !selects(s)) {
      plan.filtered++;
      continue;
    }
    if (!s.isDir || o.dirs) {
      if (left === 0) break;
      left--;
    }
    plan.found++;
    const missing = d === undefined || d.isDir !== s.isDir;
    if ((o.existing && missing) || (o.ignoreExisting && !missing)) {
      plan.untouched.push(s);
    } else if (s.isDir) {
      if (o.dirs && o.dstIsFileSystem && d === undefined) plan.mkdirs.push(s);
      else plan.same.push(s);
    } else if (d === undefined || d.isDir || needsCopy(s, d, o)) {
      (s.linkTarget !== undefined && o.dstIsFileSystem ? plan.links : plan.copies).push(s);
    } else plan.same.push(s);
    if (left === 0) stopped = true;
  }
  if (!stopped) for (; j < dst.length; j++) if (!extra(dst[j]!)) break;
  plan.deletes.reverse(); // contents before their directories
  return plan;
}
