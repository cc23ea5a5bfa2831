import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT_CONTEXT } from '@juicefs/core';
import { openMeta } from '@juicefs/meta';
import { claimRedisDb, releaseRedisDb } from './support/redis-db.js';
import { freePort } from './support/free-port.js';
import { redisBase } from './tools-volume.js';

// format, config and quota flags read as JuiceFS reads them: sizes with units, counts that must be
// whole numbers, local buckets stored absolute. A real process on a real SQLite file.

const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-meta-flags-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** juicefs run in `dir`, so that relative paths are relative to it. */
function juicefs(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', input: '', timeout: 60000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function settings(meta: string): Record<string, unknown> {
  const c = juicefs('config', meta);
  expect(c.code).toBe(0);
  return JSON.parse(c.out) as Record<string, unknown>;
}

describe('size and count flags of format, config and quota', () => {
  it('format takes --block-size and --capacity with units, as JuiceFS does (bare numbers are KiB and GiB)', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    const f = juicefs('format', meta, 'units', '--bucket', `${dir}/b`, '--block-size', '1M', '--capacity', '1T', '--inodes', '100');
    expect(f.code).toBe(0);
    expect(settings(meta)).toMatchObject({ BlockSize: 1024, Capacity: 2 ** 40, Inodes: 100 });
    // Bare numbers keep their old meaning.
    const meta2 = `sqlite3://${dir}/meta2.db`;
    expect(juicefs('format', meta2, 'bare', '--bucket', `${dir}/b`, '--block-size', '2048', '--capacity', '3').code).toBe(0);
    expect(settings(meta2)).toMatchObject({ BlockSize: 2048, Capacity: 3 * 2 ** 30 });
  });

  it('format refuses sizes and counts it cannot read, naming the flag, and writes nothing', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    const cases: Array<[string[], RegExp]> = [
      [['--block-size', 'big'], /invalid --block-size "big": give a number, in KiB/],
      [['--capacity', '1GiB'], /invalid --capacity "1GiB": give a number, in GiB unless it ends with a unit/],
      [['--inodes', 'many'], /invalid --inodes "many": give a whole number/],
      [['--trash-days', '-1'], /invalid --trash-days "-1": give a whole number, 0 or more/],
      [['--shards', '300'], /invalid --shards 300: at most 256/],
    ];
    for (const [flags, message] of cases) {
      const r = juicefs('format', meta, 'bad-input', '--bucket', `${dir}/b`, ...flags);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
    }
    expect(juicefs('status', meta).err).toMatch(/not formatted/);
  });

  it('config reads --capacity with units and refuses a count it cannot read, leaving the volume as it was', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'cfg', '--bucket', `${dir}/b`).code).toBe(0);
    const c = juicefs('config', meta, '--capacity', '512M');
    expect(c.code).toBe(0);
    expect(settings(meta)).toMatchObject({ Capacity: 512 * 2 ** 20 });
    for (const [flag, value] of [['inodes', 'abc'], ['capacity', 'lots'], ['trash-days', '-2'], ['upload-limit', 'fast']] as const) {
      const bad = juicefs('config', meta, `--${flag}`, value);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain(`invalid --${flag} "${value}"`);
    }
    const s = settings(meta);
    expect(s).toMatchObject({ Capacity: 512 * 2 ** 20, TrashDays: 1 });
    expect(s['Inodes']).toBeUndefined();
    expect(s['UploadLimit']).toBeUndefined();
    // Bandwidth as JuiceFS reads it: Mbps, or with a decimal unit.
    expect([juicefs('config', meta, '--upload-limit', '1G').code, juicefs('config', meta, '--download-limit', '250').code]).toEqual([0, 0]);
    expect(settings(meta)).toMatchObject({ UploadLimit: 1000, DownloadLimit: 250 });
  });

  it('quota set reads --capacity with units', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'quota-units', '--bucket', `${dir}/b`).code).toBe(0);
    const q = juicefs('quota', 'set', meta, '--path', '/d', '--create', '--capacity', '1T');
    expect(q.code).toBe(0);
    expect(q.out).toMatch(/\| \/d +\| 1\.0 TiB /);
    const bad = juicefs('quota', 'set', meta, '--path', '/d', '--inodes', '1.5');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/invalid --inodes "1\.5": give a whole number/);
  });
});

describe('local buckets', () => {
  it('format and config store a relative --bucket as an absolute path, as JuiceFS does', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'rel', '--bucket', 'data').code).toBe(0);
    expect(settings(meta)).toMatchObject({ Bucket: `${dir}/data/` });
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(true);
    const c = juicefs('config', meta, '--bucket', './other');
    expect(c.code).toBe(0);
    expect(settings(meta)).toMatchObject({ Bucket: `${dir}/other/` });
  });
});

