import { spawn, spawnSync } from 'node:child_process';
import { SUPERVISE_ENV, requestUpgrade, workerServing } from '../mount/supervisor.js';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { fsError, hasCode } from '@juicefs/core';
import { checkMountPoint, isMountPoint, mountCount, topMountAt, takeInheritedFuseFd, unmountCommand, wantsFusermount } from '@juicefs/fuse';
import type { Argv, Options } from 'yargs';
import { backupInterval, parseBackupInterval } from '../mount/backup.js';
import { parseCustomLabels } from '../metrics/labels.js';
import { serveMount, type ServeOptions } from '../mount/serve.js';
import { FUSE_FLAGS, fuseTuning } from '../mount/flags-fuse.js';
import { META_FLAGS, metaServeOptions } from '../mount/flags-meta.js';
import { CACHE_FLAGS, cacheServeOptions } from '../mount/flags-cache.js';
import { OBJSTORE_FLAGS, objstoreOptions } from '../mount/flags-objstore.js';
import { fstabLine, fstabOptions, installMountHelper, updateFstab } from '../mount/fstab.js';
import { rawArgs } from '../args.js';
import { parseMbpsFlag } from '../size-flag.js';
import { parseDurationFlag } from '../duration-flag.js';
import { atLeastZero, clientSizesAndTimes } from '../mount/flags-sizes.js';
import { mountBackgroundThroughFusermount, mountForegroundThroughFusermount } from './mount-fusermount.js';
import { redactUrl } from '../volume.js';
import { VERSION } from '../version.js';
import { log } from '../log.js';
import { parseStats, statsFile } from './stats.js';

const root = process.getuid?.() === 0;

/**
 * The flags of `juicefs mount`, by name: the command's options, and the names `mount.juicefs`
 * (fstab) and `--update-fstab` translate to and from `-o name=value` (see mount/fstab.ts).
 */
