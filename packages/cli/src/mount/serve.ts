import path from 'node:path';
import { hostname } from 'node:os';
import { chroot, ROOT_CONTEXT, Vfs, type AtimeMode, type ChunkConfigShown, type ChunkStore, type Meta } from '@juicefs/core';
import type { Format } from '@juicefs/core';
import { checkStorage, chunkStoreOptionsFor, DEFAULT_IO_RETRIES, openChunkStore, openVolumeStorage, type ChunkStoreOptions, type ResolvedOptions, type UploadHours } from '@juicefs/chunk';
import { MAX_MAX_WRITE, VfsFuseHandler, mount, type FuseMount } from '@juicefs/fuse';
import { HANDED_OVER, reportConnection, reportSession, type WorkerServing } from './supervisor.js';
import { openMeta } from '@juicefs/meta';
import { createControlHandler } from '../control/index.js';
import { startMetricsBeside } from '../metrics/index.js';
import { MetaBackupJob } from './backup.js';
import { plainFormat } from '../control/volume-access.js';
import { readFormat } from '../volume.js';
import { redacted } from '../secrets.js';
import { log, logs } from '../log.js';
import { unappliedTiersWarning } from '../tiers.js';
import { keyPassphrase } from '../key-passphrase.js';

/** The disk cache flags (mount/flags-cache.ts), as the chunk store takes (and documents) them. */
type DiskCacheSettings = Pick<ChunkStoreOptions, 'cacheMode' | 'cacheItems' | 'cacheEviction' | 'cacheExpire' | 'cacheScanInterval' | 'cachePartialOnly' | 'verifyCacheChecksum'>;

