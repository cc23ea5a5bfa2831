import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { rawArgs } from '../args.js';
import { log } from '../log.js';
import { progressBar } from '../progress.js';
import { openEndpoint } from '../sync/endpoint.js';
import { SyncFilter, filterRulesOf } from '../sync/filter.js';
import { planSync, type SyncPlan } from '../sync/plan.js';
import type { SyncEntry, SyncTree } from '../sync/tree.js';
import { checkModeOf, sameContent, toCompare, type CheckMode } from '../sync/verify.js';

/** What a sync did, as JuiceFS's closing line counts it. */
interface SyncCounts {
  found: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  deleted: number;
  failed: number;
  /** Files whose content was compared (--check-*). */
  checked: number;
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Run `work` over `items`, `threads` at a time. */
async function inParallel<T>(items: readonly T[], threads: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(threads, items.length) }, worker));
}

/** Carry out `plan` from `src` to `dst`; failures are counted and named, never fatal to the rest. */
async function execute(
  plan: SyncPlan,
  src: SyncTree,
  dst: SyncTree,
  o: { threads: number; perms: boolean; deleteSrc: boolean; check: CheckMode; compare: SyncEntry[] },
  counts: SyncCounts,
): Promise<void> {
  const fail = (what: string, e: SyncEntry, err: unknown) => {
    counts.failed++;
    log.warn(`juicefs: failed to ${what} ${e.key}: ${(err as Error).message}`);
  };
  const total = plan.mkdirs.length + plan.copies.length + plan.links.length + plan.deletes.length + (o.deleteSrc ? plan.same.length : 0);
  const bar = progressBar('Synced', total);
  let done = 0;
  const step = () => bar.update(++done);
  for (const d of plan.mkdirs) {
    await dst.mkdir(d, o.perms).then(() => counts.copied++, (err: unknown) => fail('make directory', d, err));
    step();
  }
  const removeSource = async (e: SyncEntry) => {
    if (o.deleteSrc) await src.remove(e).catch((err: unknown) => fail('remove source', e, err));
  };
  // Files found equal by size whose bytes differ are copied after all.
  const differing: SyncEntry[] = [];
  await inParallel(o.compare, o.threads, async (e) => {
    try {
      counts.checked++;
      if (await sameContent(src, dst, e)) return;
      log.info(`${e.key}: same size but different content at the destination: copying it`);
      differing.push(e);
      counts.skipped--;
    } catch (err) {
      fail('compare', e, err);
    }
  });
  bar.update(done, total + differing.length);
  await inParallel([...plan.copies, ...differing], o.threads, async (e) => {
    try {
      await dst.write(e, await src.read(e), o.perms);
      if (o.check !== undefined) {
        // Read both sides back: a copy that does not match is a failure, and the source stays.
        counts.checked++;
        if (!(await sameContent(src, dst, e))) throw new Error('the copy differs from the source when read back');
      }
      counts.copied++;
      counts.copiedBytes += e.size;
      await removeSource(e);
    } catch (err) {
      fail('copy', e, err);
    }
    step();
  });
  for (const e of plan.links) {
    await dst.symlink(e).then(async () => (counts.copied++, await removeSource(e)), (err: unknown) => fail('link', e, err));
    step();
  }
  if (o.deleteSrc) {
    // Files already equal at the destination go too; directories last, once emptied.
    const recopied = new Set(differing);
    const same = plan.same.filter((x) => !recopied.has(x)); // removed after their copy already
    for (const e of [...same.filter((x) => !x.isDir), ...same.filter((x) => x.isDir).reverse()]) {
      await removeSource(e);
      step();
    }
  }
  await inParallel(plan.deletes, o.threads, async (e) => {
    await dst.remove(e).then(() => counts.deleted++, (err: unknown) => fail('delete', e, err));
    step();
  });
  bar.stop();
}

