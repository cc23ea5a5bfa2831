import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { flagGiven, rawArgs } from '../args.js';
import { log } from '../log.js';
import { openEndpoint } from '../sync/endpoint.js';
import { SyncFilter, filterRulesOf } from '../sync/filter.js';
import { BandwidthLimit, parseMbps } from '../sync/bwlimit.js';
import { execute, type SyncCounts } from '../sync/execute.js';
import { planSync, type SyncPlan } from '../sync/plan.js';
import { CheckpointKeeper, checkpointKey, isCheckpointKey, loadCheckpoint, workOf } from '../sync/checkpoint.js';
import { FilesFrom, hasAttributeFilter, keyInRange, parseSyncDuration, selectOptionsOf, selectsEntry } from '../sync/select.js';
import type { SyncEntry } from '../sync/tree.js';
import { checkModeOf, toCompare } from '../sync/verify.js';
import { SyncManager } from '../sync/manager.js';
import { parseWorkers } from '../sync/ssh.js';
import { runWorker } from '../sync/worker.js';

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/**
 * The command line a worker runs: this one without the manager's own flags, and with local SRC
 * and DST made absolute (a worker starts in its home directory).
 */
function workerArgs(raw: readonly string[], endpoints: readonly string[]): string[] {
  const absolute = (x: string) => (endpoints.includes(x) && !/^[a-z][a-z0-9]*:\/\//.test(x) ? path.resolve(x) + (x.endsWith('/') ? '/' : '') : x);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i]!;
    if (x === '--worker' || x === '--manager-addr') i++;
    else if (!x.startsWith('--worker=') && !x.startsWith('--manager-addr=')) out.push(absolute(x));
  }
  return out;
}

