import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { context, fsError, ROOT_CONTEXT, type Context } from '@juicefs/core';
import type { Options } from 'yargs';
import { rawArgs } from './args.js';
import { log, logLine, logs, messageOf } from './log.js';
import { startMetricsBeside } from './metrics/index.js';
import { backupInterval, MetaBackupJob, parseBackupInterval } from './mount/backup.js';
import { parseCustomLabels } from './metrics/labels.js';
import { VERSION } from './version.js';
import { openVolumeFs, type VolumeFs } from './volume-fs.js';
import { clientSizesAndTimes } from './mount/flags-sizes.js';

/**
 * What the servers over a volume (`gateway`, `webdav`) share: JuiceFS's client flags that an
 * in-process client honours, the volume opened with them under a session named after the
 * service, the listen address, and the wait for a signal to stop.
 */


/**
 * JuiceFS's client flags these servers accept. Others of JuiceFS's (the object storage and
 * cache tuning a mount takes) are not: the command line refuses them by name.
 */
export const SERVICE_CLIENT_FLAGS = {
  'read-only': { type: 'boolean', default: false, describe: 'serve the volume read-only (every change is refused), with a read-only session' },
  'subdir': { type: 'string', describe: 'serve this directory of the volume as the root (made when missing, as JuiceFS does)' },
  'bucket': { type: 'string', describe: 'use this bucket address instead of the volume\'s (e.g. an internal endpoint of the same bucket)' },
  'cache-dir': { type: 'string', default: 'memory', describe: 'block cache directory; "memory" (the default here) keeps blocks in memory only' },
  'cache-size': { type: 'string', describe: 'cache size: MiB, or with a unit K, M, G, T (default 64M for the memory cache, 100G for a directory)' },
  'buffer-size': { type: 'string', default: '300M', describe: 'read/write buffer: MiB, or with a unit K, M, G' },
  'heartbeat': { type: 'string', default: '12', describe: 'session heartbeat interval: seconds, or a duration (e.g. 12s)' },
  'attr-cache': { type: 'string', default: '1', describe: 'attribute cache timeout: seconds, or a duration (e.g. 500ms)' },
  'entry-cache': { type: 'string', default: '1', describe: 'file entry cache timeout: seconds, or a duration' },
  'dir-entry-cache': { type: 'string', default: '1', describe: 'directory entry cache timeout: seconds, or a duration' },
  'metrics': { type: 'string', default: '127.0.0.1:9567', describe: 'address of the Prometheus metrics endpoint (HOST:PORT; another free port when taken; empty for none)' },
  'custom-labels': { type: 'string', describe: 'labels added to every metric, as KEY:VALUE;KEY:VALUE' },
  'access-log': { type: 'string', describe: 'append a line per file-system operation to this file (the .accesslog format; juicefs profile FILE reads it)' },
  'no-bgjob': { type: 'boolean', default: false, describe: 'do not run background jobs (cleanup of deleted data, trash, sessions, metadata backups)' },
  'backup-meta': { type: 'string', default: '1h', describe: 'back the metadata up into meta/ of the bucket this often (at least 5m; 0 turns it off)' },
  'backup-skip-trash': { type: 'boolean', default: false, describe: 'leave the trash out of metadata backups' },
} as const satisfies Record<string, Options>;

/**
 * Running in the background, as JuiceFS's servers do (`-d`, with `--log` the file it writes to);
 * the default log file is named after the service, where JuiceFS puts its logs.
 */
export function backgroundFlags(service: string): Record<'background' | 'log', Options> {
  const dir = process.getuid?.() === 0 ? '/var/log' : path.join(homedir(), '.juicefs');
  return {
    background: { alias: 'd', type: 'boolean', default: false, describe: 'run in the background; returns once it listens' },
    log: { type: 'string', default: path.join(dir, `juicefs-${service}.log`), describe: 'log file in background mode' },
  };
}

