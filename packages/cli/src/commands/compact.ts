import type { Argv } from 'yargs';
import { compactRequest } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import { progressBar } from '../progress.js';
import { log } from '../log.js';

export function compactCommand(y: Argv): Argv {
  return y.command(
    'compact <PATH..>',
    'Merge the fragmented slices of the files under PATH (through the mount), as reads and writes would over time',
    (c) =>
      c
        .positional('PATH', { type: 'string', array: true, demandOption: true, describe: 'files or directories in a JuiceFS mount' })
        .option('threads', { alias: 'p', type: 'number', default: 10, describe: 'number of chunks compacted at once' }),
    async (a) => {
      const paths = (a.PATH as unknown as string[]).map(String);
      const target = await openTarget(paths[0]!, undefined);
      try {
        for (const p of paths) {
          const where = await target.locate(p);
          const bar = progressBar(`Compacting ${p}`, 0);
          let chunks = 0;
          await compactRequest(target.transport, where.ino, a.threads, (total, done) => {
            chunks = total;
            bar.update(done, total);
          });
          bar.stop();
          log.info(`compacted ${p}${chunks > 0 ? ` (${chunks} chunks)` : ''}`);
        }
      } finally {
        await target.close();
      }
    },
  );
}
