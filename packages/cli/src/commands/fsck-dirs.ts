import type { Ino } from '@juicefs/core';
import { checkDirectory } from '@juicefs/meta';
import type { EngineStore } from '../wiring.js';
import { log } from '../log.js';

const show = (s: { space: number; inodes: number } | undefined) => (s === undefined ? 'none' : `{space: ${s.space}, inodes: ${s.inodes}}`);

/**
 * The metadata half of `juicefs fsck --path DIR [-r] [--repair] [--sync-dir-stat]`, as JuiceFS's
 * Check does it: each directory's nlink and usage statistics are compared with its entries, and
 * fixed with --repair. Problems are reported on stderr with the command that fixes them, as
 * JuiceFS words them. True when something is (still) wrong.
 */
export async function checkDirectories(
  store: EngineStore,
  start: { ino: Ino; path: string },
  opts: { recursive: boolean; repair: boolean; syncDirStat: boolean; dirStats: boolean },
): Promise<boolean> {
  if (opts.syncDirStat && !opts.dirStats) log.warn('warning: dir stats are off in this volume: --sync-dir-stat is ignored');
  let broken = false;
  let repaired = 0;
  const queue: Array<{ ino: Ino; path: string }> = [start];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { ino, path } = next;
    const r = await checkDirectory(store, ino, opts);
    if (r === undefined) continue;
    if (opts.recursive) {
      for (const sub of r.subdirs) queue.push({ ino: sub.ino, path: `${path === '/' ? '' : path}/${sub.name}` });
    }
    if (r.nlink) log.warn(`nlink of ${path} should be ${r.nlink.counted}, but got ${r.nlink.stored}`);
    if (r.stat) {
      if (r.stat.stored === undefined || r.stat.stored.space < 0 || r.stat.stored.inodes < 0) log.warn(`usage stat of ${path} is missing or broken`);
      else log.warn(`usage stat of ${path} should be ${show(r.stat.counted)}, but got ${show(r.stat.stored)}`);
    }
    if (r.repaired) {
      if (r.nlink || r.stat) repaired++;
      continue;
    }
    if (r.nlink) {
      broken = true;
      log.warn(`Path ${path} (inode ${ino}) can be repaired, please re-run with '--path ${path} --repair' to fix it`);
    }
    if (r.stat) {
      broken = true;
      log.warn(`Stat of path ${path} (inode ${ino}) should be synced, please re-run with '--path ${path} --repair --sync-dir-stat' to fix it`);
    }
  }
  if (opts.repair) log.info(`repaired ${repaired} ${repaired === 1 ? 'directory' : 'directories'}`);
  return broken;
}