describe('status', () => {
  it('reports available space and inodes as statfs does, also without quotas (JuiceFS: 1 PiB, 10 Mi inodes)', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'stat', '--bucket', `${dir}/b`).code).toBe(0);
    expect(juicefs('quota', 'set', meta, '--path', '/d', '--create', '--inodes', '5').code).toBe(0);
    const open = JSON.parse(juicefs('status', meta).out) as { Statistic: Record<string, number> };
    expect(open.Statistic).toEqual({ UsedSpace: 4096, AvailableSpace: 2 ** 50 - 4096, UsedInodes: 1, AvailableInodes: 10 * 2 ** 20 });
    expect(juicefs('config', meta, '--capacity', '1', '--inodes', '100').code).toBe(0);
    const limited = JSON.parse(juicefs('status', meta).out) as { Statistic: Record<string, number> };
    expect(limited.Statistic).toEqual({ UsedSpace: 4096, AvailableSpace: 2 ** 30 - 4096, UsedInodes: 1, AvailableInodes: 99 });
  });

  it('--more (-m) adds the trash files and the files waiting for deletion, on SQLite and Redis, as JuiceFS does', () => {
    // The shared fixture: two files in the trash (11 + 10485760 bytes) and one pending deleted file of length 0.
    const sample = path.resolve(__dirname, '../../../../shared/fixtures/metadata.sample');
    const db = claimRedisDb();
    try {
      for (const meta of [`sqlite3://${dir}/meta.db`, `${redisBase}/${db}`]) {
        expect(juicefs('load', meta, sample).code).toBe(0);
        const plain = JSON.parse(juicefs('status', meta).out) as { Statistic: Record<string, number> };
        expect(Object.keys(plain.Statistic)).toEqual(['UsedSpace', 'AvailableSpace', 'UsedInodes', 'AvailableInodes']);
        for (const flag of ['--more', '-m']) {
          const more = JSON.parse(juicefs('status', meta, flag).out) as { Statistic: Record<string, number> };
          // Zero fields are left out, as Go's omitempty leaves them (PendingDeletedFileSize here).
          expect(more.Statistic).toEqual({ ...plain.Statistic, TrashFileCount: 2, TrashFileSize: 10485771, PendingDeletedFileCount: 1 });
        }
      }
    } finally {
      releaseRedisDb(db);
    }
  });
});

describe('format of a new volume and its storage', () => {
  it('puts juicefs_uuid, and refuses storage that already holds objects under the name, as JuiceFS does', () => {
    const bucket = `${dir}/b`;
    const first = `sqlite3://${dir}/first.db`;
    expect(juicefs('format', first, 'shared', '--bucket', bucket).code).toBe(0);
    const uuid = (JSON.parse(juicefs('status', first).out) as { Setting: { UUID: string } }).Setting.UUID;
    expect(fs.readFileSync(`${bucket}/shared/juicefs_uuid`, 'utf8')).toBe(uuid);
    // Another metadata engine, same bucket and name: its gc would take the first volume's
    // objects for leaked ones, so the format is refused and that engine stays unformatted.
    fs.mkdirSync(`${bucket}/shared/chunks/0/0`, { recursive: true });
    fs.writeFileSync(`${bucket}/shared/chunks/0/0/1_0_4`, 'data');
    const second = `sqlite3://${dir}/second.db`;
    const r = juicefs('format', second, 'shared', '--bucket', bucket);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/storage file:\/\/.*\/b\/shared\/ is not empty \(it holds .*\): .*pick another volume name/);
    expect(juicefs('status', second).err).toMatch(/not formatted/);
    // Re-running format on the volume itself only updates it; another name is a new prefix.
    expect(juicefs('format', first, 'shared', '--trash-days', '2').code).toBe(0);
    expect(juicefs('format', second, 'other', '--bucket', bucket).code).toBe(0);
    expect(fs.existsSync(`${bucket}/other/juicefs_uuid`)).toBe(true);
  });
});

