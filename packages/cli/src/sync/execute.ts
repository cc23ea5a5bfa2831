import { log } from '../log.js';
import { progressBar } from '../progress.js';
import type { BandwidthLimit } from './bwlimit.js';
import type { CheckpointKeeper } from './checkpoint.js';
import type { SyncPlan } from './plan.js';
import type { SyncEntry, SyncTree } from './tree.js';
import { checkChange, sameContent, type CheckMode } from './verify.js';

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
async function inParallel<T>(items: readonly T[], threads: number, work: (item: T) => Promise<void>, stopped: () => boolean = () => false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(threads, items.length) }, worker));
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
  const fail = (what: string, e: SyncEntry, err: unknown) => {
    counts.failed++;
    log.warn(`juicefs: failed to ${what} ${e.key}: ${(err as Error).message}`);
    if (o.maxFailure > 0 && counts.failed === o.maxFailure) log.warn(`juicefs: the maximum error limit of ${o.maxFailure} was reached (--max-failure), stop now`);
  };
  const total = plan.mkdirs.length + plan.copies.length + plan.links.length + plan.deletes.length + (o.deleteSrc ? plan.same.length : 0);
  const bar = progressBar('Synced', total);
  let done = 0;
  const step = () => bar.update(++done);
  for (const d of plan.mkdirs) {
    if (stopped()) break;
    await dst.mkdir(d, o.perms).then(() => (counts.copied++, o.progress?.markDone('mkdir', d)), (err: unknown) => fail('make directory', d, err));
    step();
  }
  const removeSource = async (e: SyncEntry) => {
    if (o.deleteSrc) await src.remove(e).then(() => o.progress?.markDone('remove-source', e), (err: unknown) => fail('remove source', e, err));
  };
  // Files found equal by size whose bytes differ are copied after all.
  const differing: SyncEntry[] = [];
  await inParallel(o.compare, o.threads, async (e) => {
    try {
      counts.checked++;
      if (await sameContent(src, dst, e)) {
        o.progress?.markDone('compare', e);
        return;
      }
      log.info(`${e.key}: same size but different content at the destination: copying it`);
      differing.push(e);
      o.progress?.markDiffering(e);
      counts.skipped--;
    } catch (err) {
      fail('compare', e, err);
    }
  }, stopped);
  bar.update(done, total + differing.length);
  await inParallel([...plan.copies, ...differing], o.threads, async (e) => {
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
      o.progress?.markDone('copy', e);
      await removeSource(e);
    } catch (err) {
      fail('copy', e, err);
    }
    step();
  }, stopped);
  for (const e of plan.links) {
    if (stopped()) break;
    await dst.symlink(e).then(async () => (counts.copied++, o.progress?.markDone('link', e), await removeSource(e)), (err: unknown) => fail('link', e, err));
    step();
  }
  if (o.deleteSrc) {
    // Files already equal at the destination go too; directories last, once emptied.
    const recopied = new Set(differing);
    const same = plan.same.filter((x) => !recopied.has(x)); // removed after their copy already
    for (const e of [...same.filter((x) => !x.isDir), ...same.filter((x) => x.isDir).reverse()]) {
      if (stopped()) break;
      await removeSource(e);
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
}

