import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { fsError } from '@juicefs/core';
import { log } from '../log.js';
import type { SyncCounts } from './execute.js';
import type { SyncPlan } from './plan.js';
import type { SyncEntry, SyncTree } from './tree.js';

// Resumable syncs (`--enable-checkpoint`, as JuiceFS 1.4 names it): the work left is saved at the
// destination, in `.juicefs-sync-checkpoint.<hash>.json`, every `--checkpoint-interval` and when
// the run ends with work undone; the same command run again finds the file by its hash (of SRC,
// DST and the flags that decide what is copied), skips listing both sides and does only what was
// left, failed items included. A run that finishes cleanly removes the file. The file's content is
// this client's own: a Go client's checkpoint is neither read nor removed (its name has the same
// shape, so neither side's listing copies or deletes it).

const PREFIX = '.juicefs-sync-checkpoint.';
const NAME = /^\.juicefs-sync-checkpoint\.[0-9a-f]+\.json$/;
const VERSION = 1;

/** Whether `key` is a checkpoint file (ours or a Go client's): never synced, never deleted. */
export function isCheckpointKey(key: string): boolean {
  return NAME.test(key);
}

/** The checkpoint key of a sync: a hash of what makes two runs the same job. */
export function checkpointKey(job: { src: string; dst: string; flags: Record<string, unknown> }): string {
  const flags = Object.fromEntries(Object.entries(job.flags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const hash = createHash('sha256').update(JSON.stringify({ src: job.src, dst: job.dst, flags })).digest('hex').slice(0, 16);
  return `${PREFIX}${hash}.json`;
}

/** The work a sync has left, as saved. */
export interface SavedWork {
  mkdirs: SyncEntry[];
  copies: SyncEntry[];
  links: SyncEntry[];
  deletes: SyncEntry[];
  /** Files to compare (--check-all) not compared yet. */
  compare: SyncEntry[];
  /** With --delete-src: equal files whose source is still to go. */
  same: SyncEntry[];
}

interface CheckpointFile {
  version: number;
  savedAt: string;
  counts: Omit<SyncCounts, 'failed'>;
  work: SavedWork;
}

function entryOf(key: string, size = 0): SyncEntry {
  return { key, size, mtime: 0, isDir: false };
}

/** The saved work of this job at `dst`, or undefined when there is none to resume. */
export async function loadCheckpoint(dst: SyncTree, key: string): Promise<{ counts: Omit<SyncCounts, 'failed'>; work: SavedWork; savedAt: string } | undefined> {
  const found = await dst.head(key, { links: false });
  if (found === undefined || found.isDir) return undefined;
  const parts: Buffer[] = [];
  for await (const chunk of await dst.read(entryOf(key, found.size))) parts.push(Buffer.from(chunk as Buffer));
  let file: CheckpointFile;
  try {
    file = JSON.parse(Buffer.concat(parts).toString('utf8')) as CheckpointFile;
  } catch (err) {
    throw fsError('EINVAL', `the checkpoint ${key} in ${dst.description} is damaged (${(err as Error).message}): remove it to start the sync over`);
  }
  if (file.version !== VERSION || typeof file.work !== 'object' || file.work === null) {
    throw fsError('EINVAL', `the checkpoint ${key} in ${dst.description} was not written by this juicefs (or by another version of it): remove it to start the sync over`);
  }
  return { counts: file.counts, work: file.work, savedAt: file.savedAt };
}

/** Work kinds `execute` reports as done. */
export type DoneKind = 'mkdir' | 'copy' | 'link' | 'delete' | 'compare' | 'remove-source';

/**
 * Follows a sync's progress and saves what is left to `dst` every `intervalMs` (one save at a
 * time; a failed save is logged and tried again at the next tick).
 */
export class CheckpointKeeper {
  private readonly done = new Map<DoneKind, Set<SyncEntry>>();
  /** Files a comparison found different: copied after the comparisons. */
  private readonly differing: SyncEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly dst: SyncTree,
    readonly key: string,
    private readonly work: SavedWork,
    private readonly counts: SyncCounts,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs > 0) this.timer = setInterval(() => void this.save(), this.intervalMs).unref();
  }

  markDone(kind: DoneKind, e: SyncEntry): void {
    let set = this.done.get(kind);
    if (!set) this.done.set(kind, (set = new Set()));
    set.add(e);
  }

  markDiffering(e: SyncEntry): void {
    this.differing.push(e);
  }

  private left(list: readonly SyncEntry[], kind: DoneKind): SyncEntry[] {
    const done = this.done.get(kind);
    return done === undefined ? [...list] : list.filter((e) => !done.has(e));
  }

  /** What is left now. */
  remaining(): SavedWork {
    const compared = this.done.get('compare');
    const differing = new Set(this.differing);
    return {
      mkdirs: this.left(this.work.mkdirs, 'mkdir'),
      copies: this.left([...this.work.copies, ...this.differing], 'copy'),
      links: this.left(this.work.links, 'link'),
      deletes: this.left(this.work.deletes, 'delete'),
      compare: this.work.compare.filter((e) => !compared?.has(e) && !differing.has(e)),
      same: this.left(this.work.same, 'remove-source'),
    };
  }

  /** Write the checkpoint (after any save under way). */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const { failed: _failed, ...counts } = this.counts;
      const file: CheckpointFile = { version: VERSION, savedAt: new Date().toISOString(), counts, work: this.remaining() };
      const data = Buffer.from(JSON.stringify(file));
      try {
        await this.dst.write({ ...entryOf(this.key, data.length), mtime: Date.now() }, Readable.from([data]), { perms: false, inplace: false });
      } catch (err) {
        log.warn(`juicefs: could not save the checkpoint ${this.key} in ${this.dst.description}: ${(err as Error).message}`);
      }
    });
    return this.saving;
  }

  /** The run ended: remove the checkpoint when nothing is left undone, else save what is. */
  async finish(complete: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.saving;
    if (!complete) {
      await this.save();
      log.info(`juicefs: the work left is saved in ${this.key} at the destination: run the same command again to resume`);
      return;
    }
    const present = await this.dst.head(this.key, { links: false }).catch(() => undefined);
    if (present) await this.dst.remove(entryOf(this.key, present.size)).catch((err: unknown) => log.warn(`juicefs: could not remove the finished checkpoint ${this.key}: ${(err as Error).message}`));
  }
}

/** The saved shape of a fresh plan. */
export function workOf(plan: SyncPlan, compare: SyncEntry[], deleteSrc: boolean): SavedWork {
  return { mkdirs: plan.mkdirs, copies: plan.copies, links: plan.links, deletes: plan.deletes, compare, same: deleteSrc ? plan.same : [] };
}
