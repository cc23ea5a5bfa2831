import { createGzip, constants as zlibConstants } from 'node:zlib';
import type { ObjectStorage } from '@juicefs/core';
import { dumpMeta, engineExtras, readCounters, type EngineStore } from '@juicefs/meta';
import { fsError } from '@juicefs/core';
import { log } from '../log.js';
import type { BackupMetrics } from '../metrics/registry.js';

// The mount's periodic metadata backup, as JuiceFS does it (BEHAVIOUR.md 1.4, background jobs):
// every `--backup-meta` (1 h) one client of the volume dumps the whole tree as gzipped dump JSON to
// `meta/dump-YYYY-MM-DD-HHMMSS.json.gz` in the volume's bucket, and old backups are thinned out.
// Clients agree on whose turn it is through the time of the last backup, kept as the extended
// attribute `lastBackup` of inode 0 (no file has it), which Go clients read and write too.

/** The xattr of inode 0 holding the last backup's start (RFC 3339), shared by every client. */
export const LAST_BACKUP_XATTR = 'lastBackup';
/** Where backups go, below the volume's `<Name>/` prefix. */
export const BACKUP_PREFIX = 'meta/';
/** JuiceFS refuses shorter intervals (a dump of a big volume takes minutes). */
export const MIN_BACKUP_INTERVAL_MS = 5 * 60_000;
/** Past this many inodes, hourly (or more frequent) backups are skipped, as in JuiceFS. */
const MAX_INODES_FOR_FREQUENT = 1_000_000;

const NAME = /^dump-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})\.json\.gz$/;

/** `dump-YYYY-MM-DD-HHMMSS.json.gz` for a moment, in UTC. */
export function backupName(at: Date): string {
  const iso = at.toISOString(); // 2026-11-26T13:28:01.123Z
  return `dump-${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.json.gz`;
}

/** The moment a backup name stands for; undefined for any other name (never deleted). */
export function parseBackupName(name: string): Date | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls month 13 or hour 25 over: only a name that comes back the same is a date.
  return !Number.isNaN(t.getTime()) && backupName(t) === name ? t : undefined;
}

const DAY = 86_400_000;

/**
 * JuiceFS's retention of backups: every backup of the last 2 days; then one a day up to 2
 * weeks, one a week up to 2 months, one a month before that. Each day, week or month keeps
 * its earliest backup. Returns the names to delete; names that are not backups are left alone.
 */
export function backupsToDelete(names: readonly string[], now: Date): string[] {
  const dated = names
    .map((name) => ({ name, at: parseBackupName(name) }))
    .filter((b): b is { name: string; at: Date } => b.at !== undefined)
    .sort((a, b) => b.at.getTime() - a.at.getTime()); // newest first
  // Windows reaching back from now: the first 2 days whole, then 1-day windows until 14 days
  // back, then 7-day ones while under 60 days back (the last reaches 63), then 30-day ones.
  let reach = 2; // days back the current window starts at
  let windowStart = now.getTime() - reach * DAY;
  const widen = () => {
    const step = reach < 14 ? 1 : reach < 60 ? 7 : 30;
    reach += step;
    windowStart -= step * DAY;
  };
  const toDelete: string[] = [];
  let inWindow: string[] = []; // newest first; the last one is the window's earliest
  const closeWindow = () => {
    toDelete.push(...inWindow.slice(0, -1));
    inWindow = [];
  };
  for (const b of dated) {
    const t = b.at.getTime();
    if (t >= windowStart) {
      if (reach > 2) inWindow.push(b.name); // inside the first 2 days everything stays
      continue;
    }
    closeWindow();
    do widen();
    while (t < windowStart);
    inWindow.push(b.name);
  }
  closeWindow();
  return toDelete;
}

