import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, mustFormat, openVolume, pattern, repo } from './tools-volume.js';

// juicefs quota against a real SQLite volume with file storage: files written in-process through
// the JuiceFS API, the command run as a user runs it, the stored usage corrupted with plain SQL.

/** The little of better-sqlite3 used here (a dependency of @juicefs/meta, loaded from there). */
interface SqliteDb {
  prepare(sql: string): { run(...params: unknown[]): { changes: number } };
  close(): void;
}
const Sqlite = createRequire(path.join(repo, 'packages/meta/package.json'))('better-sqlite3') as new (file: string) => SqliteDb;

let dir: string;
let meta: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-quota-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'quota-vol', path.join(dir, 'bucket'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const HEADER = ['Path', 'Size', 'Used', 'Use%', 'Inodes', 'IUsed', 'IUse%'];

/** The rows of a boxed table (header first), cells trimmed. */
function table(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

/** /proj with 80 KiB and 3 inodes below it: sub/ (4 KiB), sub/f (70,000 bytes: 72 KiB), g (1,000 bytes: 4 KiB). */
async function writeProject(): Promise<void> {
  const v = await openVolume(meta);
  try {
    await v.fs.mkdir('/proj');
    await v.fs.mkdir('/proj/sub');
    await v.fs.writeFile('/proj/sub/f', pattern(70_000, 1));
    await v.fs.writeFile('/proj/g', pattern(1000, 2));
  } finally {
    await v.close();
  }
}

test('set (with --create for a new path), get and list show the limits and the usage below each directory', async () => {
  await writeProject();
  const set = juicefs('quota', 'set', meta, '--path', '/proj', '--capacity', '1', '--inodes', '100');
  expect(set.err).toBe('');
  expect(set.code).toBe(0);
  expect(table(set.out)).toEqual([HEADER, ['/proj', '1.0 GiB', '80 KiB', '0%', '100', '3', '3%']]);

  const made = juicefs('quota', 'set', meta, '--path', '/proj/new/deep', '--create', '--inodes', '10');
  expect(made.err).toBe('');
  expect(made.code).toBe(0);
  expect(table(made.out)).toEqual([HEADER, ['/proj/new/deep', 'unlimited', '0 B', '', '10', '0', '0%']]);

  const v = await openVolume(meta);
  try {
    const st = await v.fs.stat('/proj/new/deep');
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o755);
    await v.fs.writeFile('/proj/new/deep/a', pattern(5000, 3)); // 8 KiB
  } finally {
    await v.close();
  }

  const deep = juicefs('quota', 'get', meta, '--path', '/proj/new/deep');
  expect(deep.code).toBe(0);
  expect(table(deep.out)).toEqual([HEADER, ['/proj/new/deep', 'unlimited', '8.0 KiB', '', '10', '1', '10%']]);
  // /proj counts new/ and deep/ (4 KiB each) and the file too.
  const proj = juicefs('quota', 'get', meta, '--path', '/proj');
  expect(proj.code).toBe(0);
  expect(table(proj.out)).toEqual([HEADER, ['/proj', '1.0 GiB', '96 KiB', '0%', '100', '6', '6%']]);
  // What --create made was counted in the quota above it, so the stored usage matches the tree.
  const checked = juicefs('quota', 'check', meta);
  expect(checked.err).toBe('');
  expect(checked.code).toBe(0);

  // A limit not given keeps its value.
  const more = juicefs('quota', 'set', meta, '--path', '/proj', '--capacity', '2');
  expect(more.code).toBe(0);
  expect(table(more.out)[1]).toEqual(['/proj', '2.0 GiB', '96 KiB', '0%', '100', '6', '6%']);

  for (const sub of ['list', 'ls']) {
    const list = juicefs('quota', sub, meta);
    expect(list.code).toBe(0);
    // One table for directories, users and groups, headed "Path/ID" as JuiceFS 1.4 heads it.
    expect(table(list.out)).toEqual([
      ['Path/ID', ...HEADER.slice(1)],
      ['/proj', '2.0 GiB', '96 KiB', '0%', '100', '6', '6%'],
      ['/proj/new/deep', 'unlimited', '8.0 KiB', '', '10', '1', '10%'],
    ]);
  }
});

test('mistakes fail with what is wrong and how to fix it', async () => {
  await writeProject();
  const noLimit = juicefs('quota', 'set', meta, '--path', '/proj');
  expect(noLimit.code).toBe(1);
  expect(noLimit.err).toMatch(/nothing to set for \/proj: give --capacity GiB and\/or --inodes N/);

  const noPath = juicefs('quota', 'get', meta);
  expect(noPath.code).toBe(1);
  expect(noPath.err).toMatch(/quota get needs the directory: add --path DIR/);

  const none = juicefs('quota', 'get', meta, '--path', '/proj');
  expect(none.code).toBe(1);
  expect(none.err).toMatch(/\/proj has no quota: set one with juicefs quota set \S+ --path \/proj/);

  const missing = juicefs('quota', 'set', meta, '--path', '/nope', '--inodes', '5');
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/no directory \/nope in the volume: .*--create/);

  const file = juicefs('quota', 'set', meta, '--path', '/proj/g', '--inodes', '5');
  expect(file.code).toBe(1);
  expect(file.err).toMatch(/\/proj\/g is not a directory/);

  const both = juicefs('quota', 'set', meta, '--uid', '1000', '--gid', '100', '--capacity', '1');
  expect(both.code).toBe(1);
  expect(both.err).toMatch(/give either --uid or --gid, not both/);
  for (const flag of ['--uid', '--gid']) {
    const withPath = juicefs('quota', 'set', meta, flag, '1000', '--path', '/proj', '--capacity', '1');
    expect(withPath.code).toBe(1);
    expect(withPath.err).toMatch(new RegExp(`give either ${flag} or --path, not both`));
    const zero = juicefs('quota', 'get', meta, flag, '0');
    expect(zero.code).toBe(1);
    expect(zero.err).toMatch(new RegExp(`invalid ${flag} 0: give a whole number from 1`));
    const none = juicefs('quota', 'get', meta, flag, '1234');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/(user|group) 1234 has no quota: set one with juicefs quota set/);
  }

  const bare = juicefs('quota');
  expect(bare.code).toBe(1);
  expect(bare.err).toMatch(/set, get, delete, list or check/);

  const empty = juicefs('quota', 'list', meta);
  expect(empty.code).toBe(0);
  expect(empty.out).toContain('no directory, user or group has a quota');
});