export const MOUNT_FLAGS = {
  'background': { alias: 'd', type: 'boolean', default: false, describe: 'run in the background; returns once mounted' },
  'upgrade': { type: 'boolean', default: false, describe: 'with -d, on a mount point already serving this volume in the background: replace its worker with one from this command line, without unmounting' },
  'log': { type: 'string', default: root ? '/var/log/juicefs.log' : path.join(homedir(), '.juicefs/juicefs.log'), describe: 'log file in background mode' },
  'read-only': { type: 'boolean', default: false, describe: 'mount read-only' },
  'cache-dir': { type: 'string', default: root ? '/var/jfsCache' : path.join(homedir(), '.juicefs/cache'), describe: 'block cache directory; several as a:b (glob patterns allowed), sharing --cache-size; or "memory"' },
  'cache-size': { type: 'string', default: '100G', describe: 'disk cache size: MiB, or with a unit K, M, G, T (e.g. 100G)' },
  'buffer-size': { type: 'string', default: '300M', describe: 'read/write buffer: MiB, or with a unit K, M, G (e.g. 1G)' },
  'writeback': { type: 'boolean', default: false, describe: 'upload blocks in the background (staged in the cache dir)' },
  'attr-cache': { type: 'string', default: '1', describe: 'attribute cache timeout: seconds, or a duration (e.g. 500ms, 1m)' },
  'entry-cache': { type: 'string', default: '1', describe: 'file entry cache timeout: seconds, or a duration' },
  'negative-entry-cache': { type: 'string', default: '0', describe: 'how long the kernel may remember that a name does not exist: seconds, or a duration' },
  'readdir-cache': { type: 'boolean', default: false, describe: 'let the kernel keep directory listings (dropped when the directory changes)' },
  'dir-entry-cache': { type: 'string', default: '1', describe: 'directory entry cache timeout: seconds, or a duration' },
  'heartbeat': { type: 'string', default: '12', describe: 'session heartbeat interval: seconds, or a duration (e.g. 12s)' },
  'metrics': { type: 'string', default: '127.0.0.1:9567', describe: 'address of the Prometheus metrics endpoint (HOST:PORT; empty for none)' },
  'no-bgjob': { type: 'boolean', default: false, describe: 'do not run background jobs (cleanup of deleted data, trash, sessions, metadata backups)' },
  'backup-meta': { type: 'string', default: '1h', describe: 'back the metadata up into meta/ of the bucket this often (at least 5m; 0 turns it off)' },
  'backup-skip-trash': { type: 'boolean', default: false, describe: 'leave the trash out of metadata backups' },
  'free-space-ratio': { type: 'number', default: 0.1, describe: 'keep at least this fraction of the cache disk free' },
  'prefetch': { type: 'number', describe: 'blocks to read ahead for sequential readers (default: adaptive)' },
  'max-readahead': { type: 'string', default: '8', describe: 'kernel readahead window: MiB, or with a unit K, M (0: the kernel default)' },
  'writeback-cache': { type: 'boolean', default: false, describe: 'let the kernel cache writes (FUSE writeback cache)' },
  'enable-xattr': { type: 'boolean', default: false, describe: 'enable extended attributes (xattr); off, the kernel is told xattrs are not supported' },
  'enable-cap': { type: 'boolean', default: false, describe: 'serve security.capability xattrs (costs a metadata query per write)' },
  'non-default-permission': { type: 'boolean', default: false, describe: 'check permissions in the file system instead of the kernel' },
  'subdir': { type: 'string', describe: 'mount this directory of the volume instead of its root (made if missing)' },
  'bucket': { type: 'string', describe: 'use this bucket address instead of the volume\'s (e.g. an internal endpoint of the same bucket)' },
  'upload-limit': { type: 'string', describe: 'upload bandwidth limit in Mbps, or with a unit M, G (e.g. 1G); 0 for none (default: the volume setting)' },
  'download-limit': { type: 'string', describe: 'download bandwidth limit in Mbps, or with a unit M, G; 0 for none (default: the volume setting)' },
  'max-uploads': { type: 'number', default: 20, describe: 'blocks uploaded at the same time' },
  'cache-large-write': { type: 'boolean', default: false, describe: 'cache full blocks when writing too (smaller ones always are)' },
  'prefix-internal': { type: 'boolean', default: false, describe: 'name the internal files .jfs.stats, .jfs.config… so they cannot clash with yours' },
  'hide-internal': { type: 'boolean', default: false, describe: 'leave the internal files (.stats, .config, .accesslog, .trash) out of the root listing' },
  'root-squash': { type: 'string', describe: 'run requests of root as this user instead, as UID:GID (permissions then checked for that user)' },
  'all-squash': { type: 'string', describe: 'run every request as this user, as UID:GID (permissions then checked for that user)' },
  'custom-labels': { type: 'string', describe: 'labels added to every metric, as KEY:VALUE;KEY:VALUE' },
  'no-usage-report': { type: 'boolean', default: false, describe: 'accepted for JuiceFS command lines: this client never reports usage' },
  'no-syslog': { type: 'boolean', default: false, describe: 'accepted for JuiceFS command lines: this client never logs to syslog' },
  ...FUSE_FLAGS,
  'update-fstab': { type: 'boolean', default: false, describe: 'add (or replace) this mount in /etc/fstab, with these flags as options, and install /sbin/mount.juicefs so mount -a and boot mount it' },
  ...META_FLAGS,
  ...CACHE_FLAGS,
  ...OBJSTORE_FLAGS,
} as const satisfies Record<string, Options>;

