import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, mustFormat, repo } from './tools-volume.js';

// JuiceFS 1.4's change log as a user runs it: `juicefs config --changelog` turns it on (with the
// two-hour retention JuiceFS sets), a real mount then records what programs do, and
// `juicefs changelog` follows the lines as they come and stops on SIGINT, or prints what follows
// a version and exits.

const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse');
const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');

function sql(db: string, query: string): string {
  const r = spawnSync('sqlite3', [db, query], { encoding: 'utf8' });
  if (r.error) throw new Error(`the sqlite3 command is missing (${r.error.message}): run bash scripts/setup.sh`);
  return r.stdout.trim();
}

function format(db: string): { ChangeLog?: boolean; ChangeLogMaxAge?: number; ChangeLogMaxLines?: number } {
  return JSON.parse(sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'")) as ReturnType<typeof format>;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-changelog-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('juicefs config --changelog*', () => {
  it('turns the log on with two hours of retention, sets the rules, refuses bad values, turns it off', () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    mustFormat(url, 'clog', path.join(dir, 'b'));
    const on = juicefs('config', url, '--changelog');
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/^changelog: false -> true$/m);
    expect(format(db)).toMatchObject({ ChangeLog: true, ChangeLogMaxAge: 7200 });

    expect(juicefs('config', url, '--changelog-max-age', '1d', '--changelog-max-lines', '1000').code).toBe(0);
    expect(format(db)).toMatchObject({ ChangeLogMaxAge: 86400, ChangeLogMaxLines: 1000 });
    expect(juicefs('config', url, '--changelog').out).toBe('Nothing changed.\n');

    const before = sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'");
    const bad = [
      [['--changelog-max-age', 'soon'], /--changelog-max-age "soon" is not a duration/],
      [['--changelog-max-lines', '-1'], /--changelog-max-lines -1: give a whole number of lines/],
    ] as const;
    for (const [args, message] of bad) {
      const r = juicefs('config', url, ...args);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    }
    expect(sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'")).toBe(before);

    expect(juicefs('config', url, '--changelog=false', '--changelog-max-age', '0').code).toBe(0);
    const off = format(db);
    expect(off.ChangeLog).toBeUndefined(); // omitted when false, as Go's omitempty writes it
    expect(off.ChangeLogMaxAge).toBeUndefined();
    expect(off.ChangeLogMaxLines).toBe(1000);
    // Reading a log that is off says so, and prints nothing new.
    const read = juicefs('changelog', url, '--follow=false');
    expect(read.code).toBe(0);
    expect(read.out).toBe('');
    expect(read.err).toMatch(/the change log of volume clog is off, so no new lines will come: turn it on with juicefs config/);
  });
});

(canMount ? describe : describe.skip)('juicefs changelog over a mount', () => {
  it('follows what programs do in the mount, stops on SIGINT, and resumes after a version', async () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    const mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    mustFormat(url, 'clog', path.join(dir, 'b'), '--trash-days', '0');
    expect(juicefs('config', url, '--changelog').code).toBe(0);
    const m = juicefs('mount', '-d', url, mp, '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'));
    if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
    try {
      // The follower starts after the newest line so far (given, so that a slow start misses nothing), then waits.
      fs.mkdirSync(path.join(mp, 'before'));
      const from = sql(db, 'SELECT MAX(id) FROM jfs_change_log');
      expect(Number(from)).toBeGreaterThan(0);
      const tail = spawn(process.execPath, [bin, 'changelog', url, '--from', from, '--interval', '0.1'], { cwd: repo });
      let out = '';
      let err = '';
      tail.stdout.on('data', (d: Buffer) => (out += d.toString()));
      tail.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => tail.on('close', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 300));

      fs.mkdirSync(path.join(mp, 'dir'));
      fs.writeFileSync(path.join(mp, 'dir', 'new file'), 'hello');
      fs.renameSync(path.join(mp, 'dir', 'new file'), path.join(mp, 'dir', 'renamed'));
      fs.unlinkSync(path.join(mp, 'dir', 'renamed'));
      fs.rmdirSync(path.join(mp, 'dir'));

      const deadline = Date.now() + 20_000;
      while (!/ RMDIR\(/.test(out.replace(/\|/g, ' ')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      tail.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).not.toMatch(/error/i);
      const got = out.trim().split('\n').map((l) => /^(\d+) \d+\.\d{9}\|([A-Z]+)\(([^)]*)\)/.exec(l));
      expect(got.every((g) => g !== null)).toBe(true);
      const ops = got.map((g) => g![2]);
      expect(ops.filter((o) => o !== 'SETATTR')).toEqual(['CREATE', 'CREATE', 'WRITE', 'MOVE', 'UNLINK', 'RMDIR']);
      expect(got[0]![3]).toMatch(/^1,dir,2,/); // mkdir in the root
      expect(got.find((g) => g![2] === 'MOVE')![3]).toMatch(/,new%20file,\d+,renamed,0$/);
      const versions = got.map((g) => Number(g![1]));
      expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
      expect(Number(sql(db, 'SELECT MAX(id) FROM jfs_change_log'))).toBe(versions[versions.length - 1]);

      // Resuming after a version prints what follows it, and exits without --follow.
      const resumed = juicefs('changelog', url, '--from', String(versions[2]), '--follow=false');
      expect(resumed.code).toBe(0);
      expect(resumed.out).toBe(out.trim().split('\n').slice(3).join('\n') + '\n');
      // Without --from it starts at the newest line: nothing to print yet.
      const fromNewest = juicefs('changelog', url, '--follow=false');
      expect([fromNewest.code, fromNewest.out]).toEqual([0, '']);
    } finally {
      const u = juicefs('umount', mp);
      if (u.code !== 0) juicefs('umount', '--force', mp);
    }
  }, 60_000);
});