test('check finds stored usage that drifted from the tree, --repair fixes it; delete removes the quota', async () => {
  await writeProject();
  expect(juicefs('quota', 'set', meta, '--path', '/proj', '--inodes', '100').code).toBe(0);

  const ok = juicefs('quota', 'check', meta);
  expect(ok.code).toBe(0);
  expect(ok.out).toContain('quota of /proj is consistent');
  expect(table(ok.out)).toEqual([HEADER, ['/proj', 'unlimited', '80 KiB', '', '100', '3', '3%']]);

  const db = new Sqlite(`${dir}/meta.db`);
  try {
    expect(db.prepare('UPDATE jfs_dir_quota SET used_space=used_space+4096').run().changes).toBe(1);
  } finally {
    db.close();
  }

  for (const args of [[], ['--path', '/proj']]) {
    const bad = juicefs('quota', 'check', meta, ...args);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('/proj: stored usage (3 inodes, 84 KiB) != the tree (3 inodes, 80 KiB)');
    expect(bad.err).toMatch(/quota usage of \/proj is inconsistent .*: run juicefs quota check \S+ --path \/proj --repair to fix it/);
  }

  const fixed = juicefs('quota', 'check', meta, '--repair');
  expect(fixed.err).toBe('');
  expect(fixed.code).toBe(0);
  expect(fixed.out).toContain('/proj: stored usage (3 inodes, 84 KiB) != the tree (3 inodes, 80 KiB): repaired');
  expect(table(fixed.out)).toEqual([HEADER, ['/proj', 'unlimited', '80 KiB', '', '100', '3', '3%']]);

  const again = juicefs('quota', 'check', meta, '--path', '/proj');
  expect(again.code).toBe(0);
  expect(again.out).toContain('quota of /proj is consistent');

  const del = juicefs('quota', 'delete', meta, '--path', '/proj');
  expect(del.code).toBe(0);
  expect(del.out).toContain('deleted the quota of /proj');
  const gone = juicefs('quota', 'get', meta, '--path', '/proj');
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(/\/proj has no quota/);
  const twice = juicefs('quota', 'del', meta, '--path', '/proj');
  expect(twice.code).toBe(1);
  expect(twice.err).toMatch(/\/proj has no quota to delete/);
  const unchecked = juicefs('quota', 'check', meta, '--path', '/proj');
  expect(unchecked.code).toBe(1);
  expect(unchecked.err).toMatch(/\/proj has no quota to check/);
});

