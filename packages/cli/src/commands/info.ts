import { existsSync } from 'node:fs';
import { CHUNK_SIZE, errnoOf, fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { findMount } from '../control/client.js';
import { infoRequest, type InfoResponse } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import { printJson, renderAligned } from '../output.js';
import { progressBar } from '../progress.js';
import { log } from '../log.js';

/** "1.00 KiB (1024 Bytes)", as JuiceFS formats sizes. */
export function formatBytes(n: number): string {
  const units = ['Bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} Bytes` : `${v.toFixed(2)} ${units[i]} (${n} Bytes)`;
}

/** The answer as JuiceFS prints it; `ino` is the inode asked about, exact where JSON's number is not. */
function render(label: string, ino: bigint, r: InfoResponse): string {
  const lines = [`${label} :`, `  inode: ${ino}`, `  files: ${r.Summary.Files}`, `   dirs: ${r.Summary.Dirs}`];
  lines.push(` length: ${formatBytes(r.Summary.Length)}`, `   size: ${formatBytes(r.Summary.Size)}`);
  const paths = r.Paths ?? [];
  if (paths.length === 0) lines.push('   path: unknown');
  else if (paths.length === 1) lines.push(`   path: ${paths[0]}`);
  else lines.push('  paths:', ...paths.map((p) => `\t${p}`));
  // As JuiceFS prints them: the tier, then boxed tables (chunks with --raw, else objects with
  // each one's position in the file).
  if (r.TierStr !== undefined && r.TierStr !== '') lines.push(`   tier: ${r.TierID ?? 0}->${r.TierStr}`);
  let out = lines.join('\n') + '\n';
  if (r.Chunks && r.Chunks.length > 0) {
    const rows = r.Chunks.map((c) => [c.ChunkIndex, c.Id, c.Size, c.Off, c.Len].map(String));
    out += ` chunks:\n${renderAligned(['chunkIndex', 'sliceId', 'size', 'offset', 'length'], rows, -1)}`;
  }
  if (r.Objects && r.Objects.length > 0) {
    let chunk = -1;
    let within = 0;
    const rows = r.Objects.map((o) => {
      if (o.ChunkIndex !== chunk) within = 0;
      chunk = o.ChunkIndex;
      const pos = o.ChunkIndex * CHUNK_SIZE + within;
      within += o.Len;
      return [String(o.ChunkIndex), o.Key, String(o.Size), String(o.Off), String(o.Len), String(pos)];
    });
    out += ` objects:\n${renderAligned(['chunkIndex', 'objectName', 'size', 'offset', 'length', 'pos'], rows, 1)}`;
  }
  return out;
}

export function infoCommand(y: Argv): Argv {
  return y.command(
    'info <PATH..>',
    'Show the inode, paths, size and chunk -> slice -> object map of files, or a summary of directories (through the mount, or --meta)',
    (c) =>
      c
        .positional('PATH', { type: 'string', array: true, demandOption: true, describe: 'paths in a JuiceFS mount (or in the volume, with --meta)' })
        .option('inode', { alias: 'i', type: 'boolean', default: false, describe: 'the arguments are inode numbers, in the mount holding the current directory (or given first: MOUNTPOINT INODE...; or with --meta)' })
        .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: 'summarize directories recursively (may be slow for big trees)' })
        .option('raw', { type: 'boolean', default: false, describe: 'show slices instead of objects' })
        .option('strict', { type: 'boolean', default: false, describe: 'exact summary (always exact here)' })
        .option('meta', { type: 'string', describe: 'ask the volume at this META-URL directly instead of a mount' })
        .option('json', { type: 'boolean', default: false, describe: 'print the answers as JSON' }),
    async (a) => {
      const args = (a.PATH as unknown as string[]).map(String);
      const meta = a.meta;
      // With -i, JuiceFS takes the mount from the current directory (cd /mnt/jfs; juicefs info
      // -i 100); a first argument that is not a number names it instead (juicefs info -i MP 100).
      const mountArg = a.inode && meta === undefined && !/^[0-9]+$/.test(args[0]!) ? args[0]! : undefined;
      const inodeArgs = a.inode ? (mountArg !== undefined ? args.slice(1) : args) : [];
      if (a.inode && inodeArgs.length === 0) throw fsError('EINVAL', 'give the inode numbers: juicefs info -i INODE... from inside the mount, or juicefs info -i MOUNTPOINT INODE...');
      const inodes = inodeArgs.map((s) => {
        if (!/^[0-9]+$/.test(s) || BigInt(s) < 1n || BigInt(s) > 0xffffffffffffffffn) throw fsError('EINVAL', `${s} is not an inode number: with -i, give inode numbers (1 or more) instead of paths`);
        return BigInt(s);
      });
      if (a.inode && meta === undefined && mountArg === undefined) {
        try {
          findMount(process.cwd());
        } catch {
          throw fsError('EINVAL', `the current directory (${process.cwd()}) is not inside a JuiceFS mount: cd into the mount first, or name it: juicefs info -i MOUNTPOINT INODE...`);
        }
      }
      // The mount comes from the first path that exists, so one bad path does not hide the rest.
      const first = meta !== undefined ? '/' : a.inode ? (mountArg ?? process.cwd()) : (args.find((p) => existsSync(p)) ?? args[0]!);
      const target = await openTarget(first, meta);
      const all: InfoResponse[] = [];
      const labels = a.inode ? inodeArgs : args;
      let failed = 0;
      let failure: unknown;
      try {
        for (const [i, label] of labels.entries()) {
          // As JuiceFS: a path that fails is reported and the others are still shown (exit 1 here).
          try {
            const ino = a.inode ? inodes[i]! : (await target.locate(label)).ino;
            const bar = progressBar(`${label}: files`, 0);
            const r = await infoRequest(target.transport, ino, { recursive: a.recursive, raw: a.raw, strict: a.strict }, (n) => bar.update(n, n));
            bar.stop();
            if (r.Failed) throw fsError('EIO', `info of ${label}: ${r.Reason}`);
            all.push(r);
            if (!a.json) process.stdout.write(render(label, ino, r));
          } catch (err) {
            if (labels.length === 1) throw err;
            log.error(`${label}: ${(err as Error).message}`);
            failure ??= err;
            failed++;
          }
        }
      } finally {
        await target.close();
      }
      if (a.json) printJson(all.length === 1 ? all[0] : all);
      if (failure !== undefined) throw fsError(errnoOf(failure), `${failed} of ${labels.length} ${a.inode ? 'inodes' : 'paths'} failed (named above)`);
    },
  );
}
