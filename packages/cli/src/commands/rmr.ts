import { ROOT_INODE, fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { rmrRequest } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import { progressBar } from '../progress.js';
import { log } from '../log.js';

export function rmrCommand(y: Argv): Argv {
  return y.command(
    'rmr <PATH..>',
    'Remove directories recursively inside the mount, much faster than rm -r (to the trash unless --skip-trash)',
    (c) =>
      c
        .positional('PATH', { type: 'string', array: true, demandOption: true, describe: 'paths in a JuiceFS mount (or in the volume, with --meta)' })
        .option('skip-trash', { type: 'boolean', default: false, describe: 'remove for good instead of moving to the trash' })
        .option('threads', { alias: 'p', type: 'number', default: 50, describe: 'number of removal workers in the mount' })
        .option('meta', { type: 'string', describe: 'remove in the volume at this META-URL directly instead of through a mount' }),
    async (a) => {
      const paths = (a.PATH as unknown as string[]).map(String);
      // As JuiceFS, before anything is sent: the mount would refuse it anyway, less clearly.
      if (a['skip-trash'] && process.getuid?.() !== 0) throw fsError('EPERM', 'only root can remove files directly (--skip-trash): run as root, or leave the flag out to move them to the trash');
      const target = await openTarget(a.meta !== undefined ? '/' : paths[0]!, a.meta);
      try {
        for (const p of paths) {
          const where = await target.locate(p);
          // The mount point itself: its parent is outside the volume, so the last test alone misses it.
          if (where.name.length === 0 || where.ino === where.parent || (a.meta === undefined && where.ino === ROOT_INODE)) throw fsError('EINVAL', `${p} is the root of the volume: name a directory inside it`);
          const bar = progressBar(`Removing ${p}`, 0);
          let removed = 0;
          await rmrRequest(target.transport, where.parent, where.name, a['skip-trash'], a.threads, (n) => {
            removed = n;
            bar.update(n, n);
          });
          bar.stop();
          log.info(`removed ${p}${removed > 0 ? ` (${removed} entries)` : ''}`);
        }
      } finally {
        await target.close();
      }
    },
  );
}
