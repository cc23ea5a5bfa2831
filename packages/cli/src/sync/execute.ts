import { log } from '../log.js';
import { progressBar } from '../progress.js';
import type { BandwidthLimit } from './bwlimit.js';
import type { CheckpointKeeper, DoneKind } from './checkpoint.js';
import type { SyncPlan } from './plan.js';
import type { SyncEntry, SyncTree } from './tree.js';
import { checkChange, sameContent, type CheckMode } from './verify.js';
import { WorkQueue, type WorkItem } from './work-queue.js';

/** What a sync did, as JuiceFS's closing line counts it. */
export interface SyncCounts {
  found: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  deleted: number;
  failed: number;
  /** Files whose content was compared (--check-*). */
  checked: number;
}

/** Run `work` over `items`, `threads` at a time; no new item starts once `stopped()` says so. */
export async function inParallel<T>(items: readonly T[], threads: number, work: (item: T) => Promise<void>, stopped: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(threads, items.length) }, worker));
}

/** A `fail` that counts and names each failure, and says once when --max-failure is reached. */
export function failureCounter(counts: SyncCounts, maxFailure: number): ItemContext['fail'] {
  return (what, e, err) => {
    counts.failed++;
    log.warn(`juicefs: failed to ${what} ${e.key}: ${(err as Error).message}`);
    if (maxFailure > 0 && counts.failed === maxFailure) log.warn(`juicefs: the maximum error limit of ${maxFailure} was reached (--max-failure), stop now`);
  };
}

/** What carrying out one work item needs: the same in the sync's own process and in a worker. */
export interface ItemContext {
  src: SyncTree;
  dst: SyncTree;
  o: Pick<ExecuteOptions, 'perms' | 'links' | 'deleteSrc' | 'check' | 'checkChange' | 'inplace' | 'bwlimit'>;
  counts: SyncCounts;
  fail: (what: string, e: SyncEntry, err: unknown) => void;
  progress?: Pick<CheckpointKeeper, 'markDone' | 'markDiffering'> | undefined;
}

/**
 * Copy one file, or (--check-all) compare it and copy it when its bytes differ. Failures are
 * counted and named, never thrown.
 */
export async function runItem(item: WorkItem, c: ItemContext): Promise<void> {
  const { src, dst, o, counts } = c;
  const e = item.entry;
  if (item.kind === 'compare') {
    try {
      counts.checked++;
      if (await sameContent(src, dst, e)) {
        c.progress?.markDone('compare', e);
        return;
      }
      log.info(`${e.key}: same size but different content at the destination: copying it`);
      c.progress?.markDiffering(e);
      counts.skipped--;
    } catch (err) {
      c.fail('compare', e, err);
      return;
    }
  }
  try {
    const data = await src.read(e);
    await dst.write(e, o.bwlimit ? o.bwlimit.pace(data) : data, { perms: o.perms, inplace: o.inplace });
    if (o.checkChange) {
      if (o.check === undefined) counts.checked++;
      const changed = await checkChange(src, dst, e, o.links);
      if (changed?.dropCopy) await dst.remove(e).catch(() => undefined);
      if (changed) throw new Error(changed.problem);
    }
    if (o.check !== undefined) {
      // Read both sides back: a copy that does not match is a failure, and the source stays.
      counts.checked++;
      if (!(await sameContent(src, dst, e))) throw new Error('the copy differs from the source when read back');
    }
    counts.copied++;
    counts.copiedBytes += e.size;
    c.progress?.markDone('copy', e);
  } catch (err) {
    c.fail('copy', e, err);
    return;
  }
  await removeSource(e, c);
}

/** With --delete-src, remove `e` from the source once it is at the destination. */
async function removeSource(e: SyncEntry, c: ItemContext): Promise<void> {
  if (c.o.deleteSrc) await c.src.remove(e).then(() => c.progress?.markDone('remove-source', e), (err: unknown) => c.fail('remove source', e, err));
}

/**
 * Shares a sync's data work with other processes (`--worker`): given the queue once the data
 * phase starts, and told of each item another process finishes.
 */
export interface WorkSharing {
  share(queue: WorkQueue, run: SharedRun): void;
}

