import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { SyncEntry, SyncTree } from './tree.js';

/** SHA-256 of a stream's bytes (read whole, never held whole). */
async function digest(data: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of data) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Whether `entry` has the same bytes in both trees (JuiceFS sync's --check-* content check). */
export async function sameContent(src: SyncTree, dst: SyncTree, entry: SyncEntry): Promise<boolean> {
  const [a, b] = await Promise.all([src.read(entry).then(digest), dst.read(entry).then(digest)]);
  return a === b;
}

export type CheckMode = 'all' | 'new' | undefined;

/**
 * The check flag given: `all` also compares every file found equal by size, and both verify what
 * they copied by reading both sides back.
 */
export function checkModeOf(a: { 'check-all': boolean; 'check-new': boolean }): CheckMode {
  if (a['check-all']) return 'all';
  if (a['check-new']) return 'new';
  return undefined;
}

/** Of the files the plan found equal, those whose content the check mode compares. */
export function toCompare(same: readonly SyncEntry[], mode: CheckMode): SyncEntry[] {
  return mode === 'all' ? same.filter((e) => !e.isDir && e.linkTarget === undefined) : [];
}

/**
 * --check-change, as JuiceFS checks it: after the copy, the source must still have the size and
 * mtime it was listed with (a head that reports whole seconds passes when the seconds agree, as
 * some object stores drop the milliseconds), and the copy must have that size. Returns what is
 * wrong, if anything, and whether the copy should go.
 */
export async function checkChange(src: SyncTree, dst: SyncTree, e: SyncEntry, links: boolean): Promise<{ problem: string; dropCopy: boolean } | undefined> {
  if (links && e.linkTarget !== undefined) return undefined; // a link copied as a link has no content to change
  const now = await src.head(e.key, { links });
  if (now === undefined) return { problem: 'it was removed from the source during the sync (--check-change)', dropCopy: false };
  const sameTime = now.mtime === e.mtime || (Math.floor(now.mtime / 1000) === Math.floor(e.mtime / 1000) && now.mtime % 1000 === 0);
  if (now.size !== e.size || !sameTime) {
    // The copy may mix old and new bytes and can even have the new size, which a rerun would
    // take for a finished copy: it goes (JuiceFS leaves it), so the next run copies it afresh.
    return {
      problem:
        `it changed at the source during the sync (--check-change): listed with size ${e.size}, mtime ${new Date(e.mtime).toISOString()}; ` +
        `now size ${now.size}, mtime ${new Date(now.mtime).toISOString()}. Its copy was removed: run the sync again once the file is no longer being written`,
      dropCopy: true,
    };
  }
  const copy = await dst.head(e.key, { links });
  if (copy?.size !== now.size) return { problem: `the copy has size ${copy?.size ?? 'none'} where the source has ${now.size} (--check-change)`, dropCopy: false };
  return undefined;
}

