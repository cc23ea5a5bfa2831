import { blockKey, blocksOf } from '@juicefs/chunk';
import { ROOT_CONTEXT, ROOT_INODE, hasCode, fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { runPool } from '../control/handler.js';
import { scanFiles, type ScannedFile } from '../control/slice-scan.js';
import { resolvePath } from '../control/tree.js';
import { openToolVolume } from '../control/volume-access.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';
import { checkDirectories } from './fsck-dirs.js';
import { log } from '../log.js';

/** One block that is not in object storage as the metadata says. */
interface BadBlock {
  key: string;
  problem: string;
}

export function fsckCommand(y: Argv): Argv {
  return y.command(
    'fsck META-URL',
    "Check that every slice's blocks exist in object storage with the right size",
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .option('path', { type: 'string', describe: 'check only this path of the volume (e.g. /dir/file)' })
        .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: 'with --path, check (or repair) the whole tree below it' })
        .option('repair', { type: 'boolean', default: false, describe: "with --path, fix directories' link counts and broken usage statistics" })
        .option('sync-dir-stat', { type: 'boolean', default: false, describe: 'with --path, recount the usage statistics of every directory checked, not only broken ones (slow for huge trees)' })
        .option('threads', { alias: 'p', type: 'number', default: 10, describe: 'number of concurrent object checks' })
        .option('json', { type: 'boolean', default: false, describe: 'print the broken files as JSON' }),
    async (a) => {
      // As JuiceFS: a repair is always of a named path.
      if (a.repair && (a.path === undefined || a.path === '')) throw fsError('EINVAL', 'fsck --repair needs the path to repair: add --path DIR (e.g. --path / -r for the whole volume)');
      const vol = await openToolVolume(String(a['META-URL']));
      let broken = 0;
      let dirsBroken = false;
      try {
        // vol.storage is opened when a block is first looked at: a directory-only check needs none.
        const { meta, format } = vol;
        const blockSize = format.BlockSize * 1024;
        // Compressed or encrypted objects are not block-sized, so only their presence is checked.
        const exactSize = (format.Compression || 'none') === 'none' && !format.EncryptKey;
        let start = { ino: ROOT_INODE, path: '' };
        let scanBlocks = true;
        if (a.path !== undefined && a.path !== '/' && a.path !== '') {
          const p = `/${a.path.replace(/^\/+|\/+$/g, '')}`;
          const ino = await resolvePath(meta, ROOT_CONTEXT, p).catch((err: unknown) => {
            if (hasCode(err, 'ENOENT')) throw fsError('ENOENT', `--path ${p} does not exist in volume ${format.Name}`);
            throw err;
          });
          start = { ino, path: p };
        }
        if (a.path !== undefined && a.path !== '') {
          const opts = { recursive: a.recursive, repair: a.repair, syncDirStat: a['sync-dir-stat'], dirStats: format.DirStats === true };
          dirsBroken = await checkDirectories(meta.store, { ino: start.ino, path: start.path || '/' }, opts);
          // As JuiceFS: a directory without -r is checked itself, its files are not.
          if (!a.recursive && (await meta.getAttr(ROOT_CONTEXT, start.ino)).type === 2) {
            scanBlocks = false;
            log.info(`--path ${start.path || '/'} is a directory: checked it, not the files below it (add -r for those)`);
          }
        }
        const files: ScannedFile[] = [];
        if (scanBlocks) await scanFiles(meta.store, (f) => void files.push(f), start);
        const checked = new Map<number, Promise<BadBlock[]>>();
        const checkSlice = (id: number, size: number) => {
          let p = checked.get(id);
          if (!p) {
            p = (async () => {
              const bad: BadBlock[] = [];
              for (const b of blocksOf(id, size, blockSize)) {
                const key = blockKey(b, format.HashPrefix ?? false);
                try {
                  const h = await vol.storage.head(key);
                  if (exactSize && h.size !== b.length) bad.push({ key, problem: `size ${h.size}, expected ${b.length}` });
                } catch (err) {
                  if (!hasCode(err, 'ENOENT')) throw err;
                  bad.push({ key, problem: 'missing' });
                }
              }
              return bad;
            })();
            checked.set(id, p);
          }
          return p;
        };
        const report: Array<{ path: string; inode: string; blocks: BadBlock[] }> = [];
        const bar = progressBar('Checked files', files.length);
        let done = 0;
        await runPool(
          files.map((f) => async () => {
            const bad: BadBlock[] = [];
            for (const list of f.chunks.values()) for (const s of list) if (s.id > 0) bad.push(...(await checkSlice(s.id, s.size)));
            if (bad.length > 0) report.push({ path: f.path, inode: String(f.ino), blocks: bad });
            bar.update(++done);
          }),
          Math.max(1, a.threads),
        );
        bar.stop();
        broken = report.length;
        report.sort((x, y) => x.path.localeCompare(y.path));
        if (a.json) printJson({ Files: files.length, Slices: checked.size, Broken: report });
        else if (scanBlocks) {
          for (const r of report) {
            process.stdout.write(`broken file ${r.path} (inode ${r.inode}):\n`);
            for (const b of r.blocks) process.stdout.write(`  ${format.Name}/${b.key}: ${b.problem}\n`);
          }
          process.stdout.write(`checked ${files.length} files, ${checked.size} slices: ${broken === 0 ? 'all objects are in place' : `${broken} broken files`}\n`);
        }
      } finally {
        await vol.close();
      }
      if (broken > 0) throw fsError('EIO', `${broken} files have missing or damaged objects (listed above): restore the objects or delete those files`);
      if (dirsBroken) throw fsError('EIO', 'some directories are broken (see the warnings above): re-run with the --repair they name');
    },
  );
}