/** The parsed SERVICE_CLIENT_FLAGS. */
export interface ServiceClientArgs {
  'read-only': boolean;
  'subdir'?: string | undefined;
  'bucket'?: string | undefined;
  'cache-dir': string;
  'cache-size'?: string | number | undefined;
  'buffer-size': string | number;
  'heartbeat': string | number;
  'attr-cache': string | number;
  'entry-cache': string | number;
  'dir-entry-cache': string | number;
  'metrics': string;
  'custom-labels'?: string | undefined;
  'access-log'?: string | undefined;
  'no-bgjob': boolean;
  'backup-meta': string;
  'backup-skip-trash': boolean;
}

/** Checks the client flags that can be wrong before anything is opened (or a background child started). */
export function checkServiceArgs(a: ServiceClientArgs): void {
  if (a['custom-labels'] !== undefined) parseCustomLabels(a['custom-labels']);
  try {
    parseBackupInterval(a['backup-meta']);
  } catch (err) {
    throw fsError('EINVAL', (err as Error).message);
  }
  serviceSizesAndTimes(a);
}

/** The size and duration flags read as a mount reads them (flags-sizes.ts); the cache is 64 MiB in memory by default here. */
function serviceSizesAndTimes(a: ServiceClientArgs): ReturnType<typeof clientSizesAndTimes> {
  return clientSizesAndTimes({ ...a, 'cache-size': a['cache-size'] ?? (a['cache-dir'] === 'memory' ? '64M' : '100G') });
}

/** Who requests run as: the user running the server, as JuiceFS's do (root may do anything). */
export function processContext(): Context {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return ROOT_CONTEXT;
  const gid = process.getgid?.() ?? 0;
  return context(uid, gid, [...new Set([gid, ...(process.getgroups?.() ?? [])])], process.pid);
}

/** The process umask, which JuiceFS's servers apply to what they create. */
export function currentUmask(): number {
  const u = process.umask(0);
  process.umask(u);
  return u;
}

/** A volume opened for a server, with where its metrics are served (when they are). */
export interface ServiceVolume extends VolumeFs {
  metricsUrl?: string;
}

/**
 * Opens the volume for a server: a session shown as `service` in `juicefs status`, the client
 * flags applied, the mount's virtual files and the trash out of listings, and, unless read-only
 * or `--no-bgjob`, the background jobs a mount runs (cleanup of deleted data, trash and stale
 * sessions; metadata backups every `--backup-meta`), as JuiceFS's servers run them: a volume
 * served only through a gateway still empties its trash. Also the access log and the metrics
 * endpoint, when asked for.
 */