export interface ServeOptions extends DiskCacheSettings {
  readOnly: boolean;
  cacheDir: string;
  /** Bytes. */
  cacheSize: number;
  /** Bytes. */
  bufferSize: number;
  attrCache: number;
  entryCache: number;
  dirEntryCache: number;
  heartbeat: number;
  backgroundJobs: boolean;
  /** `--backup-meta` in ms: a metadata backup this often into `meta/` of the bucket; 0: none. */
  backupMetaMs?: number;
  /** `--backup-skip-trash`: leave the trash out of those backups. */
  backupSkipTrash?: boolean;
  writeback: boolean;
  version: string;
  /** `--metrics` HOST:PORT for the Prometheus endpoint; empty: none. */
  metrics?: string;
  /** `--free-space-ratio` of the cache disk. */
  freeSpaceRatio?: number;
  /** `--prefetch`: a fixed readahead window in blocks; absent: adaptive. */
  prefetch?: number;
  /** `--max-readahead` in MiB: the kernel's readahead window. */
  maxReadaheadMiB?: number;
  writebackCache?: boolean;
  enableCap?: boolean;
  /** `--enable-xattr`: serve extended attributes (off, as in JuiceFS; a volume with ACLs forces it on). */
  enableXattr?: boolean;
  defaultPermissions?: boolean;
  /** Extra mount(8) options from `-o`. */
  extraOptions?: string[];
  /** `--bucket`: this bucket instead of the format's (e.g. an internal endpoint of the same one). */
  bucket?: string;
  /** `--upload-limit` / `--download-limit` in Mbps (0: none); absent: the format's. */
  uploadLimitMbps?: number;
  downloadLimitMbps?: number;
  /** `--max-uploads`: blocks uploaded at once. */
  maxUploads?: number;
  /** `--cache-large-write`: cache full blocks on write too (short ones always are). */
  cacheLargeWrite?: boolean;
  /** `--prefix-internal` / `--hide-internal`: name the virtual files `.jfs.*`; leave them out of listings. */
  prefixInternal?: boolean;
  hideInternal?: boolean;
  /** `--subdir`: serve this directory of the volume (a path from its root; made if missing). */
  subdir?: string;
  /** `--negative-entry-cache` seconds: how long the kernel keeps "no such name". */
  negativeEntryCache?: number;
  /** `--readdir-cache`: the kernel keeps directory listings. */
  readdirCache?: boolean;
  /** `--root-squash` / `--all-squash`: the user root's requests (or everyone's) run as. */
  rootSquash?: { uid: number; gid: number };
  allSquash?: { uid: number; gid: number };
  /** `--custom-labels`: constant labels added to every metric. */
  customLabels?: Record<string, string>;
  /** `--max-fuse-io`: the largest FUSE request (max_write), bytes. */
  maxFuseIo?: number;
  /** `--enable-ioctl`: serve chattr/lsattr ioctls (off: ENOTTY, as JuiceFS). */
  enableIoctl?: boolean;
  /** `--enable-selinux`: keep security.selinux labels (off: ENODATA/EOPNOTSUPP, as JuiceFS). */
  enableSelinux?: boolean;
  /** --umask: applied to new nodes in place of their creator's umask. */
  umask?: number;
  /** --network-interfaces: the session info's IPAddrs (default: every non-loopback address). */
  ipAddrs?: string[];
  /** `--force`: mount on top of whatever is mounted at the mount point already. */
  force?: boolean;
  /** `--storage`: this storage type instead of the format's. */
  storage?: string;
  // ---- metadata behaviour (mount/flags-meta.ts) ----
  /** `--atime-mode`: which accesses write atime. */
  atimeMode?: AtimeMode;
  /** `--skip-dir-mtime` in ms: directory times not rewritten within this of the last change. */
  skipDirMtimeMs?: number;
  /** `--sort-dir`: listings sorted by name. */
  sortDir?: boolean;
  /** `--fast-statfs`: statfs from counters kept for a heartbeat. */
  fastStatfs?: boolean;
  /** `--open-cache` seconds and `--open-cache-limit` files: the open-file cache. */
  openCache?: number;
  openCacheLimit?: number;
  // Object storage calls and writeback uploads (mount/flags-objstore.ts); absent: JuiceFS's defaults.
  /** `--get-timeout` / `--put-timeout` in ms (default 60 s): the longest one call may take before it is retried. */
  getTimeoutMs?: number;
  putTimeoutMs?: number;
  /** `--io-retries` (default 10): retries of an object call after the first attempt. */
  ioRetries?: number;
  /** `--max-downloads` (default 200): object GETs at once. */
  maxDownloads?: number;
  /** `--max-deletes` (default 10): object deletes at once; 0: this mount deletes no data (juicefs gc does); negative: no limit. */
  maxDeletes?: number;
  /** `--upload-delay` in ms / `--upload-hours`: when staged blocks may be uploaded (with writeback). */
  uploadDelayMs?: number;
  uploadHours?: UploadHours;
  /** `--writeback-threshold-size` in bytes (0: stage every block) / `--max-stage-write` (0: no limit). */
  writebackThresholdSize?: number;
  maxStageWrite?: number;
  /** `--storage-class` of objects written (S3 only). */
  storageClass?: string;
  /** `--check-storage`: put, get and delete a test object before mounting. */
  checkStorage?: boolean;
  /** A /dev/fuse descriptor fusermount3 already mounted at the mount point (see @juicefs/fuse takeInheritedFuseFd). */
  mountedFd?: number;
  /** This process is a background mount's worker (supervisor.ts): serve its supervisor's connection. */
  worker?: WorkerServing;
  /** Called once the kernel has the mount. */
  onMounted: (format: Format) => void;
}

/**
 * Hands freed slices to the chunk store for deletion, unless `--max-deletes 0`: then, as JuiceFS
 * (pkg/meta/base.go deleteSlice), this client deletes no data, and the slices stay recorded as
 * pending for `juicefs gc` or another client.
 */
export function deleteFreedSlices(meta: Pick<Meta, 'onSliceDelete'>, store: Pick<ChunkStore, 'remove'>, maxDeletes: number | undefined): void {
  if (maxDeletes === 0) return;
  meta.onSliceDelete((id, size) => store.remove(id, size));
}

