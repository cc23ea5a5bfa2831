import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';
import { ROOT_INODE, fsError } from '@juicefs/core';
import type { Ino } from '@juicefs/core';
import { dumpMeta, engineExtras, loadMeta, readCounters } from '@juicefs/meta';
import type { Argv } from 'yargs';
import { log } from '../log.js';
import { progressBar } from '../progress.js';
import { readFormat, redactUrl } from '../volume.js';
import { withEngine } from '../wiring.js';
import type { EngineStore } from '../wiring.js';

/** Resolve a path inside the volume ("/a/b") to its inode, without permission checks. */
async function resolvePath(store: EngineStore, path: string): Promise<Ino> {
  let ino = ROOT_INODE;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const e = await store.txn((tx) => tx.getEntry(ino, Buffer.from(part)));
    if (!e) throw fsError('ENOENT', `--subdir ${path}: "${part}" does not exist`);
    if (e.type !== 2) throw fsError('ENOTDIR', `--subdir ${path}: "${part}" is not a directory`);
    ino = e.ino;
  }
  return ino;
}

export function dumpCommand(y: Argv): Argv {
  return y.command(
    'dump META-URL [FILE]',
    'Export the metadata as JSON (to FILE, or stdout); a .gz name compresses',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('FILE', { type: 'string', describe: 'output file (default: stdout)' })
        .option('subdir', { type: 'string', describe: 'dump only this directory of the volume' })
        .option('keep-secret-key', { type: 'boolean', default: false, describe: 'keep the object storage secret in the dump' })
        .option('skip-trash', { type: 'boolean', default: false, describe: 'leave the trash out' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const file = typeof a.FILE === 'string' ? a.FILE : undefined;
      await withEngine(metaUrl, async (store) => {
        await readFormat(store, metaUrl);
        const root = a.subdir ? await resolvePath(store, a.subdir) : ROOT_INODE;
        const total = (await readCounters(store)).usedInodes + 1;
        const bar = progressBar('Dumped entries', total, file === undefined);
        const fileOut = file !== undefined ? createWriteStream(file) : undefined;
        const gzip = file?.endsWith('.gz') ? createGzip() : undefined;
        if (gzip && fileOut) gzip.pipe(fileOut);
        const out: NodeJS.WritableStream = gzip ?? fileOut ?? process.stdout;
        const extras = engineExtras(store);
        const options = {
          root, keepSecretKey: a['keep-secret-key'], skipTrash: a['skip-trash'], onNode: (n: number) => bar.update(n),
          ...(extras ? { extras } : {}),
        };
        const nodes = await dumpMeta(store, out, options);
        bar.stop();
        if (fileOut) {
          (gzip ?? fileOut).end();
          await once(fileOut, 'close');
          log.info(`dumped ${nodes} entries to ${file}`);
        }
      });
    },
  );
}

/** The dump as a stream of chunks (stdin or FILE, gunzipped for .gz), read as load goes. */
async function openDump(file: string | undefined): Promise<AsyncIterable<Buffer | string>> {
  if (file === undefined) return process.stdin;
  const input = createReadStream(file);
  await once(input, 'open').catch((err: Error) => {
    throw fsError('ENOENT', `cannot read dump ${file}: ${err.message}`, err);
  });
  return file.endsWith('.gz') ? input.pipe(createGunzip()) : input;
}

export function loadCommand(y: Argv): Argv {
  return y.command(
    'load META-URL [FILE]',
    'Import a JSON dump (from FILE, or stdin; .gz is decompressed) into an empty metadata engine',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL (must be empty)' })
        .positional('FILE', { type: 'string', describe: 'dump file (default: stdin)' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const file = typeof a.FILE === 'string' ? a.FILE : undefined;
      const input = await openDump(file);
      await withEngine(metaUrl, async (store) => {
        const bar = progressBar('Loaded entries', 1);
        const extras = engineExtras(store);
        const result = await loadMeta(store, input, { onNode: (d, t) => bar.update(d, t), ...(extras ? { extras } : {}) });
        bar.stop();
        log.info(`loaded ${result.nodes} entries into ${redactUrl(metaUrl)}`);
        if (result.skipped.length > 0) {
          log.warn(`warning: not restored (this engine does not store them through load yet): ${result.skipped.join(', ')}`);
        }
      });
    },
  );
}