test('group quotas: set, get, list (as gid:N with the directories) and delete, limits kept when not given', async () => {
  await writeProject();
  expect(juicefs('quota', 'set', meta, '--path', '/proj', '--inodes', '100').code).toBe(0);
  const set = juicefs('quota', 'set', meta, '--gid', '100', '--inodes', '10');
  expect(set.err).toBe('');
  expect(set.code).toBe(0);
  expect(table(set.out)).toEqual([['Group ID', ...HEADER.slice(1)], ['100', 'unlimited', '0 B', '', '10', '0', '0%']]);
  const more = juicefs('quota', 'set', meta, '--gid', '100', '--capacity', '1');
  expect(table(more.out)[1]).toEqual(['100', '1.0 GiB', '0 B', '0%', '10', '0', '0%']);
  const rootUser = juicefs('quota', 'set', meta, '--uid', '1', '--inodes', '5');
  expect(rootUser.code).toBe(0);
  const list = juicefs('quota', 'list', meta);
  expect(list.code).toBe(0);
  expect(table(list.out)).toEqual([
    ['Path/ID', ...HEADER.slice(1)],
    ['/proj', 'unlimited', '80 KiB', '', '100', '3', '3%'],
    ['gid:100', '1.0 GiB', '0 B', '0%', '10', '0', '0%'],
    ['uid:1', 'unlimited', '0 B', '', '5', '0', '0%'],
  ]);
  const only = juicefs('quota', 'list', meta, '--gid', '100');
  // As JuiceFS lists them: headed by the kind, the row named gid:N.
  expect(table(only.out)).toEqual([['Group ID', ...HEADER.slice(1)], ['gid:100', '1.0 GiB', '0 B', '0%', '10', '0', '0%']]);
  const del = juicefs('quota', 'delete', meta, '--gid', '100');
  expect(del.code).toBe(0);
  expect(del.out).toContain('deleted the quota of group 100');
  const again = juicefs('quota', 'delete', meta, '--gid', '100');
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/group 100 has no quota to delete/);
  expect(table(juicefs('quota', 'list', meta).out).map((r) => r[0])).toEqual(['Path/ID', '/proj', 'uid:1']);
  const check = juicefs('quota', 'check', meta, '--gid', '100');
  expect(check.err).toBe('');
  expect(check.code).toBe(0);
  expect(check.out).toContain('quota of group 100 is consistent');

  // Without flags, check covers every directory quota, then every user and group (JuiceFS checks
  // users and groups by default).
  const all = juicefs('quota', 'check', meta);
  expect(all.err).toBe('');
  expect(all.code).toBe(0);
  expect(all.out).toContain('quota of /proj is consistent');
  expect(all.out).toContain('user and group quotas are consistent');
  const db = new Sqlite(`${dir}/meta.db`);
  try {
    expect(db.prepare('UPDATE jfs_user_group_quota SET used_inodes = used_inodes + 7 WHERE qtype = 2 AND qkey = 0').run().changes).toBe(1);
  } finally {
    db.close();
  }
  const drift = juicefs('quota', 'check', meta);
  expect(drift.code).toBe(1);
  expect(drift.err).toMatch(/the quota usage of gid:0 is inconsistent \(above\): run juicefs quota check \S+ --repair/);
  const repair = juicefs('quota', 'check', meta, '--repair');
  expect(repair.code).toBe(0);
  // root's /proj, sub, f (72 KiB) and g: 4 inodes, 84 KiB.
  expect(repair.out).toMatch(/gid:0: stored usage \(11 inodes, 84 KiB\) != the tree \(4 inodes, 84 KiB\): repaired/);
  expect(juicefs('quota', 'check', meta).code).toBe(0);
});
