import path from 'node:path';
import { CHUNK_SIZE, context, fsError, hasCode, type JuiceFS, type Meta } from '@juicefs/core';
import type { Argv } from 'yargs';
import { log } from '../log.js';
import { progressBar, type Progress } from '../progress.js';
import { redactUrl } from '../volume.js';
import { openVolumeFs } from '../volume-fs.js';

/**
 * `juicefs mdtest META-URL PATH` (hidden, as in JuiceFS): a benchmark of the metadata engine
 * through the client library, no FUSE. A tree of `--dirs` subdirectories per level, `--depth`
 * levels deep, under PATH/test-dir.0-0/mdtest_tree.0; then each of `--threads` workers creates
 * `--files` files in every directory of the tree (JuiceFS's names: file.mdtest.<worker>.<i>),
 * visiting subdirectories in a shuffled order. `--write N` gives each file N bytes as slice
 * records only: no object is written, so the figures are the engine's.
 */

export interface MdtestShape {
  threads: number;
  dirs: number;
  depth: number;
  files: number;
  write: number;
}

/** Directories in a tree of `width` subdirectories per level, `depth` levels below the top. */
export function treeDirs(width: number, depth: number): number {
  let dirs = 1;
  for (let level = 1, row = width; level <= depth; level++, row *= width) dirs += row;
  return dirs;
}

async function createTree(fs: JuiceFS, dir: string, depth: number, width: number, mode: number): Promise<void> {
  await fs.mkdir(dir, { mode });
  if (depth === 0) return;
  for (let i = 0; i < width; i++) await createTree(fs, path.posix.join(dir, `mdtest_tree.${i}`), depth - 1, width, mode);
}

function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Worker {
  fs: JuiceFS;
  meta: Meta;
  worker: number;
  shape: MdtestShape;
  created(): void;
}

/** One worker's files in `dir` and, depth first in shuffled order, in the directories below it. */
async function createFiles(w: Worker, dir: string, depth: number): Promise<void> {
  const { fs, meta, shape } = w;
  for (let i = 0; i < shape.files; i++) {
    const file = path.posix.join(dir, `file.mdtest.${w.worker}.${i}`);
    const fd = await fs.open(file, 'w', 0o666);
    try {
      if (shape.write > 0) {
        const { ino } = await fs.fstat(fd);
        // Slice records only, chunk by chunk, as the Go tool writes them: the engine's work
        // for N bytes of data without the object storage's.
        for (let indx = 0; indx * CHUNK_SIZE < shape.write; indx++) {
          const size = Math.min(CHUNK_SIZE, shape.write - indx * CHUNK_SIZE);
          const id = await meta.newSlice();
          await meta.write(fs.ctx, ino, indx, { pos: 0, id, size, off: 0, len: size });
        }
      }
    } finally {
      await fs.close(fd);
    }
    w.created();
  }
  if (depth === 0) return;
  for (const i of shuffled(shape.dirs)) await createFiles(w, path.posix.join(dir, `mdtest_tree.${i}`), depth - 1);
}

/** `12.345s (810 files/s)`, as JuiceFS's closing lines give a duration and a rate. */
function took(n: number, ms: number, unit: string): string {
  return `${(ms / 1000).toFixed(3)}s (${Math.round((n * 1000) / Math.max(ms, 1e-6))} ${unit}/s)`;
}

/** Run the benchmark on an opened volume; returns what it made and how fast. */
export async function runMdtest(fs: JuiceFS, meta: Meta, root: string, shape: MdtestShape, bar: Progress): Promise<{ dirs: number; files: number; dirMs: number; fileMs: number }> {
  const dirs = treeDirs(shape.dirs, shape.depth);
  const files = dirs * shape.threads * shape.files;
  log.info(`Create ${files} files in ${dirs} dirs`);
  const mode = 0o777;
  const started = performance.now();
  try {
    await fs.mkdir(root, { mode });
  } catch (err) {
    // As JuiceFS: an existing PATH is reported and used; the test directory below must be new.
    if (!hasCode(err, 'EEXIST')) throw err;
    log.warn(`mkdir ${root}: it exists already`);
  }
  const top = path.posix.join(root, 'test-dir.0-0');
  try {
    await fs.mkdir(top, { mode });
  } catch (err) {
    if (hasCode(err, 'EEXIST')) throw fsError('EEXIST', `${top} exists already (left by an earlier run): give another PATH or remove it`, err);
    throw err;
  }
  const tree = path.posix.join(top, 'mdtest_tree.0');
  await createTree(fs, tree, shape.depth, shape.dirs, mode);
  const dirMs = performance.now() - started;
  log.info(`Created ${dirs} dirs in ${took(dirs, dirMs, 'dirs')}`);
  let done = 0;
  const created = () => bar.update(++done, files);
  await Promise.all(Array.from({ length: shape.threads }, (_, worker) => createFiles({ fs, meta, worker, shape, created }, tree, shape.depth)));
  bar.stop();
  const fileMs = performance.now() - started - dirMs;
  log.info(`Created ${files} files in ${took(files, fileMs, 'files')}`);
  return { dirs, files, dirMs, fileMs };
}

function whole(flag: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw fsError('EINVAL', `--${flag} must be a whole number of at least ${min}, got ${v}`);
  return v;
}

export function mdtestCommand(y: Argv): Argv {
  return y.command(
    'mdtest <META-URL> <PATH>',
    false, // hidden, as in JuiceFS
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'the volume\'s metadata engine' })
        .positional('PATH', { type: 'string', demandOption: true, describe: 'directory inside the volume to make the tree in (e.g. /test1)' })
        .option('threads', { type: 'number', default: 1, describe: 'number of concurrent workers' })
        .option('dirs', { type: 'number', default: 3, describe: 'number of subdirectories per level' })
        .option('depth', { type: 'number', default: 2, describe: 'levels of the tree' })
        .option('files', { type: 'number', default: 10, describe: 'files per worker in each directory' })
        .option('write', { type: 'number', default: 0, describe: 'bytes per file, recorded as slices only (no object data)' }),
    async (a) => {
      const shape: MdtestShape = {
        threads: whole('threads', a.threads, 1), dirs: whole('dirs', a.dirs, 1), depth: whole('depth', a.depth, 0),
        files: whole('files', a.files, 0), write: whole('write', a.write, 0),
      };
      const root = path.posix.resolve('/', String(a.PATH));
      const metaUrl = String(a['META-URL']);
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      const v = await openVolumeFs(metaUrl, { ctx: context(uid, gid, [gid], process.pid), umask: process.umask() });
      log.debug(`mdtest on ${redactUrl(metaUrl)} in ${root}`);
      try {
        await runMdtest(v.fs, v.meta, root, shape, progressBar('create file', treeDirs(shape.dirs, shape.depth) * shape.threads * shape.files));
      } finally {
        await v.close();
      }
    },
  );
}