export function syncCommand(y: Argv): Argv {
  return y.command(
    'sync SRC DST',
    'Copy what differs from SRC to DST: local directories, object storage (TYPE://[KEY:SECRET@]BUCKET.ENDPOINT/PREFIX) and volumes (jfs://NAME/PATH, META-URL in $NAME)',
    (c) =>
      c
        .positional('SRC', { type: 'string', demandOption: true, describe: 'where to copy from' })
        .positional('DST', { type: 'string', demandOption: true, describe: 'where to copy to' })
        .option('exclude', { type: 'string', array: true, default: [], describe: 'leave out keys matching this pattern (rules apply in the order given)' })
        .option('include', { type: 'string', array: true, default: [], describe: 'take keys matching this pattern even where a later --exclude matches' })
        .option('match-full-path', { type: 'boolean', default: false, describe: 'match patterns against whole paths, not last names' })
        .option('update', { alias: 'u', type: 'boolean', default: false, describe: 'copy existing files only when the source is newer' })
        .option('force-update', { alias: 'f', type: 'boolean', default: false, describe: 'copy existing files always' })
        .option('dirs', { type: 'boolean', default: false, describe: 'make directories too, empty ones included' })
        .option('perms', { type: 'boolean', default: false, describe: 'keep permission bits' })
        .option('links', { alias: 'l', type: 'boolean', default: false, describe: 'copy symlinks as symlinks (otherwise what they point to)' })
        .option('delete-src', { alias: 'deleteSrc', type: 'boolean', default: false, describe: 'remove from SRC what was copied (or already equal at DST)' })
        .option('delete-dst', { alias: 'deleteDst', type: 'boolean', default: false, describe: 'remove from DST what SRC does not have' })
        .option('threads', { alias: 'p', type: 'number', default: 10, describe: 'files copied at the same time' })
        .option('check-all', { type: 'boolean', default: false, describe: 'compare the content of every file on both sides (copying those that differ) and verify each copy' })
        .option('check-new', { type: 'boolean', default: false, describe: 'verify each copied file by reading both sides back' })
        .option('dry', { type: 'boolean', default: false, describe: 'say what would be done, do nothing' })
        .option('no-https', { type: 'boolean', default: false, describe: 'reach object storage over plain http' }),
    async (a) => {
      if (!Number.isInteger(a.threads) || a.threads < 1) throw fsError('EINVAL', `--threads must be a whole number of at least 1, got ${a.threads}`);
      if (a['delete-src'] && a['delete-dst']) throw fsError('EINVAL', '--delete-src and --delete-dst cannot be used together');
      const filter = new SyncFilter(filterRulesOf(rawArgs()), a['match-full-path']);
      const src = await openEndpoint(String(a.SRC), { noHttps: a['no-https'] });
      try {
        const dst = await openEndpoint(String(a.DST), { noHttps: a['no-https'] });
        try {
          if (a.links && !src.isFileSystem) throw fsError('EINVAL', `--links: ${src.description} is object storage, which has no symlinks`);
          if (!a.dry) await dst.create();
          const [srcList, dstList] = await Promise.all([src.list({ links: a.links }), dst.list({ links: a.links })]);
          const plan = planSync(srcList, dstList, {
            update: a.update, forceUpdate: a['force-update'], dirs: a.dirs, deleteDst: a['delete-dst'], dstIsFileSystem: dst.isFileSystem,
            takes: (k) => filter.takes(k),
          });
          const counts: SyncCounts = { found: srcList.length - plan.filtered, copied: 0, copiedBytes: 0, skipped: plan.same.length, deleted: 0, failed: 0, checked: 0 };
          const check = checkModeOf(a);
          const compare = toCompare(plan.same, check);
          if (a.dry) {
            for (const e of plan.mkdirs) process.stdout.write(`mkdir ${e.key}\n`);
            for (const e of [...plan.copies, ...plan.links]) process.stdout.write(`copy ${e.key}\n`);
            for (const e of plan.deletes) process.stdout.write(`delete ${e.key}\n`);
            if (a['delete-src']) for (const e of [...plan.copies, ...plan.links, ...plan.same]) process.stdout.write(`delete source ${e.key}\n`);
          } else {
            await execute(plan, src, dst, { threads: a.threads, perms: a.perms, deleteSrc: a['delete-src'], check, compare }, counts);
          }
          log.info(
            `${a.dry ? '(dry run) ' : ''}found: ${counts.found}, copied: ${a.dry ? plan.copies.length + plan.links.length + plan.mkdirs.length : counts.copied} (${formatBytes(a.dry ? plan.copies.reduce((n, e) => n + e.size, 0) : counts.copiedBytes)}), ` +
              `${check !== undefined && !a.dry ? `checked: ${counts.checked}, ` : ''}skipped: ${counts.skipped}, deleted: ${a.dry ? plan.deletes.length : counts.deleted}, failed: ${counts.failed}`,
          );
          if (counts.failed > 0) throw fsError('EIO', `${counts.failed} of the changes failed (named above); run the sync again to retry them`);
        } finally {
          await dst.close();
        }
      } finally {
        await src.close();
      }
    },
  );
}
