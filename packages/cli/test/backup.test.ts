import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openVolumeStorage } from '@juicefs/chunk';
import { openMeta } from '@juicefs/meta';
import {
  backupName, backupsToDelete, LAST_BACKUP_XATTR, MetaBackupJob, parseBackupInterval, parseBackupName,
} from '../src/mount/backup.js';
import { plainFormat } from '../src/control/volume-access.js';
import { juicefs, mustFormat, openVolume, pattern } from './tools-volume.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('backup names and retention', () => {
  test('names are dump-YYYY-MM-DD-HHMMSS.json.gz in UTC, and parse back', () => {
    const at = new Date(Date.UTC(2026, 10, 26, 3, 4, 5));
    expect(backupName(at)).toBe('dump-2026-11-26-030405.json.gz');
    expect(parseBackupName('dump-2026-11-26-030405.json.gz')?.getTime()).toBe(at.getTime());
    for (const bad of ['dump-2026-11-26-0304.json.gz', 'dump-2026-11-26-030405.json', 'notes.txt', 'dump-2026-13-26-030405.json.gz']) {
      expect(parseBackupName(bad)).toBeUndefined();
    }
  });

  test('keeps everything of the last 2 days, then one a day to 2 weeks, one a week to 63 days, one a month after', () => {
    const now = new Date(Date.UTC(2026, 10, 26, 12, 30));
    const names: string[] = [];
    for (let h = 0; h < 100 * 24; h++) names.push(backupName(new Date(now.getTime() - 30 * 60_000 - h * HOUR)));
    names.push('README', 'dump-latest.json.gz');
    const doomed = new Set(backupsToDelete(names, now));
    expect(doomed.has('README') || doomed.has('dump-latest.json.gz')).toBe(false);
    const kept = names.filter((n) => !doomed.has(n) && parseBackupName(n)).map((n) => (now.getTime() - parseBackupName(n)!.getTime()) / DAY);
    const within = (from: number, to: number) => kept.filter((age) => age > from && age <= to).length;
    expect(within(0, 2)).toBe(48); // hourly for 2 days, all kept
    expect(within(2, 14)).toBe(12); // one a day
    expect(within(14, 63)).toBe(7); // one a week
    expect(within(63, 100)).toBe(2); // one a month (the second month only partly covered)
    // Each window keeps its earliest: the daily ones sit just before a whole-day boundary.
    for (const age of kept.filter((a) => a > 2 && a <= 14)) expect(age % 1).toBeGreaterThan(23 / 24 - 1e-9);
    // Running it again on what is left deletes nothing more.
    const left = names.filter((n) => !doomed.has(n));
    expect(backupsToDelete(left, now)).toEqual([]);
  });

  test('--backup-meta takes Go durations or seconds', () => {
    expect(parseBackupInterval('1h')).toBe(HOUR);
    expect(parseBackupInterval('1h30m')).toBe(1.5 * HOUR);
    expect(parseBackupInterval('90s')).toBe(90_000);
    expect(parseBackupInterval('3600')).toBe(HOUR);
    expect(parseBackupInterval('0')).toBe(0);
    expect(() => parseBackupInterval('hourly')).toThrow(/not a duration: use e.g. 1h, 30m/);
    expect(() => parseBackupInterval('1d')).toThrow(/not a duration/);
  });
});

describe('metadata backup job (SQLite metadata, file bucket)', () => {
  let dir: string;
  let meta: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-backup-'));
    meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'backup-vol', path.join(dir, 'bucket'), '--trash-days', '0');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('backs up when due, claims the turn in inode 0\'s lastBackup, and the backup loads into a new volume', async () => {
    const v = await openVolume(meta);
    try {
      await v.fs.mkdir('/docs');
      await v.fs.writeFile('/docs/a.txt', pattern(5000, 1));
    } finally {
      await v.close();
    }
    const m = await openMeta(meta);
    const format = plainFormat(await m.load());
    const storage = openVolumeStorage(format);
    let clock = new Date(Date.UTC(2026, 10, 26, 10, 0, 0));
    const log: string[] = [];
    const job = new MetaBackupJob(m.store, storage, { intervalMs: HOUR, skipTrash: false, log: (s) => log.push(s), now: () => clock });
    try {
      expect(await job.tick()).toBe('done');
      expect(log.join('\n')).toMatch(/metadata backup: \d+ entries, \d+ bytes to .*meta\/dump-2026-11-26-100000\.json\.gz/);
      const stamp = await m.store.txn((tx) => tx.getXattr(0n, LAST_BACKUP_XATTR));
      expect(stamp?.toString()).toBe('2026-11-26T10:00:00Z');
      expect(job.lastSuccessAt).toBe(clock.getTime());
      clock = new Date(clock.getTime() + 30 * 60_000);
      expect(await job.tick()).toBe('not due'); // another client (or this one) backed up 30 min ago
      expect(job.lastDurationMs).toBe(0); // as JuiceFS reports a wake-up with nothing to do
      clock = new Date(clock.getTime() + 31 * 60_000);
      expect(await job.tick()).toBe('done');
    } finally {
      await job.stop();
      await m.shutdown();
    }
    const metaDir = path.join(dir, 'bucket', 'backup-vol', 'meta');
    expect(fs.readdirSync(metaDir).sort()).toEqual(['dump-2026-11-26-100000.json.gz', 'dump-2026-11-26-110100.json.gz']);
    const dump = JSON.parse(gunzipSync(fs.readFileSync(path.join(metaDir, 'dump-2026-11-26-110100.json.gz'))).toString()) as {
      Setting: { Name: string; SecretKey?: string };
      FSTree: { entries: Record<string, { entries?: Record<string, unknown> }> };
    };
    expect(dump.Setting.Name).toBe('backup-vol');
    expect(Object.keys(dump.FSTree.entries.docs?.entries ?? {})).toEqual(['a.txt']);

    // What a backup is for: load it into an empty engine and read the file back.
    const restored = `sqlite3://${dir}/restored.db`;
    const load = juicefs('load', restored, path.join(metaDir, 'dump-2026-11-26-110100.json.gz'));
    expect(load.err).not.toMatch(/juicefs: /);
    expect(load.code).toBe(0);
    const r = await openVolume(restored);
    try {
      expect((await r.fs.readFile('/docs/a.txt')).equals(pattern(5000, 1))).toBe(true);
    } finally {
      await r.close();
    }
  });

  test('a mount refuses a --backup-meta that is not a duration, before mounting anything', () => {
    const mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp);
    const r = juicefs('mount', meta, mp, '--backup-meta', 'hourly');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--backup-meta "hourly" is not a duration/);
  });
});