export function mountCommand(y: Argv): Argv {
  return y.command(
    'mount META-URL MOUNTPOINT',
    'Mount a volume at MOUNTPOINT (FUSE; as root, or through fusermount3 without root)',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('MOUNTPOINT', { type: 'string', demandOption: true, describe: 'an existing, empty directory' })
        .options(MOUNT_FLAGS)
        .option('o', { type: 'string', array: true, default: [], describe: 'FUSE mount options, comma separated (e.g. allow_other, writeback_cache, noatime)' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const mountpoint = path.resolve(String(a.MOUNTPOINT));
      // Bad values fail here, before any mount or fork.
      parseBackupInterval(String(a['backup-meta']));
      const tuning = { ...mountTuning(a), ...fuseTuning(a) };
      const metaBehaviour = metaServeOptions(a);
      const cache = cacheServeOptions(a);
      const objstore = objstoreOptions(a);
      const sizesAndTimes = clientSizesAndTimes(a);
      if (a['update-fstab']) addToFstab(metaUrl, mountpoint);
      // Started through the fusermount3 helper: the mount is made, this process only serves it.
      const mountedFd = takeInheritedFuseFd();
      const fuse = fuseOptions(a.o.map(String), a['writeback-cache']);
      if (mountedFd === undefined && wantsFusermount()) {
        // Not root (or JFS_FUSERMOUNT=1): fusermount3 mounts, and this command line runs again,
        // without -d, as the server it hands the descriptor to.
        const request = { metaUrl, mountpoint, readOnly: a['read-only'], defaultPermissions: !a['non-default-permission'], extraOptions: fuse.extraOptions };
        if (a.background) await mountBackgroundThroughFusermount(request, String(a.log));
        else await mountForegroundThroughFusermount(request);
        return;
      }
      if (a.background) {
        await startInBackground(mountpoint, String(a.log), a.force, metaUrl, a.upgrade);
        return;
      }
      const worker = workerServing();
      const reason = await serveMount(metaUrl, mountpoint, {
        readOnly: a['read-only'], cacheDir: a['cache-dir'], ...sizesAndTimes,
        backgroundJobs: !a['no-bgjob'], writeback: a.writeback, version: VERSION, metrics: a.metrics,
        backupMetaMs: backupInterval(String(a['backup-meta'])), backupSkipTrash: a['backup-skip-trash'],
        freeSpaceRatio: a['free-space-ratio'], enableCap: a['enable-cap'], enableXattr: a['enable-xattr'],
        defaultPermissions: !a['non-default-permission'], ...(a.prefetch !== undefined ? { prefetch: a.prefetch } : {}),
        ...tuning, ...metaBehaviour, ...cache, ...objstore, ...fuse, ...(mountedFd !== undefined ? { mountedFd } : {}), ...(worker ? { worker } : {}),
        // JuiceFS's words, which people wait for in logs: "OK, NAME is ready at MOUNTPOINT".
        onMounted: (f) => log.info(`OK, ${f.Name} is ready at ${mountpoint} (${redactUrl(metaUrl)})`),
      });
      log.info(`${mountpoint} unmounted (${reason})`);
    },
  );
}

/**
 * `--update-fstab`: this mount, with the flags given, into /etc/fstab (JFS_FSTAB for another
 * file), and /sbin/mount.juicefs (JFS_MOUNT_HELPER_DIR for another directory) so mount(8) can run it.
 */
function addToFstab(metaUrl: string, mountpoint: string): void {
  if (!root) throw fsError('EPERM', '--update-fstab writes /etc/fstab and /sbin/mount.juicefs: run it as root');
  const file = process.env['JFS_FSTAB'] ?? '/etc/fstab';
  const args = rawArgs();
  const line = fstabLine(metaUrl, mountpoint, fstabOptions(args.slice(args.indexOf('mount') + 1), MOUNT_FLAGS));
  const done = updateFstab(file, line);
  const { helper, replaced } = installMountHelper(process.env['JFS_MOUNT_HELPER_DIR'] ?? '/sbin', process.argv[1] ?? '');
  log.info(`${file}: ${done === 'unchanged' ? 'already has' : done} "${line}"`);
  log.info(`${helper}: ${replaced ? `replaced ${replaced} with` : 'is'} the mount helper of this juicefs`);
}

/** The parsed flags `mountTuning` reads (yargs' camel-case twins left out). */
export interface TuningFlags {
  'bucket'?: string | undefined;
  'subdir'?: string | undefined;
  'upload-limit'?: string | number | undefined;
  'download-limit'?: string | number | undefined;
  'max-uploads': number;
  'cache-large-write': boolean;
  'prefix-internal': boolean;
  'hide-internal': boolean;
  'custom-labels'?: string | undefined;
  'root-squash'?: string | undefined;
  'all-squash'?: string | undefined;
  'negative-entry-cache'?: string | number | undefined;
  'readdir-cache'?: boolean | undefined;
}

/**
 * The data-path and naming flags JuiceFS's mount takes, checked and turned into serve options.
 * A value this client cannot honour is an error, never silently ignored.
 */
export function mountTuning(a: TuningFlags): Partial<ServeOptions> {
  const count = (flag: string, v: number | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (!Number.isFinite(v) || v < min) throw fsError('EINVAL', `--${flag} must be a number of at least ${min}, got ${v}`);
    return v;
  };
  const out: Partial<ServeOptions> = {
    maxUploads: count('max-uploads', a['max-uploads'], 1) ?? 20,
    cacheLargeWrite: a['cache-large-write'],
    prefixInternal: a['prefix-internal'],
    hideInternal: a['hide-internal'],
  };
  if (a.bucket !== undefined && a.bucket !== '') out.bucket = a.bucket;
  if (a.subdir !== undefined && a.subdir.replace(/\/+/g, '') !== '') out.subdir = a.subdir;
  const up = a['upload-limit'] === undefined ? undefined : parseMbpsFlag('upload-limit', a['upload-limit']);
  const down = a['download-limit'] === undefined ? undefined : parseMbpsFlag('download-limit', a['download-limit']);
  if (up !== undefined) out.uploadLimitMbps = up;
  if (down !== undefined) out.downloadLimitMbps = down;
  if (a['custom-labels'] !== undefined) out.customLabels = parseCustomLabels(a['custom-labels']);
  const negative = a['negative-entry-cache'] === undefined ? 0 : atLeastZero('negative-entry-cache', parseDurationFlag('negative-entry-cache', a['negative-entry-cache']));
  if (negative > 0) out.negativeEntryCache = negative;
  if (a['readdir-cache']) out.readdirCache = true;
  if (a['root-squash'] !== undefined) out.rootSquash = parseUidGid('root-squash', a['root-squash']);
  if (a['all-squash'] !== undefined) out.allSquash = parseUidGid('all-squash', a['all-squash']);
  return out;
}

/** `UID:GID` of --root-squash / --all-squash. */
export function parseUidGid(flag: string, text: string): { uid: number; gid: number } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  const uid = Number(m?.[1]);
  const gid = Number(m?.[2]);
  if (!m || uid > 0xffffffff || gid > 0xffffffff) throw fsError('EINVAL', `--${flag} ${text}: give the user as UID:GID, e.g. --${flag} 65534:65534`);
  return { uid, gid };
}