describe('questions, as JuiceFS asks them', () => {
  function answering(input: string, ...args: string[]): { code: number; out: string; err: string } {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', input, timeout: 60000 });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  }

  it('config asks on stdin before purging the trash: no answer or n aborts, y goes ahead', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'ask', '--bucket', `${dir}/b`).code).toBe(0);
    const none = answering('', 'config', meta, '--trash-days', '0');
    expect(none.code).toBe(1);
    expect(none.out).toContain('WARNING: the current trash will be emptied');
    expect(none.out).toContain('Proceed anyway? [y/N]: ');
    expect(none.err).toMatch(/Aborted: .*add --yes to go ahead/);
    expect(answering('n\n', 'config', meta, '--trash-days', '0').code).toBe(1);
    expect(settings(meta)).toMatchObject({ TrashDays: 1 });
    const yes = answering('what\ny\n', 'config', meta, '--trash-days', '0');
    expect(yes.code).toBe(0);
    expect(yes.out).toContain('Please input y(yes) or n(no): ');
    expect(settings(meta)).toMatchObject({ TrashDays: 0 });
  });

  it('destroy describes the volume and asks; y on stdin destroys it, and --force neither checks nor asks', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'doomed', '--bucket', `${dir}/b`).code).toBe(0);
    const uuid = (JSON.parse(juicefs('status', meta).out) as { Setting: { UUID: string } }).Setting.UUID;
    const no = answering('', 'destroy', meta, uuid);
    expect(no.code).toBe(1);
    expect(no.out).toMatch(/^ volume name: doomed\n volume UUID: .*\ndata storage: file:\/\/.*\/b\/doomed\/\n {2}used bytes: 0\n used inodes: 0\n/);
    expect(no.err).toMatch(/Aborted: destroying volume doomed was not confirmed .*--yes/);
    expect(fs.existsSync(`${dir}/b/doomed/juicefs_uuid`)).toBe(true);
    const yes = answering('y\n', 'destroy', meta, uuid);
    expect(yes.code).toBe(0);
    expect(fs.existsSync(`${dir}/b/doomed`)).toBe(false);
    expect(juicefs('format', meta, 'forced', '--bucket', `${dir}/b`).code).toBe(0);
    const uuid2 = (JSON.parse(juicefs('status', meta).out) as { Setting: { UUID: string } }).Setting.UUID;
    const forced = juicefs('destroy', meta, uuid2, '--force');
    expect(forced.code).toBe(0);
    expect(forced.out).toBe('');
    expect(juicefs('status', meta).err).toMatch(/not formatted/);
  });
});

describe('fsck --path: directories, as JuiceFS checks them', () => {
  function sqlite(db: string, sql: string): void {
    const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr || r.error?.message}`);
  }

  it('reports a wrong nlink and broken usage statistics with the flag that fixes them, and --repair fixes them (SQLite)', () => {
    const db = `${dir}/meta.db`;
    const meta = `sqlite3://${db}`;
    expect(juicefs('format', meta, 'fsck-dirs', '--bucket', `${dir}/b`).code).toBe(0);
    // quota set --create makes directories without a mount: /a holds b and c.
    for (const d of ['/a/b', '/a/c']) expect(juicefs('quota', 'set', meta, '--path', d, '--create', '--inodes', '10').code).toBe(0);
    expect(juicefs('fsck', meta, '--path', '/', '-r').code).toBe(0);
    sqlite(db, 'UPDATE jfs_node SET nlink=7 WHERE inode=2; UPDATE jfs_dir_stats SET used_inodes=-1 WHERE inode=3; UPDATE jfs_dir_stats SET used_inodes=5 WHERE inode=2');
    const found = juicefs('fsck', meta, '--path', '/', '-r');
    expect(found.code).toBe(1);
    expect(found.err).toContain('nlink of /a should be 4, but got 7');
    expect(found.err).toContain("Path /a (inode 2) can be repaired, please re-run with '--path /a --repair' to fix it");
    expect(found.err).toContain('usage stat of /a/b is missing or broken');
    // A count that is only out of date shows with --sync-dir-stat.
    expect(found.err).not.toContain('usage stat of /a should be');
    const stale = juicefs('fsck', meta, '--path', '/a', '--sync-dir-stat');
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('usage stat of /a should be {space: 8192, inodes: 2}, but got {space: 8192, inodes: 5}');
    expect(juicefs('fsck', meta, '--repair').err).toMatch(/fsck --repair needs the path to repair: add --path DIR/);
    const fixed = juicefs('fsck', meta, '--path', '/', '-r', '--repair', '--sync-dir-stat');
    expect(fixed.code).toBe(0);
    expect(juicefs('fsck', meta, '--path', '/', '-r', '--sync-dir-stat').code).toBe(0);
  });

  it('repairs broken statistics on Redis too', () => {
    const db = claimRedisDb();
    try {
      const meta = `${redisBase}/${db}`;
      expect(juicefs('format', meta, 'fsck-redis', '--bucket', `${dir}/b`).code).toBe(0);
      expect(juicefs('quota', 'set', meta, '--path', '/a/b', '--create', '--inodes', '10').code).toBe(0);
      const cli = (...args: string[]) => spawnSync('redis-cli', ['-u', meta, ...args], { encoding: 'utf8' }).stdout.trim();
      cli('HSET', 'dirUsedInodes', '2', '-3');
      const found = juicefs('fsck', meta, '--path', '/a');
      expect(found.code).toBe(1);
      expect(found.err).toContain('usage stat of /a is missing or broken');
      expect(juicefs('fsck', meta, '--path', '/a', '--repair').code).toBe(0);
      expect(cli('HGET', 'dirUsedInodes', '2')).toBe('1');
      expect(juicefs('fsck', meta, '--path', '/', '-r').code).toBe(0);
    } finally {
      releaseRedisDb(db);
    }
  });
});

