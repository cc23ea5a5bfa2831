import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// juicefs config's volume switches (tiers, dir stats, user/group usage) and juicefs tier list, as a
// user runs them: the real command over SQLite, checking the stored format record and tables.

const repo = path.resolve(__dirname, '../../..');
const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
const sample = path.resolve(repo, '../shared/fixtures/metadata.sample');

function juicefs(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', input: '', timeout: 60000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function sql(db: string, query: string): string {
  const r = spawnSync('sqlite3', [db, query], { encoding: 'utf8' });
  if (r.error) throw new Error(`the sqlite3 command is missing (${r.error.message}): run bash scripts/setup.sh`);
  return r.stdout.trim();
}

interface Tier {
  ID: number;
  StorageClass: string;
  Tag: string;
}

function format(db: string): { StorageClass?: string; Tiers?: Record<string, Tier>; MinClientVersion?: string; DirStats?: boolean; UserGroupQuota?: boolean } {
  return JSON.parse(sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'")) as ReturnType<typeof format>;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('juicefs config --tier / --storage-class / --tag, and juicefs tier list', () => {
  it('defines tiers where JuiceFS 1.4 keeps them and lists them', () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    expect(juicefs('format', url, 'vol1', '--bucket', path.join(dir, 'b')).code).toBe(0);
    const empty = juicefs('tier', 'list', url);
    expect(empty.code).toBe(0);
    expect(empty.out).toMatch(/\| id \| storageClass\s+\| tag \|/);
    expect(empty.out).toMatch(/\| 0 {2}\| \(bucket default\) \|\s+\|/);

    const one = juicefs('config', url, '--tier', '1', '--storage-class', 'STANDARD_IA');
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/tier 1 storage class: null -> "STANDARD_IA"/);
    expect(one.out).toMatch(/^min-client-version: 1\.1\.0-A -> 1\.4\.0-A$/m); // older clients would drop the tier
    expect(one.err).toMatch(/warning: this client does not apply tier 1's storage class STANDARD_IA on file storage/); // s3 and minio only
    expect(juicefs('config', url, '--tier', '2', '--tag', 'team=a&cold=1').code).toBe(0);
    // Without --tier, tier 0 (and the pre-1.4 StorageClass field, for older clients).
    expect(juicefs('config', url, '--storage-class', 'GLACIER_IR').code).toBe(0);
    const f = format(db);
    expect(f.Tiers).toEqual({
      '0': { ID: 0, StorageClass: 'GLACIER_IR', Tag: '' },
      '1': { ID: 1, StorageClass: 'STANDARD_IA', Tag: '' },
      '2': { ID: 2, StorageClass: '', Tag: 'team=a&cold=1' },
    });
    expect(f.StorageClass).toBe('GLACIER_IR');
    expect(f.MinClientVersion).toBe('1.4.0-A');

    const again = juicefs('config', url, '--tier', '1', '--storage-class', 'STANDARD_IA');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/Nothing changed\./);
    const list = juicefs('tier', 'list', url).out.split('\n').filter((l) => /^\| \d/.test(l));
    expect(list.map((l) => l.split('|').map((c) => c.trim()).slice(1, 4))).toEqual([
      ['0', 'GLACIER_IR', ''],
      ['1', 'STANDARD_IA', ''],
      ['2', '(bucket default)', 'team=a&cold=1'],
    ]);
  });

  it('refuses what it cannot do, naming the flag', () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    expect(juicefs('format', url, 'vol1', '--bucket', path.join(dir, 'b')).code).toBe(0);
    const before = sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'");
    const cases: Array<[string[], RegExp]> = [
      [['--tier', '4', '--storage-class', 'X'], /--tier 4: a tier is 0 to 3/],
      [['--tier', '1'], /--tier 1 needs --storage-class or --tag/],
      [['--tier', '1', '--storage-class', 'X', '--bucket', '/elsewhere'], /--tier cannot go with --bucket/],
      [['--tier', '1', '--tag', 'nokey'], /--tag nokey: tags are key=value pairs joined by &/],
    ];
    for (const [args, message] of cases) {
      const r = juicefs('config', url, ...args);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    }
    expect(sql(db, "SELECT value FROM jfs_setting WHERE name = 'format'")).toBe(before); // nothing half-applied
    const restore = juicefs('tier', 'restore', url, '/');
    expect(restore.code).not.toBe(0);
    expect(restore.err).toMatch(/EOPNOTSUPP: file storage has no archive to restore from \(tier restore works on s3 and minio buckets\)/);
  });
});