/** RFC 3339 to the second in UTC, as Go's time.RFC3339 writes and parses it. */
function rfc3339(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export interface BackupResult {
  key: string;
  bytes: number;
  nodes: number;
}

/**
 * Dumps the whole volume (gzip, fastest level) into `meta/dump-….json.gz` of `storage`. The
 * compressed dump is held in memory, since ObjectStorage.put takes one buffer; it grows with the
 * inode count, and volumes past a million inodes are only backed up at intervals over 1h.
 */
export async function backupMeta(store: EngineStore, storage: ObjectStorage, at: Date, skipTrash: boolean): Promise<BackupResult> {
  const gzip = createGzip({ level: zlibConstants.Z_BEST_SPEED });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const extras = engineExtras(store);
  const nodes = await dumpMeta(store, gzip, { skipTrash, ...(extras ? { extras } : {}) });
  gzip.end();
  await ended;
  const data = Buffer.concat(chunks);
  const key = `${BACKUP_PREFIX}${backupName(at)}`;
  await storage.put(key, data);
  return { key, bytes: data.length, nodes };
}

/** Deletes the backups the retention policy no longer keeps; returns how many. */
export async function cleanupBackups(storage: ObjectStorage, now: Date): Promise<number> {
  const names = (await storage.list(BACKUP_PREFIX)).filter((o) => !o.isDir).map((o) => o.key.slice(BACKUP_PREFIX.length));
  const doomed = backupsToDelete(names, now);
  for (const name of doomed) await storage.delete(`${BACKUP_PREFIX}${name}`);
  return doomed.length;
}

export interface MetaBackupOptions {
  /** `--backup-meta`, ms (at least MIN_BACKUP_INTERVAL_MS in the mount; tests go lower). */
  intervalMs: number;
  /** `--backup-skip-trash`. */
  skipTrash: boolean;
  log: (message: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

export type BackupOutcome = 'not due' | 'too many inodes' | 'unreadable' | 'done' | 'failed';

/**
 * The background job: wakes every tenth of the interval (with jitter, so clients spread out),
 * and when the last backup of any client is older than the interval, claims the turn by writing
 * the time and makes one.
 */
export class MetaBackupJob implements BackupMetrics {
  lastSuccessAt = 0;
  lastDurationMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly now: () => Date;

  constructor(
    private readonly store: EngineStore,
    private readonly storage: ObjectStorage,
    private readonly o: MetaBackupOptions,
  ) {
    this.now = o.now ?? (() => new Date());
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const base = this.o.intervalMs / 10;
    const delay = base * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.o.log(`metadata backup failed: ${(err as Error).message}`))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** Stops the timer and waits for a backup in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  /** One wake-up: back up if it is due. */
  async tick(): Promise<BackupOutcome> {
    const now = this.now();
    let last = 0;
    try {
      const value = await this.store.txn((tx) => tx.getXattr(0n, LAST_BACKUP_XATTR));
      if (value !== undefined && value.length > 0) {
        last = Date.parse(value.toString());
        if (Number.isNaN(last)) {
          this.o.log(`metadata backup: cannot parse the last backup time "${value.toString()}" (inode 0, xattr ${LAST_BACKUP_XATTR})`);
          return 'unreadable';
        }
      }
    } catch (err) {
      this.o.log(`metadata backup: cannot read the last backup time: ${(err as Error).message}`);
      return 'unreadable';
    }
    if (now.getTime() - last < this.o.intervalMs) {
      this.lastDurationMs = 0;
      return 'not due';
    }
    const inodes = (await readCounters(this.store)).usedInodes;
    if (this.o.intervalMs <= 3_600_000 && inodes > MAX_INODES_FOR_FREQUENT) {
      this.o.log(`metadata backup skipped: ${inodes} inodes are too many for a backup every ${this.o.intervalMs / 60_000} minutes; raise --backup-meta above 1h to have them again`);
      return 'too many inodes';
    }
    try {
      // Claim this turn first, so the other clients waking in this interval leave it to us.
      await this.store.txn(async (tx) => tx.setXattr(0n, LAST_BACKUP_XATTR, Buffer.from(rfc3339(now))));
      const started = Date.now();
      const r = await backupMeta(this.store, this.storage, now, this.o.skipTrash);
      this.lastDurationMs = Date.now() - started;
      this.lastSuccessAt = now.getTime();
      this.o.log(`metadata backup: ${r.nodes} entries, ${r.bytes} bytes to ${this.storage.description}${r.key} in ${this.lastDurationMs} ms`);
      const removed = await cleanupBackups(this.storage, now).catch((err: unknown) => {
        this.o.log(`metadata backup: cleaning old backups failed: ${(err as Error).message}`);
        return 0;
      });
      if (removed > 0) this.o.log(`metadata backup: removed ${removed} old backups`);
      return 'done';
    } catch (err) {
      this.o.log(`metadata backup failed: ${(err as Error).message}`);
      return 'failed';
    }
  }
}

/**
 * `--backup-meta` as JuiceFS takes it: a Go duration (`1h`, `30m`, `1h30m`, `90s`) or plain
 * seconds; 0 turns backups off. Returns ms.
 */
export function parseBackupInterval(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = t;
  const part = /^(\d+(?:\.\d+)?)(ms|h|m|s)/;
  if (rest === '') throw new Error('--backup-meta needs a duration such as 1h, 30m or 3600 (seconds); 0 turns backups off');
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) throw new Error(`--backup-meta "${text}" is not a duration: use e.g. 1h, 30m, 1h30m or seconds (0 turns backups off)`);
    total += Number(m[1]) * unit[m[2] as string]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** `--backup-meta` in ms, raised to JuiceFS's 5-minute minimum (saying so); 0 turns backups off. */
export function backupInterval(text: string): number {
  let ms: number;
  try {
    ms = parseBackupInterval(text);
  } catch (err) {
    throw fsError('EINVAL', (err as Error).message);
  }
  if (ms > 0 && ms < MIN_BACKUP_INTERVAL_MS) {
    log.warn(`juicefs: --backup-meta ${text} is below the minimum of 5 minutes: backing up every 5 minutes`);
    return MIN_BACKUP_INTERVAL_MS;
  }
  return ms;
}
