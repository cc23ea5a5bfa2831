import { ROOT_CONTEXT, TRASH_INODE, fsError, type Ino, type Meta } from '@juicefs/core';
import type { Argv } from 'yargs';
import { checkTrashHour, restoreTrashHour, TRASH_HOUR } from '../control/restore.js';
import { listDir, pathsOf } from '../control/tree.js';
import { openToolVolume } from '../control/volume-access.js';
import { renderGrid } from '../output.js';
import { progressBar } from '../progress.js';
import { log } from '../log.js';

/** Where entries went back to, for the report: its path, or its place in the trash when it is there itself. */
async function describeDir(meta: Meta, ino: Ino, hour: string, trashedDirs: ReadonlyMap<Ino, Buffer>): Promise<string> {
  const paths = await pathsOf(meta, ROOT_CONTEXT, ino).catch(() => []);
  if (paths.length > 0) return paths.join(', ');
  const inTrash = trashedDirs.get(ino);
  return inTrash ? `/.trash/${hour}/${inTrash.toString()}` : `inode ${ino}`;
}

/** The trash's hours with their entry counts, oldest first. */
async function trashHours(meta: Meta): Promise<Array<{ hour: string; entries: number }>> {
  const hours: Array<{ hour: string; entries: number }> = [];
  for await (const h of listDir(meta, ROOT_CONTEXT, TRASH_INODE)) {
    const hour = h.name.toString();
    if (!TRASH_HOUR.test(hour)) continue;
    let entries = 0;
    for await (const _ of listDir(meta, ROOT_CONTEXT, h.ino)) entries++;
    hours.push({ hour, entries });
  }
  return hours.sort((a, b) => a.hour.localeCompare(b.hour));
}

export function restoreCommand(y: Argv): Argv {
  return y.command(
    'restore META-URL [HOUR..]',
    'Restore files from the trash: rebuild the trees removed in each hour, and with --put-back move them back where they were',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('HOUR', { type: 'string', array: true, describe: 'trash hours (YYYY-MM-DD-HH, UTC) to restore; none lists the hours' })
        .option('put-back', { type: 'boolean', default: false, describe: 'move the recovered files into their original directories' })
        .option('threads', { type: 'number', default: 10, describe: 'number of concurrent renames' })
        .example('$0 restore sqlite3://myjfs.db', 'list the hours the trash holds')
        .example('$0 restore redis://localhost/1 2023-05-10-01 --put-back', 'put back what was removed in that hour'),
    async (a) => {
      if (process.getuid && process.getuid() !== 0) throw fsError('EPERM', 'only root can restore files from the trash: run juicefs restore as root');
      const hours = ((a.HOUR as unknown as string[] | undefined) ?? []).map(String);
      hours.forEach(checkTrashHour); // all of them before restoring any
      const vol = await openToolVolume(String(a['META-URL']));
      let failures = 0;
      try {
        const { meta } = vol;
        if (hours.length === 0) {
          const all = await trashHours(meta);
          if (all.length === 0) {
            process.stdout.write(`the trash of ${vol.format.Name} is empty\n`);
          } else {
            process.stdout.write(`${renderGrid(['hour (UTC)', 'entries'], all.map((h) => [h.hour, String(h.entries)]))}\n`);
            process.stdout.write(`restore one with: juicefs restore ${String(a['META-URL'])} ${all[all.length - 1]!.hour} [--put-back]\n`);
          }
          return;
        }
        for (const hour of hours) {
          const bar = progressBar(`Restoring ${hour}`, 0);
          const r = await restoreTrashHour(meta, hour, { putBack: a['put-back'], threads: a.threads, onProgress: (done, total) => bar.update(done, total) });
          bar.stop();
          process.stdout.write(`${hour}: restored ${r.restored} of ${r.total} entries, skipped ${r.skipped}, failed ${r.failed.length}\n`);
          for (const [dir, n] of r.restoredTo) process.stdout.write(`  restored ${n} ${n === 1 ? 'entry' : 'entries'} to ${await describeDir(meta, dir, hour, r.trashedDirs)}\n`);
          if (r.skipped > 0 && !a['put-back']) {
            process.stdout.write(`  ${r.skipped} ${r.skipped === 1 ? 'entry stays' : 'entries stay'} in .trash/${hour} (their directories were not removed that hour): add --put-back to move them back too\n`);
          }
          for (const f of r.failed) log.warn(`  cannot restore ${f.name}: ${f.error}`);
          failures += r.failed.length;
        }
      } finally {
        await vol.close();
      }
      if (failures > 0) {
        throw fsError('EIO', `${failures} ${failures === 1 ? 'entry' : 'entries'} could not be restored and stayed in the trash (reasons above): move aside what took their names, or restore their directories first, then run restore again`);
      }
    },
  );
}