describe('status -s SID', () => {
  /** juicefs without blocking the event loop (the session's holder lives in this process). */
  function juicefsAsync(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr.on('data', (b: Buffer) => (err += b.toString()));
      p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    });
  }

  it('shows the locks a session holds and the files it keeps open, as JuiceFS does, with 64-bit owners exact', async () => {
    const db = claimRedisDb();
    try {
      for (const [url, bucket] of [[`sqlite3://${dir}/meta.db`, `${dir}/b1`], [`${redisBase}/${db}`, `${dir}/b2`]] as const) {
        expect(juicefs('format', url, 'locks', '--bucket', bucket, '--trash-days', '0').code).toBe(0);
        const m = await openMeta(url);
        try {
          await m.load();
          const sid = await m.newSession();
          const f = await m.create(ROOT_CONTEXT, 1n, 'f', 0o644, 0, 0);
          const owner = 18446744073709551557n; // above 2^53: a JS number would round it
          await m.flock(ROOT_CONTEXT, f.ino, owner, 'W', false);
          await m.setlk(ROOT_CONTEXT, f.ino, 7n, false, { type: 1, start: 0n, end: 18446744073709551615n, pid: 4242 });
          const g = await m.create(ROOT_CONTEXT, 1n, 'g', 0o644, 0, 0);
          await m.open(ROOT_CONTEXT, g.ino, 2);
          await m.unlink(ROOT_CONTEXT, 1n, 'g');
          const r = await juicefsAsync('status', url, '-s', String(sid));
          expect(r.code).toBe(0);
          expect(r.out).toContain(`"Owner": ${owner}`);
          expect(r.out).toContain('"End": 18446744073709551615');
          const s = JSON.parse(r.out) as Record<string, unknown>;
          expect(s).toMatchObject({
            Sid: sid,
            Sustained: [Number(g.ino)],
            Flocks: [{ Inode: Number(f.ino), Type: 'W' }],
            Plocks: [{ Inode: Number(f.ino), Owner: 7, Records: [{ Type: 1, Pid: 4242, Start: 0 }] }],
          });
          await m.closeSession();
        } finally {
          await m.shutdown();
        }
        // Without any of them, as Go's omitempty: no empty lists.
        const m2 = await openMeta(url);
        try {
          await m2.load();
          const sid2 = await m2.newSession();
          const plain = JSON.parse((await juicefsAsync('status', url, '-s', String(sid2))).out) as Record<string, unknown>;
          expect(Object.keys(plain).filter((k) => ['Sustained', 'Flocks', 'Plocks'].includes(k))).toEqual([]);
          await m2.closeSession();
        } finally {
          await m2.shutdown();
        }
      }
    } finally {
      releaseRedisDb(db);
    }
  });
});

describe('config --min-client-version / --max-client-version', () => {
  it('refuses a version it cannot read and asks before shutting this version out, as JuiceFS does', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'versions', '--bucket', `${dir}/b`).code).toBe(0);
    const bad = juicefs('config', meta, '--min-client-version', 'abc');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('invalid --min-client-version "abc": give a version such as 1.1.0 or 1.2.0-A');
    const shut = juicefs('config', meta, '--min-client-version', '9.0.0');
    expect(shut.code).toBe(1);
    expect(shut.out).toMatch(/WARNING: clients of this version \(1\.4\.0\) will be rejected after the change/);
    expect(settings(meta)).toMatchObject({ MinClientVersion: '1.1.0-A' });
    expect(juicefs('config', meta, '--max-client-version', '1.3.0', '--yes').code).toBe(0);
    expect(settings(meta)).toMatchObject({ MaxClientVersion: '1.3.0' });
    // Bounds this version is within need no question.
    expect(juicefs('config', meta, '--max-client-version', '1.4.1', '--min-client-version', '1.2.0-A').code).toBe(0);
    expect(settings(meta)).toMatchObject({ MinClientVersion: '1.2.0-A', MaxClientVersion: '1.4.1' });
  });
});

