import { MAX_TIER_ID, NodeType, ROOT_CONTEXT, fsError, tierStorageClass, tiersOf, type Attr, type Ino } from '@juicefs/core';
import { takesStorageClass } from '@juicefs/chunk';
import { flagGiven } from '../args.js';
import { withToolVolume, type ToolVolume } from '../control/volume-access.js';
import { resolvePath } from '../control/tree.js';
import { restoreObjects, setTier } from '../control/tier-set.js';
import { log } from '../log.js';
import { progressBar } from '../progress.js';
import type { Argv } from 'yargs';
import { renderGrid } from '../output.js';
import { readFormat } from '../volume.js';
import { tierRows } from '../tiers.js';
import { withEngine } from '../wiring.js';

// JuiceFS 1.4's storage tiers: ids 0-3, each a storage class (and object tags) for the objects of
// files set to it. `juicefs config --tier N --storage-class C` defines them; `tier list` shows them.

/** META-URL, PATH and -r, as `tier set` and `tier restore` take them. */
function targetArgs<T>(c: Argv<T>, recursive: string) {
  return c
    .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
    .positional('PATH', { type: 'string', demandOption: true, describe: 'path in the volume, from its root' })
    .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: recursive });
}

/** The volume, and the node at `path` in it (from its root, no permission checks). */
function withTarget<R>(metaUrl: string, path: string, work: (vol: ToolVolume, top: { ino: Ino; attr: Attr }) => Promise<R>): Promise<R> {
  return withToolVolume(metaUrl, async (vol) => {
    const ino = await resolvePath(vol.meta, ROOT_CONTEXT, path);
    return work(vol, { ino, attr: await vol.meta.getAttr(ROOT_CONTEXT, ino) });
  });
}

export function tierCommand(y: Argv): Argv {
  return y.command('tier', 'Storage tiers of a volume (JuiceFS 1.4): list, set, restore', (t) =>
    t
      .command(
        'list META-URL',
        'List the storage tiers and their storage classes',
        (c) => c.positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' }),
        async (a) => {
          const metaUrl = String(a['META-URL']);
          await withEngine(metaUrl, async (store) => {
            process.stdout.write(renderGrid(['id', 'storageClass', 'tag'], tierRows(await readFormat(store, metaUrl))));
          });
        },
      )
      .command(
        'set META-URL PATH',
        'Put a file, or a directory and its entries (all below it with -r), in storage tier --id: their objects are rewritten in its storage class',
        (c) =>
          targetArgs(c, 'everything below the directory too')
            .option('id', { type: 'number', describe: `tier id (0-${MAX_TIER_ID}; 0 is the default tier)` })
            .option('force', { type: 'boolean', default: false, describe: 'rewrite entries already in the tier as well' }),
        async (a) => {
          const metaUrl = String(a['META-URL']);
          const path = String(a.PATH);
          if (!flagGiven('id')) throw fsError('EINVAL', 'missing --id: the tier to set (juicefs tier list shows them)');
          const id = Number(a.id);
          if (!Number.isInteger(id) || id < 0 || id > MAX_TIER_ID) throw fsError('EINVAL', `--id ${a.id}: a tier is 0 to ${MAX_TIER_ID}`);
          await withTarget(metaUrl, path, async (vol, { ino, attr }) => {
            const tier = tiersOf(vol.format)[String(id)];
            if (id !== 0 && (tier === undefined || (tier.StorageClass === '' && tier.Tag === ''))) {
              throw fsError('EINVAL', `storage tier ${id} is not defined in the volume: define it with juicefs config ${metaUrl} --tier ${id} --storage-class CLASS`);
            }
            if (attr.type !== NodeType.File && attr.type !== NodeType.Directory) throw fsError('EINVAL', `${path}: only files and directories have a storage tier`);
            const name = (t: number) => `${t} (${tiersOf(vol.format)[String(t)]?.StorageClass || 'bucket default'})`;
            // A directory is walked anyway: entries moved in from elsewhere may be in another tier.
            if (attr.tier === id && !a.force && attr.type === NodeType.File) {
              log.info(`${path} is already in storage tier ${name(id)}: nothing to change (--force rewrites it anyway)`);
              return;
            }
            const classed = takesStorageClass(vol.format.Storage || 'file');
            if (!classed && (tierStorageClass(tier) !== '' || (tier?.Tag ?? '') !== '')) {
              log.warn(`warning: ${vol.format.Storage || 'file'} storage takes no storage class or object tags: only the tier id is set, objects stay as they are`);
            }
            log.info(`set storage tier of ${path} from ${name(attr.tier)} to ${name(id)}`);
            const bar = progressBar('Set nodes', 0);
            let done = 0;
            const r = await setTier(vol.meta, vol.storage, vol.format, { ino, attr }, id, {
              put: classed ? { storageClass: tierStorageClass(tier), ...(tier?.Tag ? { tags: tier.Tag } : {}) } : undefined,
              recursive: a.recursive,
              force: a.force,
              onNode: () => bar.update(++done, done),
            });
            bar.stop();
            log.info(`storage tier of ${path} is set to ${name(id)}: ${r.nodes} nodes, ${r.objects} objects rewritten${r.skipped > 0 ? `, ${r.skipped} already in it` : ''}`);
          });
        },
      )
      .command(
        'restore META-URL PATH',
        'Ask the object store for readable copies of the archived objects of a file, or of the files in a directory (-r: all below)',
        (c) => targetArgs(c, 'files in every directory below it too'),
        async (a) => {
          const metaUrl = String(a['META-URL']);
          const path = String(a.PATH);
          await withTarget(metaUrl, path, async (vol, { ino, attr }) => {
            const storage = vol.storage;
            const restore = storage.restore?.bind(storage);
            if (restore === undefined) {
              throw fsError('EOPNOTSUPP', `${vol.format.Storage || 'file'} storage has no archive to restore from (tier restore works on s3 and minio buckets)`);
            }
            const bar = progressBar('Restore requests', 0);
            let done = 0;
            const r = await restoreObjects(vol.meta, restore, vol.format, { ino, attr }, a.recursive, () => bar.update(++done, done));
            bar.stop();
            log.info(
              `restore of ${path}: ${r.started} objects started, ${r['in-progress']} already in progress, ${r.restored} restored already, ${r['not-archived']} not archived`,
            );
          });
        },
      )
      .demandCommand(1, 'name a tier subcommand: list, set or restore (juicefs tier --help)')
      .example('$0 config redis://localhost --tier 1 --storage-class STANDARD_IA', 'define tier 1')
      .example('$0 tier list redis://localhost', 'show the tiers')
      .example('$0 tier set redis://localhost --id 1 /archive -r', 'move /archive and everything below it to tier 1'),
  );
}