export async function openServiceVolume(metaUrl: string, service: string, a: ServiceClientArgs, o: { ctx?: Context; umask?: number } = {}): Promise<ServiceVolume> {
  const backupMs = backupInterval(a['backup-meta']);
  const { cacheSize, bufferSize, heartbeat, attrCache, entryCache, dirEntryCache } = serviceSizesAndTimes(a);
  const v = await openVolumeFs(metaUrl, {
    ctx: o.ctx ?? processContext(),
    umask: o.umask ?? currentUmask(),
    session: { heartbeat, readOnly: a['read-only'], info: { Version: VERSION, MountPoint: service, ProcessID: process.pid } },
    vfs: { readOnly: a['read-only'], hideInternal: true, attrCache, entryCache, dirEntryCache, bufferSize },
    cache: { cacheDir: a['cache-dir'], cacheSize, bufferSize },
    ...(a.bucket ? { bucket: a.bucket } : {}),
    ...(a.subdir ? { subdir: a.subdir } : {}),
  });
  for (const notice of v.store.options.notices) log.warn(`juicefs: ${notice}`);
  // Jobs stop before the volume closes; the access log is closed after it (the files closed
  // on the way out log their lines too).
  const beforeClose: Array<() => Promise<void>> = [];
  const afterClose: Array<() => Promise<void>> = [];
  let backup: MetaBackupJob | undefined;
  let metricsUrl: string | undefined;
  const stopAll = async () => {
    for (const stop of beforeClose) await stop();
    await v.close();
    for (const stop of afterClose) await stop();
  };
  try {
    const accessLog = a['access-log'];
    if (accessLog !== undefined && accessLog !== '') {
      mkdirSync(path.dirname(path.resolve(accessLog)), { recursive: true });
      const out = createWriteStream(accessLog, { flags: 'a' });
      out.on('error', (err) => log.warn(`juicefs: writing the access log ${accessLog} failed: ${err.message}`));
      const unsubscribe = v.vfs.logAccessTo((line) => out.write(line));
      afterClose.push(async () => {
        unsubscribe();
        await new Promise<void>((resolve) => out.end(resolve));
      });
    }
    if (!a['read-only'] && !a['no-bgjob']) {
      v.meta.startBackgroundJobs();
      beforeClose.push(async () => v.meta.stopBackgroundJobs());
      if (backupMs > 0) {
        const job = new MetaBackupJob(v.meta.store, v.storage, { intervalMs: backupMs, skipTrash: a['backup-skip-trash'], log: (message) => log.info(`${new Date().toISOString()} juicefs: ${message}`) });
        job.start();
        beforeClose.unshift(() => job.stop());
        backup = job;
      }
    }
    if (a.metrics !== '') {
      const labels = { ...(a['custom-labels'] !== undefined ? parseCustomLabels(a['custom-labels']) : {}), vol_name: v.format.Name, mp: service };
      const server = await startMetricsBeside(a.metrics, { vfs: v.vfs.metrics, store: v.store, labels, ...(backup ? { backup } : {}) });
      if (server) {
        beforeClose.push(() => server.close());
        metricsUrl = server.url;
      }
    }
  } catch (err) {
    // Whatever started before the failure stops, and the session it opened closes.
    await stopAll().catch(() => undefined);
    throw err;
  }
  return { ...v, ...(metricsUrl !== undefined ? { metricsUrl } : {}), close: stopAll };
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface), as JuiceFS's servers take an address. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw fsError('EINVAL', `"${address}" is not an address to listen on: give HOST:PORT, e.g. localhost:9000 (or :9000 for every interface)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? undefined : host, port };
}

/** Resolves with the name of the first SIGINT or SIGTERM: the servers' cue to stop. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** What a server logs once it listens: the background starter waits for this line. */
export const LISTENING = 'listening on';

/** Set in a background child's environment: it must say it listens even under -q. */
const BACKGROUND_CHILD = 'JFS_BACKGROUND_SERVICE';

/** Logs that the server listens (`message` contains LISTENING). */
export function announceListening(message: string): void {
  if (logs('info') || process.env[BACKGROUND_CHILD] === '1') process.stderr.write(logLine('info', message));
}

/**
 * `-d`: run this command again without it, detached, its output appended to `logFile`, and
 * return once the child logs that it listens (LISTENING). A child that exits first, or stays
 * silent for 30 s, is an error quoting the end of the log.
 */
export async function startServiceInBackground(service: string, logFile: string): Promise<void> {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  // Only what this child writes counts: the log may hold earlier runs.
  const from = statSync(logFile).size;
  const args = [process.argv[1] ?? '', ...rawArgs().filter((x) => !['-d', '--background', '--background=true'].includes(x))];
  const child = spawn(process.execPath, [...process.execArgv, ...args], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, [BACKGROUND_CHILD]: '1' } });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const written = () => readFileSync(logFile).subarray(from).toString('utf8');
  for (let i = 0; i < 300 && exited === undefined; i++) {
    const line = written().split('\n').find((l) => l.includes(LISTENING));
    if (line !== undefined) {
      child.unref();
      log.info(`${service} started in the background (pid ${child.pid}, log ${logFile}): ${messageOf(line)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited === undefined) child.kill();
  const tail = written().trim().split('\n').slice(-6).join('\n');
  throw fsError('EIO', `the background ${service} did not start${exited !== undefined ? ` (it exited with ${exited})` : ''}; the end of ${logFile}:\n${tail}`);
}
