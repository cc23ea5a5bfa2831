import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { renderGrid } from '../output.js';
import { readFormat } from '../volume.js';
import { tierRows } from '../tiers.js';
import { withEngine } from '../wiring.js';

// JuiceFS 1.4's storage tiers: ids 0-3, each a storage class (and object tags) for the objects of
// files set to it. `juicefs config --tier N --storage-class C` defines them; `tier list` shows them.

export function tierCommand(y: Argv): Argv {
  return y.command('tier', 'Storage tiers of a volume (JuiceFS 1.4): list them', (t) =>
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
        ['set META-URL PATH', 'restore META-URL PATH'],
        'Not supported yet: changing a file\'s tier, or restoring archived objects',
        (c) => c.option('id', { type: 'number' }).option('recursive', { alias: 'r', type: 'boolean' }).option('force', { type: 'boolean' }),
        () => {
          throw fsError(
            'EOPNOTSUPP',
            'tier set and tier restore are not supported by this client yet (they copy or restore objects in another storage class): run them with the Go client; tier list and config --tier work here',
          );
        },
      )
      .demandCommand(1, 'name a tier subcommand: list (juicefs tier --help)')
      .example('$0 config redis://localhost --tier 1 --storage-class STANDARD_IA', 'define tier 1')
      .example('$0 tier list redis://localhost', 'show the tiers'),
  );
}
