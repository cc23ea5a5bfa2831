import { readFileSync, statSync } from 'node:fs';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { CacheAction } from '../control/protocol.js';
import { fillCacheRequest, type CacheResponse } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import { printJson, renderAligned } from '../output.js';
import { progressBar } from '../progress.js';
import { formatBytes } from './info.js';
import { iBytes } from './summary.js';
import { log } from '../log.js';

export function warmupCommand(y: Argv): Argv {
  return y.command(
    'warmup [PATH..]',
    'Fetch the blocks of files into the cache of the mount (or --evict them)',
    (c) =>
      c
        .positional('PATH', { type: 'string', array: true, describe: 'files or directories in a JuiceFS mount' })
        .option('file', { alias: 'f', type: 'string', describe: 'a file listing paths, one per line' })
        .option('threads', { alias: 'p', type: 'number', default: 50, describe: 'number of concurrent block fetches' })
        .option('background', { alias: 'b', type: 'boolean', default: false, describe: 'return at once and let the mount work in the background' })
        .option('evict', { type: 'boolean', default: false, describe: 'drop the blocks from the cache instead' })
        .option('check', { type: 'boolean', default: false, describe: 'report how much of the files is cached, fetching nothing' })
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
    async (a) => {
      const paths = ((a.PATH as unknown as string[] | undefined) ?? []).map(String);
      if (a.file !== undefined) paths.push(...readFileSync(a.file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
      if (a.evict && a.check) throw fsError('EINVAL', '--evict and --check cannot be used together');
      if (paths.length === 0 && a.file === undefined) throw fsError('EINVAL', 'name files or directories to warm up, or a list of them with --file');
      if (paths.length === 0) {
        log.info(`no path in ${a.file}: nothing to do`); // an empty list is no error, as in JuiceFS
        return;
      }
      const action = a.evict ? CacheAction.Evict : a.check ? CacheAction.Check : CacheAction.Warmup;
      // As JuiceFS: a path that does not exist (a stale line in a list) is skipped with a
      // warning, and the others are still warmed up.
      const present = paths.filter((p) => {
        if (statSync(p, { throwIfNoEntry: false }) !== undefined) return true;
        log.warn(`skipped ${p}: no such file or directory`);
        return false;
      });
      if (present.length === 0) {
        log.info('no path left to warm up');
        return;
      }
      const target = await openTarget(present[0]!, undefined);
      try {
        const inner: string[] = [];
        for (const p of present) inner.push((await target.locate(p)).inner);
        const verb = a.evict ? 'eviction' : a.check ? 'check' : 'warmup';
        const bar = progressBar(a.evict ? 'Evicted files' : a.check ? 'Checked files' : 'Warmed up files', 0);
        const r = await fillCacheRequest(target.transport, inner, { threads: a.threads, background: a.background, action }, (n) => bar.update(n, n));
        bar.stop();
        if (a.json) printJson(r);
        else if (a.background) log.info(`${verb} of ${present.length} paths goes on in the background`);
        else if (a.check) {
          const report = checkReport(r);
          process.stdout.write(report.table);
          log.info(report.summary);
        }
        else log.info(`${a.evict ? 'evicted' : 'warmed up'} ${r.FileCount} files, ${r.SliceCount} slices, ${formatBytes(r.TotalBytes)}`);
      } finally {
        await target.close();
      }
    },
  );
}

/**
 * What `warmup --check` prints, as JuiceFS does: on stdout a table of where the cached bytes are
 * (sizes as go-humanize writes them, Location left and the figures right-aligned), then the
 * "check cache: ..." line, which JuiceFS logs (stderr).
 */
export function checkReport(r: CacheResponse): { table: string; summary: string } {
  const total = r.TotalBytes;
  const pct = (n: number) => `${total > 0 ? ((n * 100) / total).toFixed(1) : '0.0'}%`;
  const where = Object.entries(r.Locations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const table = where.length > 0 ? renderAligned(['Location', 'Size', 'Percentage'], where.map(([loc, n]) => [loc, iBytes(n), pct(n)]), 0) : '';
  return { table, summary: `check cache: ${r.FileCount} files checked, ${iBytes(total - r.MissBytes)} of ${iBytes(total)} (${pct(total - r.MissBytes)}) cached` };
}