describe('a Redis database the server does not have', () => {
  it('fails the command with the number named, instead of working in database 0', async () => {
    // A server of our own with two databases, so that a regression writes nowhere shared.
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--databases', '2', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
      for (let i = 0; i < 50 && cli('PING').stdout.trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 100));
      const url = `redis://127.0.0.1:${port}/5`;
      const f = await new Promise<{ code: number; err: string }>((resolve) => {
        const p = spawn(process.execPath, [bin, 'format', url, 'nodb', '--bucket', `${dir}/b`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (b: Buffer) => (err += b.toString()));
        p.on('close', (code) => resolve({ code: code ?? -1, err }));
      });
      expect(f.code).toBe(1);
      expect(f.err).toContain(`Redis at 127.0.0.1:${port} has no database 5 (ERR DB index is out of range)`);
      expect(cli('-n', '0', 'DBSIZE').stdout.trim()).toBe('0');
    } finally {
      server.kill();
    }
  });
});

describe('dump and load flags, as JuiceFS has them', () => {
  const sample = path.resolve(__dirname, '../../../../shared/fixtures/metadata.sample');

  it('load warns when the dump had its secret key removed, naming the command that sets it', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    const r = juicefs('load', meta, sample);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: the secret key was removed from the dump: set it with juicefs config ${meta} --secret-key KEY`);
    // A dump that kept it loads without the warning.
    expect(juicefs('config', meta, '--secret-key', 'sk', '--force').code).toBe(0);
    expect(juicefs('dump', meta, `${dir}/kept.json`, '--keep-secret-key').code).toBe(0);
    const kept = juicefs('load', `sqlite3://${dir}/meta2.db`, `${dir}/kept.json`);
    expect(kept.code).toBe(0);
    expect(kept.err).not.toContain('secret key was removed');
  });

  it('load FILE --binary --stat lists what a binary dump holds; dump --fast is accepted', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('load', meta, sample).code).toBe(0);
    expect(juicefs('dump', meta, `${dir}/d.bin`, '--binary').code).toBe(0);
    const stat = juicefs('load', `${dir}/d.bin`, '--binary', '--stat');
    expect(stat.code).toBe(0);
    const lines = stat.out.split('\n');
    expect(lines.slice(0, 4)).toEqual(['Backup Version: 1', '-'.repeat(23), 'Name      | Num       ', '-'.repeat(23)]);
    expect(lines).toContain('node      | 16        |');
    expect(lines).toContain('delFile   | 1         |');
    expect(juicefs('load', `${dir}/d.bin`, '--stat').err).toContain('--stat describes a binary dump: add --binary');
    const fast = juicefs('dump', meta, `${dir}/fast.json`, '--fast');
    expect(fast.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(`${dir}/fast.json`, 'utf8'))).toMatchObject({ Setting: { Name: 'load-dump-test' } });
  });
});

describe('metadata-only commands on a volume whose secret key a dump removed', () => {
  it('quota, restore and a directory fsck work, as JuiceFS\'s never open the object storage; gc says how to set the key', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('load', meta, path.resolve(__dirname, '../../../../shared/fixtures/metadata.sample')).code).toBe(0);
    const list = juicefs('quota', 'list', meta);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/\| uid:501 +\| 1\.0 TiB /);
    const hours = juicefs('restore', meta);
    expect(hours.code).toBe(0);
    expect(hours.out).toContain('| 2021-12-02-09 | 3       |');
    // A directory checked without -r needs no object storage either.
    const dirOnly = juicefs('fsck', meta, '--path', '/d1');
    expect([dirOnly.code, dirOnly.err]).toEqual([0, '--path /d1 is a directory: checked it, not the files below it (add -r for those)\n']);
    const gc = juicefs('gc', meta);
    expect(gc.code).toBe(1);
    expect(gc.err).toContain(`secret was removed from this volume's settings (it was loaded from a dump made without --keep-secret-key): set it again with juicefs config META-URL --secret-key KEY`);
  });
});

describe('juicefs help', () => {
  it('shows the commands, or the help of one, as JuiceFS\'s help command does', () => {
    const all = juicefs('help');
    expect(all.code).toBe(0);
    expect(all.out).toContain('juicefs format META-URL NAME');
    const one = juicefs('help', 'quota', 'set');
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^juicefs quota set META-URL\n/);
    expect(one.out).toContain('--capacity');
  });
});