/**
 * Mount a volume and serve it until it is unmounted (umount, SIGINT/SIGTERM): metadata client
 * with a session and background jobs, object storage and chunk store from the format, the VFS
 * with the `.control` handler, and the FUSE session. Everything is closed in reverse order after.
 */
export async function serveMount(metaUrl: string, mountpoint: string, o: ServeOptions): Promise<string> {
  const meta = await openMeta(metaUrl, { create: false });
  const closers: Array<() => Promise<void>> = [() => meta.shutdown()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((e: unknown) => log.warn(`juicefs: while closing: ${String(e)}`));
  };
  try {
    meta.configure({
      ...(o.atimeMode !== undefined ? { atimeMode: o.atimeMode } : {}), ...(o.skipDirMtimeMs !== undefined ? { skipDirMtime: o.skipDirMtimeMs } : {}),
      ...(o.fastStatfs !== undefined ? { fastStatfs: o.fastStatfs } : {}), ...(o.openCache !== undefined ? { openCache: o.openCache } : {}),
      ...(o.openCacheLimit !== undefined ? { openCacheLimit: o.openCacheLimit } : {}),
    });
    await readFormat(meta.store, metaUrl); // an unformatted database: the error names it and the fix
    const format = plainFormat(await meta.load(true));
    const limits = o.uploadLimitMbps === undefined && o.downloadLimitMbps === undefined ? undefined : {
      uploadMbps: o.uploadLimitMbps ?? format.UploadLimit ?? 0,
      downloadMbps: o.downloadLimitMbps ?? format.DownloadLimit ?? 0,
    };
    const storage = openVolumeStorage(o.storage ? { ...format, Storage: o.storage } : format, {
      ...(o.bucket ? { bucket: o.bucket } : {}), ...(limits ? { limits } : {}),
      retry: { retries: o.ioRetries ?? DEFAULT_IO_RETRIES, log: (m) => log.warn(`${new Date().toISOString()} juicefs: ${m}`) },
      timeouts: { getMs: o.getTimeoutMs ?? 60_000, putMs: o.putTimeoutMs ?? 60_000 },
      concurrency: { gets: o.maxDownloads ?? 200, deletes: o.maxDeletes ?? 10 },
      ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      ...keyPassphrase(),
    });
    log.debug(`data in ${storage.description}`);
    const tierWarning = unappliedTiersWarning(format);
    if (tierWarning !== undefined) log.warn(`juicefs: ${tierWarning}`);
    if (o.checkStorage) {
      // As JuiceFS: a bucket that does not work fails the mount, not the first write.
      const started = Date.now();
      await checkStorage(storage, (m) => log.warn(`juicefs: ${m}`));
      log.info(`object storage ${storage.description} checked in ${Date.now() - started} ms`);
    }
    const store = await openChunkStore(storage, chunkStoreOptionsFor(format, {
      cacheDir: o.cacheDir, cacheSize: o.cacheSize, bufferSize: o.bufferSize, ...(o.writeback ? { writeback: true } : {}),
      ...(o.maxUploads !== undefined ? { maxUploads: o.maxUploads } : {}), ...(o.cacheLargeWrite ? { cacheWrites: true } : {}),
      ...(o.freeSpaceRatio !== undefined ? { freeSpaceRatio: o.freeSpaceRatio } : {}),
      ...(o.prefetch !== undefined ? { readahead: o.prefetch } : {}),
      ...diskCacheOptions(o),
      ...(o.uploadDelayMs !== undefined ? { uploadDelayMs: o.uploadDelayMs } : {}), ...(o.uploadHours ? { uploadHours: o.uploadHours } : {}),
      ...(o.writebackThresholdSize !== undefined ? { writebackThresholdSize: o.writebackThresholdSize } : {}),
      ...(o.maxStageWrite !== undefined ? { maxStageWrite: o.maxStageWrite } : {}),
      onWarning: (message) => log.warn(`juicefs: ${message}`),
    }));
    for (const notice of store.options.notices) log.warn(`juicefs: ${notice}`);
    closers.push(async () => {
      await store.close();
      const left = store.stats().stagedBlocks;
      if (left > 0) log.warn(`juicefs: ${left} staged blocks wait for --upload-delay/--upload-hours in ${o.cacheDir}; the next mount with this cache directory uploads them`);
    });
    deleteFreedSlices(meta, store, o.maxDeletes);
    const sid = await meta.newSession({
      heartbeat: o.heartbeat,
      readOnly: o.readOnly,
      ...(o.worker?.sid !== undefined ? { sid: o.worker.sid } : {}),
      info: {
        Version: o.version, HostName: hostname(), ...(o.ipAddrs ? { IPAddrs: o.ipAddrs } : {}),
        MountPoint: mountpoint, MountTime: new Date().toISOString(), ProcessID: process.pid,
      },
    });
    if (o.worker) reportSession(sid);
    closers.push(() => meta.closeSession());
    let backup: MetaBackupJob | undefined;
    if (o.backgroundJobs && !o.readOnly) {
      meta.startBackgroundJobs();
      closers.push(async () => meta.stopBackgroundJobs());
      if ((o.backupMetaMs ?? 0) > 0) {
        backup = new MetaBackupJob(meta.store, storage, {
          intervalMs: o.backupMetaMs ?? 0,
          skipTrash: o.backupSkipTrash ?? false,
          log: (message) => log.info(`${new Date().toISOString()} juicefs: ${message}`),
        });
        const job = backup;
        job.start();
        closers.push(() => job.stop());
      }
    }
    // Files are served from --subdir; sessions, background jobs and backups keep the whole volume.
    const served: Meta = o.subdir ? await chroot(meta, ROOT_CONTEXT, o.subdir) : meta;
    const vfs = new Vfs({
      meta: served, store, format: redacted(format),
      options: {
        readOnly: o.readOnly, attrCache: o.attrCache, entryCache: o.entryCache, dirEntryCache: o.dirEntryCache,
        bufferSize: o.bufferSize, version: o.version, mountPoint: mountpoint, maxWrite: o.maxFuseIo ?? MAX_MAX_WRITE,
        chunkConfig: shownChunkConfig(store.options),
        prefixInternal: o.prefixInternal ?? false, hideInternal: o.hideInternal ?? false, hideTrash: served !== meta, sortDir: o.sortDir ?? false,
        ...(o.worker ? { firstHandle: o.worker.handlesFrom + 1 } : {}),
      },
      control: createControlHandler({ meta: served, store, format }),
    });
    if (o.metrics) {
      const labels = { ...o.customLabels, vol_name: format.Name, mp: mountpoint };
      const server = await startMetricsBeside(o.metrics, { vfs: vfs.metrics, store, labels, ...(backup ? { backup } : {}) });
      if (server) closers.push(() => server.close());
    }
    if (logs('debug')) log.debug(`mount settings: ${JSON.stringify(o, (k, v: unknown) => (typeof v === 'function' ? undefined : v))}`);
    const defaultPermissions = o.defaultPermissions ?? true;
    const m = await mount(mountpoint, new VfsFuseHandler(vfs, {
      defaultPermissions, enableCap: o.enableCap ?? false, negativeEntryCache: o.negativeEntryCache ?? 0, readdirCache: o.readdirCache ?? false,
      ...(o.rootSquash ? { rootSquash: o.rootSquash } : {}), ...(o.allSquash ? { allSquash: o.allSquash } : {}),
      enableIoctl: o.enableIoctl ?? false, enableSelinux: o.enableSelinux ?? false, ...(o.umask !== undefined ? { umask: o.umask } : {}),
      ...(o.worker ? { handlesFrom: o.worker.handlesFrom } : {}),
    }), {
      handleSignals: true, readOnly: o.readOnly, fsname: `JuiceFS:${format.Name}`, subtype: 'juicefs', defaultPermissions,
      writebackCache: o.writebackCache ?? false, dontMask: o.umask !== undefined, extraOptions: o.extraOptions ?? [], overMount: o.force ?? false,
      ...(o.maxFuseIo !== undefined ? { maxWrite: o.maxFuseIo } : {}),
      disableXattrs: !(o.enableXattr === true || format.EnableACL),
      ...(o.maxReadaheadMiB !== undefined ? { readaheadKiB: o.maxReadaheadMiB * 1024 } : {}),
      ...(o.mountedFd !== undefined ? { mountedFd: o.mountedFd } : {}),
      ...(o.worker?.deviceFd !== undefined ? { deviceFd: o.worker.deviceFd } : {}),
      ...(o.worker?.mountedFd !== undefined ? { mountedFd: o.worker.mountedFd } : {}),
      ...(o.worker?.resume !== undefined ? { resume: o.worker.resume } : {}),
    });
    if (o.worker) {
      reportConnection(m.session.connection);
      process.on('message', (msg: { type?: string }) => {
        if (msg.type === 'handover') void handOver(m, vfs, store, meta);
      });
    }
    o.onMounted(format);
    const reason = await m.closed;
    await vfs.close();
    return reason;
  } finally {
    await closeAll();
  }
}