/** What workers need from this process's environment: the META-URLs of jfs:// endpoints, and passphrases. */
function workerEnv(endpoints: readonly string[]): Record<string, string> {
  const names = endpoints.flatMap((e) => /^jfs:\/\/([^/]+)/.exec(e)?.[1] ?? []);
  const env: Record<string, string> = {};
  for (const name of [...names, 'META_PASSWORD', 'JFS_RSA_PASSPHRASE']) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/** The --files-from list, with an error that names the file when it cannot be read. */
async function readFilesFrom(file: string): Promise<FilesFrom> {
  try {
    return new FilesFrom(await fsp.readFile(file, 'utf8'));
  } catch (err) {
    throw fsError('ENOENT', `--files-from ${file}: cannot read it (${(err as Error).message}); give a file listing one key or directory/ a line`);
  }
}

/** The flags that decide what a sync copies: a checkpoint is only resumed by a run with the same. */
const JOB_FLAGS = [
  'exclude', 'include', 'match-full-path', 'update', 'force-update', 'dirs', 'perms', 'links', 'delete-src', 'delete-dst',
  'check-all', 'check-new', 'start', 'end', 'existing', 'ignore-existing', 'min-size', 'max-size', 'min-age', 'max-age',
  'start-time', 'end-time', 'limit', 'files-from', 'check-change', 'inplace',
] as const;

function jobFlags(a: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(JOB_FLAGS.map((f) => [f, a[f] ?? null]));
}

/** Run `save` on the first SIGINT or SIGTERM, then exit as interrupted (130/143). */
function onInterrupt(save: () => Promise<void>): { dispose(): void } {
  const handler = (signal: NodeJS.Signals) => {
    dispose();
    log.warn(`juicefs: ${signal}: saving the work left`);
    void save().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const dispose = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return { dispose };
}

export function syncCommand(y: Argv): Argv {
  return y.command(
    'sync SRC DST',
    'Copy what differs from SRC to DST: local directories, object storage (TYPE://[KEY:SECRET@]BUCKET.ENDPOINT/PREFIX) and volumes (jfs://NAME/PATH, META-URL in $NAME)',
    (c) =>
      c
        .positional('SRC', { type: 'string', demandOption: true, describe: 'where to copy from' })
        .positional('DST', { type: 'string', demandOption: true, describe: 'where to copy to' })
        .option('exclude', { type: 'string', array: true, default: [], describe: 'leave out keys matching this pattern (rules apply in the order given)' })
        .option('include', { type: 'string', array: true, default: [], describe: 'take keys matching this pattern even where a later --exclude matches' })
        .option('match-full-path', { type: 'boolean', default: false, describe: 'match patterns against whole paths, not last names' })
        .option('update', { alias: 'u', type: 'boolean', default: false, describe: 'copy existing files only when the source is newer' })
        .option('force-update', { alias: 'f', type: 'boolean', default: false, describe: 'copy existing files always' })
        .option('dirs', { type: 'boolean', default: false, describe: 'make directories too, empty ones included' })
        .option('perms', { type: 'boolean', default: false, describe: 'keep permission bits' })
        .option('links', { alias: 'l', type: 'boolean', default: false, describe: 'copy symlinks as symlinks (otherwise what they point to)' })
        .option('delete-src', { alias: 'deleteSrc', type: 'boolean', default: false, describe: 'remove from SRC what was copied (or already equal at DST)' })
        .option('delete-dst', { alias: 'deleteDst', type: 'boolean', default: false, describe: 'remove from DST what SRC does not have' })
        .option('threads', { alias: 'p', type: 'number', default: 10, describe: 'files copied at the same time' })
        .option('check-all', { type: 'boolean', default: false, describe: 'compare the content of every file on both sides (copying those that differ) and verify each copy' })
        .option('check-new', { type: 'boolean', default: false, describe: 'verify each copied file by reading both sides back' })
        .option('dry', { type: 'boolean', default: false, describe: 'say what would be done, do nothing' })
        .option('no-https', { type: 'boolean', default: false, describe: 'reach object storage over plain http' })
        .option('start', { alias: 's', type: 'string', default: '', describe: 'the first KEY to sync (keys in byte order, relative to SRC)' })
        .option('end', { alias: 'e', type: 'string', default: '', describe: 'the last KEY to sync' })
        .option('existing', { alias: 'ignore-non-existing', type: 'boolean', default: false, describe: 'skip creating new files at the destination: only update those it has' })
        .option('ignore-existing', { type: 'boolean', default: false, describe: 'skip updating files that already exist at the destination' })
        .option('min-size', { type: 'string', describe: 'skip files smaller than SIZE (bytes, or with a unit: K, M, G, T, P, E)' })
        .option('max-size', { type: 'string', describe: 'skip files larger than SIZE' })
        .option('min-age', { type: 'string', describe: 'skip files modified within DURATION (e.g. 30m, 1h, 2d; a bare number is seconds)' })
        .option('max-age', { type: 'string', describe: 'skip files not modified within DURATION' })
        .option('start-time', { type: 'string', describe: 'skip files modified before this time, e.g. "2006-01-02 15:04:05" (local time)' })
        .option('end-time', { type: 'string', describe: 'skip files modified after this time' })
        .option('limit', { type: 'number', default: -1, describe: 'the most objects to handle (-1: no limit, 0: none)' })
        .option('files-from', { type: 'string', describe: 'sync only the keys (and directories, ending in /) listed in FILE, one a line' })
        .option('check-change', { type: 'boolean', default: false, describe: 'after each copy, check the source file was not changed meanwhile (size and mtime); a changed one is a failure' })
        .option('max-failure', { type: 'number', default: -1, describe: 'stop after this many failures (-1: no limit)' })
        .option('inplace', { type: 'boolean', default: false, describe: 'write destination files in place instead of through a temporary file renamed over them' })
        .option('bwlimit', { type: 'string', default: '0', describe: 'limit the bandwidth of the copies to this many Mbps (0: unlimited; G, T, P units too)' })
        .option('list-threads', { type: 'number', default: 1, describe: 'directories listed at the same time (file systems; object storage lists one page after another)' })
        .option('list-depth', { type: 'number', default: 1, describe: 'list the top N levels of directories in parallel (with --list-threads)' })
        .option('enable-checkpoint', { type: 'boolean', default: false, describe: 'keep the work left at DST (.juicefs-sync-checkpoint.<hash>.json): the same command run again resumes it without listing' })
        .option('checkpoint-interval', { type: 'string', default: '10s', describe: 'how often the checkpoint is saved (e.g. 10s, 1m)' })
        .option('worker', { type: 'string', describe: 'hosts ([USER@]HOST, comma-separated) that copy too: started over ssh ($JUICEFS_SSH), each running this juicefs at the same path' })
        .option('manager', { type: 'string', hidden: true, describe: 'the manager a worker reports to (set by --worker)' })
        .option('manager-addr', { type: 'string', describe: 'HOST:PORT, HOST or :PORT the manager listens on for its workers (default: the local address toward the first worker, any port)' }),
    async (a) => {
      if (!Number.isInteger(a.threads) || a.threads < 1) throw fsError('EINVAL', `--threads must be a whole number of at least 1, got ${a.threads}`);
      if (a['delete-src'] && a['delete-dst']) throw fsError('EINVAL', '--delete-src and --delete-dst cannot be used together');
      const workers = parseWorkers(a.worker === undefined ? [] : ([] as string[]).concat(a.worker));
      if (flagGiven('manager-addr') && workers.length === 0) throw fsError('EINVAL', '--manager-addr only applies with --worker: add the worker hosts, or leave the address out');
      const manager = a.manager === undefined || a.manager === '' ? undefined : String(a.manager);
      if (manager !== undefined && workers.length > 0) throw fsError('EINVAL', '--manager and --worker together: a worker cannot start workers of its own');
      if (!Number.isInteger(a.limit) || a.limit < -1) throw fsError('EINVAL', `limit should not be less than -1 (--limit ${a.limit}): give a whole number of objects, -1 for no limit`);
      if (!Number.isInteger(a['max-failure']) || a['max-failure'] < -1) throw fsError('EINVAL', `--max-failure ${a['max-failure']}: give a whole number of failures to stop after, -1 for no limit`);
      for (const flag of ['list-threads', 'list-depth'] as const) {
        if (!Number.isInteger(a[flag]) || a[flag] < 1) throw fsError('EINVAL', `--${flag} must be a whole number of at least 1, got ${a[flag]}`);
      }
      if (a.existing && a['ignore-existing']) throw fsError('EINVAL', '--existing and --ignore-existing together would skip every file: give one of them');
      if (flagGiven('checkpoint-interval') && !a['enable-checkpoint']) {
        throw fsError('EINVAL', '--checkpoint-interval only applies with --enable-checkpoint: add it, or leave the interval out');
      }
      const checkpointMs = parseSyncDuration('checkpoint-interval', String(a['checkpoint-interval']));
      const select = selectOptionsOf(a);
      const mbps = parseMbps('bwlimit', a.bwlimit);
      // Only the manager selects; a worker is handed its items.
      const filesFrom = a['files-from'] === undefined || manager !== undefined ? undefined : await readFilesFrom(a['files-from']);
      const filter = new SyncFilter(filterRulesOf(rawArgs()), a['match-full-path']);
      const src = await openEndpoint(String(a.SRC), { noHttps: a['no-https'] });
      try {
        const dst = await openEndpoint(String(a.DST), { noHttps: a['no-https'] });
        try {
          if (a.links && !src.isFileSystem) throw fsError('EINVAL', `--links: ${src.description} is object storage, which has no symlinks`);
          if (src.rootIsDirectory && !(await src.rootIsDirectory())) {
            throw fsError('ENOENT', `SRC ${src.description} is not an existing directory: check the path (nothing was copied or deleted)`);
          }
          const check = checkModeOf(a);
          // How each file is copied or compared: the same here and in the workers.
          const itemOptions = {
            perms: a.perms, links: a.links, deleteSrc: a['delete-src'], check, checkChange: a['check-change'], inplace: a.inplace,
            bwlimit: mbps > 0 ? new BandwidthLimit(mbps) : undefined,
          };
          if (manager !== undefined) {
            const token = process.env['JFS_SYNC_TOKEN'];
            const id = process.env['JFS_SYNC_WORKER'];
            if (token === undefined || id === undefined) throw fsError('EINVAL', '--manager is for the workers a --worker sync starts over ssh: run the sync with --worker HOSTS instead');
            const done = await runWorker({ manager, token, id, threads: a.threads, item: { src, dst, o: itemOptions } });
            log.debug(`juicefs sync worker: copied ${done.copied} (${formatBytes(done.copiedBytes)}), checked ${done.checked}, failed ${done.failed}`);
            return;
          }
          if (!a.dry) await dst.create();
          const checkpoint = a['enable-checkpoint'] && !a.dry ? checkpointKey({ src: String(a.SRC), dst: String(a.DST), flags: jobFlags(a) }) : undefined;
          const resumed = checkpoint !== undefined ? await loadCheckpoint(dst, checkpoint) : undefined;
          let plan: SyncPlan;
          let counts: SyncCounts;
          let compare: SyncEntry[];
          if (resumed !== undefined) {
            const w = resumed.work;
            plan = { mkdirs: w.mkdirs, copies: w.copies, links: w.links, same: w.same, deletes: w.deletes, untouched: [], filtered: 0, found: resumed.counts.found };
            counts = { ...resumed.counts, failed: 0 };
            compare = w.compare;
            const left = w.mkdirs.length + w.copies.length + w.links.length + w.deletes.length + w.compare.length + w.same.length;
            log.info(`Resuming the sync saved at ${resumed.savedAt} in ${checkpoint} (--enable-checkpoint): ${left} items left, neither side listed again`);
          } else {
            const listing = { links: a.links, threads: a['list-threads'], depth: a['list-depth'] };
            const [srcAll, dstAll] = await Promise.all([src.list(listing), dst.list(listing)]);
            // Checkpoint files (ours or a Go client's) are neither copied nor deleted.
            const [srcList, dstList] = [srcAll, dstAll].map((l) => l.filter((e) => !isCheckpointKey(e.key))) as [SyncEntry[], SyncEntry[]];
            if (filesFrom !== undefined) {
              const missing = filesFrom.resolve(new Set(srcList.map((e) => e.key)));
              if (missing > 0) log.info(`Ignored ${missing} non-existent paths from the file list (--files-from)`);
            }
            const now = Date.now();
            plan = planSync(srcList, dstList, {
              update: a.update, forceUpdate: a['force-update'], dirs: a.dirs, deleteDst: a['delete-dst'], dstIsFileSystem: dst.isFileSystem,
              // Key selection applies to both sides, so --delete-dst stays inside the range or list too.
              // The pattern filter first and always: it must see every key, in order, to know which
              // directories it excluded (their contents go with them).
              takes: (k) => filter.takes(k) && keyInRange(k, select) && (filesFrom === undefined || filesFrom.takes(k)),
              ...(hasAttributeFilter(select) ? { selects: (e: SyncEntry) => selectsEntry(e, select, now) } : {}),
              existing: a.existing, ignoreExisting: a['ignore-existing'], limit: a.limit,
            });
            counts = { found: plan.found, copied: 0, copiedBytes: 0, skipped: plan.same.length + plan.untouched.length, deleted: 0, failed: 0, checked: 0 };
            compare = toCompare(plan.same, check);
          }
          if (a.dry) {
            for (const e of plan.mkdirs) process.stdout.write(`mkdir ${e.key}\n`);
            for (const e of [...plan.copies, ...plan.links]) process.stdout.write(`copy ${e.key}\n`);
            for (const e of plan.deletes) process.stdout.write(`delete ${e.key}\n`);
            if (a['delete-src']) for (const e of [...plan.copies, ...plan.links, ...plan.same]) process.stdout.write(`delete source ${e.key}\n`);
          } else {
            // The manager listens first: an address it cannot listen on fails the run before a
            // checkpoint keeper or an interrupt handler exists to be left behind.
            const dataItems = plan.copies.length + compare.length;
            const sharing = workers.length > 0 && dataItems > 0
              ? await SyncManager.start({ workers, managerAddr: a['manager-addr'] ?? '', args: workerArgs(rawArgs(), [String(a.SRC), String(a.DST)]), env: workerEnv([String(a.SRC), String(a.DST)]), program: [process.execPath, process.argv[1] ?? 'juicefs'] })
              : undefined;
            const keeper = checkpoint !== undefined ? new CheckpointKeeper(dst, checkpoint, workOf(plan, compare, a['delete-src']), counts, checkpointMs) : undefined;
            keeper?.start();
            // Interrupted: the work left is saved before the process goes (as a failed run's is).
            const interrupted = keeper === undefined ? undefined : onInterrupt(() => keeper.finish(false));
            sharing?.launch();
            try {
              await execute(plan, src, dst, { ...itemOptions, threads: a.threads, compare, maxFailure: a['max-failure'], progress: keeper, sharing }, counts);
            } finally {
              await sharing?.finish();
              interrupted?.dispose();
            }
            await keeper?.finish(counts.failed === 0);
          }
          log.info(
            `${a.dry ? '(dry run) ' : ''}found: ${counts.found}, copied: ${a.dry ? plan.copies.length + plan.links.length + plan.mkdirs.length : counts.copied} (${formatBytes(a.dry ? plan.copies.reduce((n, e) => n + e.size, 0) : counts.copiedBytes)}), ` +
              `${(check !== undefined || a['check-change']) && !a.dry ? `checked: ${counts.checked}, ` : ''}skipped: ${counts.skipped}, deleted: ${a.dry ? plan.deletes.length : counts.deleted}, failed: ${counts.failed}`,
          );
          if (a['max-failure'] > 0 && counts.failed >= a['max-failure']) {
            throw fsError('EIO', `stopped after ${counts.failed} failures (--max-failure ${a['max-failure']}), with changes left undone; fix what failed (named above) and run the sync again`);
          }
          if (counts.failed > 0) throw fsError('EIO', `${counts.failed} of the changes failed (named above); run the sync again to retry them`);
        } finally {
          await dst.close();
        }
      } finally {
        await src.close();
      }
    },
  );
}
