import { blockKey, blocksOf, parseBlockName } from '@juicefs/chunk';
import { compactChunk, type ObjectInfo } from '@juicefs/core';
import type { Argv } from 'yargs';
import { runPool } from '../control/handler.js';
import { scanFiles } from '../control/slice-scan.js';
import { openToolVolume } from '../control/volume-access.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';
import { log } from '../log.js';

/** A count with the bytes it covers, as gc reports each class. */
interface Tally {
  count: number;
  bytes: number;
}

const tally = (): Tally => ({ count: 0, bytes: 0 });
const add = (t: Tally, bytes: number) => {
  t.count++;
  t.bytes += bytes;
};

/** Objects written within this window may belong to a slice whose commit has not landed yet. */
const GRACE_MS = 3600_000;

export function gcCommand(y: Argv): Argv {
  return y.command(
    'gc META-URL',
    'Find leaked objects and pending deletions of a volume; --delete cleans them, --compact merges fragmented chunks',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .option('delete', { type: 'boolean', default: false, describe: 'delete leaked objects and purge pending deleted files and slices' })
        .option('compact', { type: 'boolean', default: false, describe: 'compact every chunk with more than one slice first' })
        .option('threads', { alias: 'p', type: 'number', default: 10, describe: 'number of concurrent object deletions / compactions' })
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
    async (a) => {
      const vol = await openToolVolume(String(a['META-URL']));
      try {
        const threads = Math.max(1, a.threads);
        const { meta, format, storage } = vol;
        const blockSize = format.BlockSize * 1024;
        if (a.compact) {
          const store = await vol.chunks();
          meta.onSliceDelete((id, size) => store.remove(id, size));
          const jobs: Array<() => Promise<void>> = [];
          await scanFiles(meta.store, (f) => {
            for (const [indx, slices] of f.chunks) if (slices.length > 1) jobs.push(async () => void (await compactChunk(meta, store, f.ino, indx)));
          });
          const bar = progressBar('Compacted chunks', jobs.length);
          let done = 0;
          await runPool(jobs.map((j) => async () => {
            await j();
            bar.update(++done);
          }), threads);
          bar.stop();
          log.info(`compacted ${jobs.length} chunks`);
        }

        // Every block key a live slice owns, and the slices waiting for deletion.
        const valid = new Set<string>();
        const slices = tally();
        const sliceIds = new Set<number>();
        await scanFiles(meta.store, (f) => {
          for (const list of f.chunks.values()) {
            for (const s of list) {
              if (s.id === 0 || sliceIds.has(s.id)) continue;
              sliceIds.add(s.id);
              add(slices, s.size);
              for (const b of blocksOf(s.id, s.size, blockSize)) valid.add(blockKey(b, format.HashPrefix ?? false));
            }
          }
        });
        const delFiles = await meta.store.listDelFiles(Number.MAX_SAFE_INTEGER);
        const pendingFiles = tally();
        for (const d of delFiles) add(pendingFiles, d.length);
        const pending = await meta.store.listPendingSlices(Number.MAX_SAFE_INTEGER);
        const pendingSlices = tally();
        for (const s of pending) {
          add(pendingSlices, s.size);
          for (const b of blocksOf(s.id, s.size, blockSize)) valid.add(blockKey(b, format.HashPrefix ?? false));
        }

        // Every object under chunks/: valid, leaked, or too young to judge.
        const scanned = tally();
        const validObjs = tally();
        const leaked = tally();
        const skipped = tally();
        const leakedKeys: ObjectInfo[] = [];
        const bar = progressBar('Scanned objects', 0);
        const now = Date.now();
        let after: string | undefined;
        for (;;) {
          const page = await storage.list('chunks/', { limit: 1000, ...(after !== undefined ? { startAfter: after } : {}) });
          if (page.length === 0) break;
          for (const o of page) {
            if (o.isDir) continue;
            add(scanned, o.size);
            if (valid.has(o.key)) add(validObjs, o.size);
            else if (!parseBlockName(o.key) || (o.mtime > 0 && now - o.mtime < GRACE_MS)) add(skipped, o.size);
            else {
              add(leaked, o.size);
              leakedKeys.push(o);
            }
          }
          bar.update(scanned.count, scanned.count);
          after = page[page.length - 1]!.key;
        }
        bar.stop();

        let cleaned: { files: number; slices: number } | undefined;
        if (a.delete) {
          await runPool(leakedKeys.map((o) => () => storage.delete(o.key)), threads);
          const store = await vol.chunks();
          meta.onSliceDelete((id, size) => store.remove(id, size));
          cleaned = { files: 0, slices: 0 };
          for (;;) {
            const r = await meta.cleanupDeleted();
            cleaned.files += r.files;
            cleaned.slices += r.slices;
            if (r.files === 0 && r.slices === 0) break;
          }
        }
        const result = {
          Slices: slices,
          PendingDeletedFiles: pendingFiles,
          PendingDeletedSlices: pendingSlices,
          ScannedObjects: scanned,
          ValidObjects: validObjs,
          LeakedObjects: leaked,
          SkippedObjects: skipped,
          ...(cleaned ? { Deleted: { LeakedObjects: leaked.count, Files: cleaned.files, Slices: cleaned.slices } } : {}),
        };
        if (a.json) printJson(result);
        else {
          const line = (label: string, t: Tally) => process.stdout.write(`${label.padEnd(24)} ${String(t.count).padStart(10)}  ${t.bytes} bytes\n`);
          line('Listed slices:', slices);
          line('Pending deleted files:', pendingFiles);
          line('Pending deleted slices:', pendingSlices);
          line('Scanned objects:', scanned);
          line('Valid objects:', validObjs);
          line('Leaked objects:', leaked);
          line('Skipped objects:', skipped);
          for (const o of leakedKeys.slice(0, 100)) process.stdout.write(`leaked: ${o.key} (${o.size} bytes)\n`);
          if (cleaned) process.stdout.write(`deleted ${leaked.count} leaked objects, purged ${cleaned.files} files and ${cleaned.slices} slices\n`);
          else if (leaked.count + pendingFiles.count + pendingSlices.count > 0) process.stdout.write('run again with --delete to clean them\n');
        }
      } finally {
        await vol.close();
      }
    },
  );
}