/**
 * An upgrade (supervisor.ts): stop reading requests, let those under way finish (a few seconds at
 * most; the rest the next worker gets again), commit what is buffered, finish uploads, stop the
 * session's heartbeat without closing the session (the next worker carries it on), and exit
 * without unmounting.
 */
async function handOver(m: FuseMount, vfs: Vfs, store: ChunkStore, meta: Meta): Promise<void> {
  const left = await m.session.handOver(3000);
  if (left === false) {
    log.warn('juicefs: this connection cannot be handed over (its reader cannot pause): not upgrading');
    return;
  }
  try {
    await vfs.flushAll(ROOT_CONTEXT);
    await store.close();
    await meta.shutdown();
  } catch (e) {
    log.warn(`juicefs: while handing over: ${String(e)}`);
  }
  log.info(`juicefs: handing the connection over${left > 0 ? ` (${left} requests under way go to the next worker)` : ''}`);
  process.exit(HANDED_OVER);
}

/** The disk cache flags' serve options as chunk store options (only those given). */
function diskCacheOptions(o: ServeOptions): Partial<ChunkStoreOptions> {
  const out: Partial<ChunkStoreOptions> = {};
  if (o.cacheMode !== undefined) out.cacheMode = o.cacheMode;
  if (o.cacheItems !== undefined) out.cacheItems = o.cacheItems;
  if (o.cacheEviction !== undefined) out.cacheEviction = o.cacheEviction;
  if (o.cacheExpire !== undefined) out.cacheExpire = o.cacheExpire;
  if (o.cacheScanInterval !== undefined) out.cacheScanInterval = o.cacheScanInterval;
  if (o.cachePartialOnly !== undefined) out.cachePartialOnly = o.cachePartialOnly;
  if (o.verifyCacheChecksum !== undefined) out.verifyCacheChecksum = o.verifyCacheChecksum;
  return out;
}

/**
 * `.config`'s Chunk members from the chunk store's own settings. CacheDir is the volume's
 * directory in each cache directory, `:`-separated, as Go shows it (patterns expanded: JuiceFS's
 * `umount --flush` looks for `<each>/rawstaging`).
 */
function shownChunkConfig(c: ResolvedOptions): ChunkConfigShown {
  return {
    CacheDir: c.cacheDirs.length === 0 ? 'memory' : c.cacheDirs.map((d) => path.join(d, c.uuid)).join(':'), CacheSize: c.cacheSize, FreeSpace: c.freeSpaceRatio,
    Writeback: c.writeback, Compress: c.compression, MaxUpload: c.maxUploads,
  };
}