/** Re-run this command without -d, detached, logging to `logFile`; return once the mount is up. */
async function startInBackground(mountpoint: string, logFile: string, overMount: boolean, metaUrl: string, upgrade: boolean): Promise<void> {
  // The command line run() was given (under mount.juicefs, the one its options stand for).
  const drop = ['-d', '--background', '--background=true', '--update-fstab', '--update-fstab=true', '--upgrade', '--upgrade=true'];
  const args = [process.argv[1] ?? '', ...rawArgs().filter((x) => !drop.includes(x))];
  const abs = path.resolve(mountpoint);
  // --upgrade: a supervisor of this volume serves the mount point; it replaces its worker with one
  // run from this command line (JuiceFS upgrades on mounting again; here that stays an error
  // unless asked, so a mistaken second mount never swaps a live one).
  if (upgrade) {
    if (!root || !(await isMountPoint(abs))) throw fsError('EINVAL', `--upgrade: nothing is mounted at ${abs} by a background mount as root; mount it without --upgrade`);
    const pid = await requestUpgrade(abs, metaUrl, { execPath: process.execPath, execArgv: [...process.execArgv], args });
    if (pid === undefined) throw fsError('EINVAL', `--upgrade: the mount at ${abs} has no supervisor to upgrade it (a foreground mount, or one of an older client): unmount and mount it again`);
    log.info(`upgraded the mount at ${mountpoint} in place: worker pid ${pid} serves it now (log ${logFile})`);
    return;
  }
  // Checked here too: on a mount point that is already mounted, the wait below would see the old
  // mount and report success while the child fails.
  await checkMountPoint(mountpoint, { overMount }).catch((err: unknown) => {
    if (hasCode(err, 'EBUSY') && root) throw fsError('EBUSY', `${(err as Error).message}; to upgrade a background mount of this volume in place instead, add --upgrade`, err);
    throw err;
  });
  const before = await mountCount(mountpoint);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  // As root the background process supervises the one that serves (supervisor.ts).
  // It holds the connection and runs (and reruns) the worker that serves it; bin/juicefs.ts
  // starts it before loading any command.
  const env = root ? { ...process.env, [SUPERVISE_ENV]: JSON.stringify({ mountpoint, metaUrl }) } : process.env;
  const child = spawn(process.execPath, [...process.execArgv, ...args], { detached: true, stdio: ['ignore', fd, fd], env });
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  // Looked for every 20 ms (a read of /proc/self/mountinfo), for up to 30 s.
  for (let i = 0; i < 1500; i++) {
    if ((await mountCount(mountpoint)) > before) {
      child.unref();
      log.info(`mounted at ${mountpoint} in the background (pid ${child.pid}, log ${logFile})`);
      return;
    }
    if (exited !== undefined) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-6).join('\n');
  if (exited === undefined) child.kill();
  throw fsError('EIO', `the background mount of ${mountpoint} did not come up; the end of ${logFile}:\n${tail}`);
}

