import { statSync } from 'node:fs';
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
      const dst = path.resolve(String(a.DST));
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
        await cloneRequest(target.transport, from.ino, into.ino, Buffer.from(path.basename(dst)), { umask, preserve: a.preserve }, (n) => bar.update(n, n));
        bar.stop();
      } finally {
        await target.close();
      }
    },
  );
}
