import { lstatSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { cloneRequest } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import { progressBar } from '../progress.js';

export function cloneCommand(y: Argv): Argv {
  return y.command(
    'clone <SRC> <DST>',
    'Copy a file or directory inside a mount without copying its data: the copy shares the slices (copy on write)',
    (c) =>
      c
        .positional('SRC', { type: 'string', demandOption: true, describe: 'a file or directory in a JuiceFS mount' })
        .positional('DST', { type: 'string', demandOption: true, describe: 'a new path in the same mount' })
        .option('preserve', { alias: 'p', type: 'boolean', default: false, describe: "keep the source's mode, times and (as root) owner" }),
    async (a) => {
      const src = String(a.SRC);
      // As cp and JuiceFS: a DST ending in a slash is the directory to clone into.
      const dstArg = String(a.DST);
      const dst = path.resolve(dstArg.endsWith('/') ? path.join(dstArg, path.basename(path.resolve(src))) : dstArg);
      if (lstatSync(dst, { throwIfNoEntry: false }) !== undefined) throw fsError('EEXIST', `${dst} already exists: name a new path, or remove it first`);
      const srcAbs = path.resolve(src);
      if (dst.startsWith(srcAbs.endsWith('/') ? srcAbs : `${srcAbs}/`)) {
        throw fsError('EINVAL', `${dst} is under ${srcAbs}: the clone must be made outside the tree it copies`);
      }
      const parentDir = path.dirname(dst);
      let parentIsDir = false;
      try {
        parentIsDir = statSync(parentDir).isDirectory();
      } catch {
        // reported below
      }
      if (!parentIsDir) throw fsError('ENOENT', `${parentDir} is not an existing directory: create it first`);
      const target = await openTarget(src, undefined);
      try {
        const from = await target.locate(src);
        const into = await target.locate(parentDir);
        const umask = process.umask();
        const bar = progressBar(`Cloning ${src}`, 0);
        await cloneRequest(target.transport, from.ino, from.parent, into.ino, Buffer.from(path.basename(dst)), { umask, preserve: a.preserve }, (n) => bar.update(n, n));
        bar.stop();
      } finally {
        await target.close();
      }
    },
  );
}