export function umountCommand(y: Argv): Argv {
  return y.command(
    'umount MOUNTPOINT',
    'Unmount a volume',
    (c) =>
      c
        .positional('MOUNTPOINT', { type: 'string', demandOption: true })
        .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'detach even if busy (lazy unmount)' })
        .option('flush', { type: 'boolean', default: false, describe: 'first wait until the blocks --writeback staged are uploaded' }),
    async (a) => {
      const mp = path.resolve(String(a.MOUNTPOINT));
      const top = await topMountAt(mp);
      if (top === undefined) throw fsError('EINVAL', `${mp} is not a mount point`);
      // Only JuiceFS's own type (ours and the Go client's): a typo must not take down a disk.
      if (top.fstype !== 'fuse.juicefs') {
        throw fsError('EINVAL', `${mp} is not a JuiceFS mount (${top.fstype} from ${top.source}): unmount it with umount ${mp}`);
      }
      if (a.flush) await waitForStagedBlocks(mp);
      // umount(8) as root; fusermount3 -u otherwise (users may take down their own FUSE mounts).
      const [cmd, args] = unmountCommand(mp, a.force);
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.error !== undefined) throw fsError('EIO', `cannot run ${cmd}: ${r.error.message}${cmd === 'umount' ? '; install util-linux' : '; install fuse3'}`);
      if (r.status !== 0) {
        throw fsError(/busy/i.test(r.stderr) ? 'EBUSY' : 'EIO', `${path.basename(cmd)} ${args.join(' ')} failed: ${r.stderr.trim().replace(/\.$/, '')}${/busy/i.test(r.stderr) ? '; close the files using it, or use --force' : ''}`);
      }
    },
  );
}

/**
 * `-o a,b -o c` as JuiceFS takes them. allow_other is implied for root (our mounts always set it),
 * writeback_cache is a FUSE INIT feature rather than a mount(8) option, and the rest go to mount(8).
 */
export function fuseOptions(list: readonly string[], writebackCache: boolean): { writebackCache: boolean; extraOptions: string[] } {
  const extra: string[] = [];
  let wb = writebackCache;
  for (const opt of list.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean)) {
    if (opt === 'writeback_cache') wb = true;
    else if (opt === 'allow_other' || opt === 'default_permissions') continue;
    else extra.push(opt);
  }
  return { writebackCache: wb, extraOptions: extra };
}

/**
 * `umount --flush`: wait, reading the mount's .stats, until no block staged by --writeback is
 * left to upload, saying how many remain. Unmounting first would leave them staged on this host
 * until the volume is mounted here again.
 */
async function waitForStagedBlocks(mp: string): Promise<void> {
  const file = statsFile(mp);
  let said = -1;
  let lastSaid = 0;
  for (;;) {
    const left = parseStats(readFileSync(file, 'utf8')).get('juicefs_staging_blocks') ?? 0;
    if (left === 0) return;
    if (left !== said && Date.now() - lastSaid >= 1000) {
      log.info(`${mp}: waiting for ${left} staged block${left === 1 ? '' : 's'} to be uploaded`);
      said = left;
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