describe('juicefs tier set', () => {
  it('sets the tier of a file, or of a directory and its entries (-r: all below), and says what it did', () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    // The real dump (tiers 0 "default" and 1 STANDARD_IA, as Go wrote them), with a bucket here and
    // neither its removed secret nor its passphrase-protected key, so the volume opens.
    // (Edited as text: the loader reads the tree in the order Go wrote it, which JSON.parse would not keep.)
    const dump = fs
      .readFileSync(sample, 'utf8')
      .replace(/^ {4}"(SecretKey|EncryptKey|KeyEncrypted)": .*,\n/gm, '')
      .replace(/^ {4}"Bucket": .*,$/m, `    "Bucket": ${JSON.stringify(path.join(dir, 'bucket'))},`);
    expect(dump).not.toMatch(/"EncryptKey"/);
    fs.writeFileSync(path.join(dir, 'dump.json'), dump);
    expect(juicefs('load', url, path.join(dir, 'dump.json')).code).toBe(0);
    expect(juicefs('config', url, '--tier', '1', '--storage-class', 'STANDARD_IA').out).toMatch(/Nothing changed/);
    const tierOf = (ino: string) => sql(db, `SELECT tier_id FROM jfs_node WHERE inode = ${ino}`);
    const d1 = sql(db, "SELECT inode FROM jfs_edge WHERE parent = 1 AND name = CAST('d1' AS BLOB)");
    const inD1 = sql(db, `SELECT inode FROM jfs_edge WHERE parent = ${d1} ORDER BY inode`).split('\n');
    expect(inD1.length).toBeGreaterThan(0);
    // Go put almost everything of this volume in tier 1.
    for (const ino of [d1, ...inD1, '2']) expect(tierOf(ino)).toBe('1');

    const set = juicefs('tier', 'set', url, '--id', '0', '/d1');
    expect(set.code).toBe(0);
    expect(set.err).toMatch(/set storage tier of \/d1 from 1 \(STANDARD_IA\) to 0 \(default\)/);
    expect(set.err).toMatch(new RegExp(`storage tier of /d1 is set to 0 \\(default\\): ${1 + inD1.length} nodes, 0 objects rewritten`));
    for (const ino of [d1, ...inD1]) expect(tierOf(ino)).toBe('0');
    expect(tierOf('2')).toBe('1'); // /f1, outside /d1

    // Back to tier 1; a file bucket takes no storage class: the ids change, the objects stay.
    const back = juicefs('tier', 'set', url, '--id', '1', '/d1', '-r');
    expect(back.code).toBe(0);
    expect(back.err).toMatch(/warning: file storage takes no storage class or object tags: only the tier id is set/);
    for (const ino of [d1, ...inD1]) expect(tierOf(ino)).toBe('1');
    const same = juicefs('tier', 'set', url, '--id', '1', '/f1');
    expect(same.code).toBe(0);
    expect(same.err).toMatch(/\/f1 is already in storage tier 1 \(STANDARD_IA\): nothing to change/);

    const cases: Array<[string[], RegExp]> = [
      [['/d1'], /missing --id/],
      [['--id', '2', '/d1'], /storage tier 2 is not defined in the volume: define it with juicefs config .* --tier 2 --storage-class CLASS/],
      [['--id', '5', '/d1'], /--id 5: a tier is 0 to 3/],
      [['--id', '1', '/no/such'], /ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = juicefs('tier', 'set', url, ...args);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(message);
    }
  });
});

describe('juicefs config --dir-stats / --user-group-quota', () => {
  it('turns user/group usage on by counting the tree, and keeps dir stats while a directory has a quota', () => {
    const db = path.join(dir, 'm.db');
    const url = `sqlite3://${db}`;
    expect(juicefs('load', url, sample).code).toBe(0); // a dumped volume: uids 0, 1 and 501, one directory quota
    const counted = () => sql(db, 'SELECT qtype, qkey, used_space, used_inodes FROM jfs_user_group_quota ORDER BY qtype, qkey');
    expect(counted()).toContain('1|501|115380224|11'); // the dump's user quota, with its usage

    expect(juicefs('config', url, '--user-group-quota=false').code).toBe(0);
    expect(format(db).UserGroupQuota ?? false).toBe(false); // omitted when false, as Go writes it
    sql(db, 'UPDATE jfs_user_group_quota SET used_space = 0, used_inodes = 0'); // stale figures from before
    const on = juicefs('config', url, '--user-group-quota');
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/user-group-quota: false -> true \(usage of every user and group counted from the tree\)/);
    expect(format(db).UserGroupQuota).toBe(true);
    // Every owner in the tree (type 1 users, 2 groups: key, bytes, inodes), not only those with a quota.
    expect(counted().split('\n')).toEqual(['1|0|4096|1', '1|1|8192|2', '1|501|115380224|11', '2|0|115376128|10', '2|20|16384|4']);

    // The dump's format has no DirStats: off, as Go reads it (its quota was kept by no client).
    expect(format(db).DirStats).toBeUndefined();
    const on2 = juicefs('config', url, '--dir-stats');
    expect(on2.code).toBe(0);
    expect(on2.out).toMatch(/^ dir-stats: false -> true$/m);
    // A volume quota below what is used already (this one holds 115 MB in 14 inodes) needs --yes.
    const small = juicefs('config', url, '--capacity', '0.05', '--inodes', '100');
    expect(small.code).not.toBe(0);
    expect(small.err).toMatch(/the new quota is too small \(used \/ quota\): 115392512 \/ 53687091 bytes, 14 \/ 100 inodes: add --yes to go ahead/);
    expect(juicefs('config', url, '--capacity', '0.05', '--yes').code).toBe(0);

    const off = juicefs('config', url, '--dir-stats=false');
    expect(off.code).not.toBe(0);
    expect(off.err).toMatch(/EBUSY: cannot turn off dir stats while 1 directory has a quota \(inode 1\)/);
    expect(sql(db, 'DELETE FROM jfs_dir_quota; SELECT changes()')).toBe('1');
    expect(juicefs('config', url, '--dir-stats=false').code).toBe(0);
    expect(format(db).DirStats ?? false).toBe(false);
    expect(juicefs('config', url, '--dir-stats').code).toBe(0);
    expect(format(db).DirStats).toBe(true);
  });
});