/** What a process that shares the work reports into. */
export interface SharedRun {
  counts: SyncCounts;
  progress: NonNullable<ItemContext['progress']>;
  /** An item another process finished (whatever its outcome). */
  finished(item: WorkItem): void;
  /** Remove what process `pid`, which died holding `item`, may have half written of it. */
  discardPartial(item: WorkItem, pid: number): Promise<void>;
}

/** Carry out `plan` from `src` to `dst`; failures are counted and named, never fatal to the rest. */
export async function execute(
  plan: SyncPlan,
  src: SyncTree,
  dst: SyncTree,
  o: ExecuteOptions,
  counts: SyncCounts,
): Promise<void> {
  // --max-failure: once that many have failed, nothing new starts (what is under way finishes).
  const stopped = () => o.maxFailure > 0 && counts.failed >= o.maxFailure;
  const fail = failureCounter(counts, o.maxFailure);
  const total = plan.mkdirs.length + o.compare.length + plan.copies.length + plan.links.length + plan.deletes.length + (o.deleteSrc ? plan.same.length : 0);
  const bar = progressBar('Synced', total);
  let done = 0;
  const step = () => bar.update(++done);
  for (const d of plan.mkdirs) {
    if (stopped()) break;
    await dst.mkdir(d, o.perms).then(() => (counts.copied++, o.progress?.markDone('mkdir', d)), (err: unknown) => fail('make directory', d, err));
    step();
  }
  // The data work: comparisons first (a file whose bytes differ is copied by whoever compared
  // it), then copies; shared with the workers of a distributed sync.
  const queue = new WorkQueue([...o.compare.map((entry) => ({ kind: 'compare' as const, entry })), ...plan.copies.map((entry) => ({ kind: 'copy' as const, entry }))]);
  const differing = new Set<SyncEntry>();
  const progress = {
    markDone: (kind: DoneKind, e: SyncEntry) => o.progress?.markDone(kind, e),
    markDiffering: (e: SyncEntry) => (differing.add(e), o.progress?.markDiffering(e)),
  };
  const ctx: ItemContext = { src, dst, o, counts, fail, progress };
  o.sharing?.share(queue, {
    counts,
    progress,
    finished: () => {
      step();
      if (stopped()) queue.close();
    },
    // With --inplace the half-written file is the destination itself, and the copy made again
    // overwrites it.
    discardPartial: async (item, pid) => {
      if (!o.inplace) await dst.removeTemporary?.(item.entry.key, pid);
    },
  });
  if (stopped()) queue.close();
  await Promise.all(Array.from({ length: o.threads }, async () => {
    for (let item = await queue.take(); item !== undefined; item = await queue.take()) {
      await runItem(item, ctx);
      step();
      if (stopped()) queue.close();
    }
  }));
  for (const e of plan.links) {
    if (stopped()) break;
    await dst.symlink(e).then(async () => (counts.copied++, o.progress?.markDone('link', e), await removeSource(e, ctx)), (err: unknown) => fail('link', e, err));
    step();
  }
  if (o.deleteSrc) {
    // Files already equal at the destination go too; directories last, once emptied. Those a
    // comparison found different went after their copy already.
    const same = plan.same.filter((x) => !differing.has(x));
    for (const e of [...same.filter((x) => !x.isDir), ...same.filter((x) => x.isDir).reverse()]) {
      if (stopped()) break;
      await removeSource(e, ctx);
      step();
    }
  }
  await inParallel(plan.deletes, o.threads, async (e) => {
    await dst.remove(e).then(() => (counts.deleted++, o.progress?.markDone('delete', e)), (err: unknown) => fail('delete', e, err));
    step();
  }, stopped);
  bar.stop();
}

export interface ExecuteOptions {
  threads: number;
  perms: boolean;
  links: boolean;
  deleteSrc: boolean;
  check: CheckMode;
  compare: SyncEntry[];
  /** --check-change: look at the source again after each copy. */
  checkChange: boolean;
  /** --inplace: write destination files in place. */
  inplace: boolean;
  bwlimit: BandwidthLimit | undefined;
  /** --max-failure (<= 0: no limit). */
  maxFailure: number;
  /** Told of each item done (--enable-checkpoint keeps what is left). */
  progress?: Pick<CheckpointKeeper, 'markDone' | 'markDiffering'> | undefined;
  /** Workers that take part of the data work (--worker). */
  sharing?: WorkSharing | undefined;
}

