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
