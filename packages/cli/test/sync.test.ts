import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { parseMbps } from '../src/sync/bwlimit.js';
import { SyncFilter, filterRulesOf } from '../src/sync/filter.js';
import { planSync, type PlanOptions } from '../src/sync/plan.js';
import { FilesFrom, parseSyncDuration, parseSyncSize, parseSyncTime, selectOptionsOf, selectsEntry } from '../src/sync/select.js';
import { walkFileSystem, type StatLike, type SyncEntry } from '../src/sync/tree.js';
import { openVolumeFs } from '../src/volume-fs.js';
import { mustFormat } from './tools-volume.js';

// `juicefs sync SRC DST` between local directories, a JuiceFS volume opened in-process
// (jfs://NAME/ with the META-URL in $NAME) and a real S3 server, as JuiceFS's sync is used to
// move data into and out of volumes without mounting them.

const bin = path.resolve(__dirname, '../dist/bin/juicefs.js');
const S3_URL = new URL(process.env['JFS_TEST_S3_URL'] ?? 'http://127.0.0.1:9000');
const S3_KEY = process.env['JFS_TEST_S3_ACCESS_KEY'] ?? 'S3RVER';
const S3_SECRET = process.env['JFS_TEST_S3_SECRET_KEY'] ?? 'S3RVER';

function sync(env: Record<string, string>, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, 'sync', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const file = (key: string, size: number, mtime = 1000): SyncEntry => ({ key, size, mtime, isDir: false });
const dir = (key: string): SyncEntry => ({ key, size: 0, mtime: 0, isDir: true });
const base: PlanOptions = { update: false, forceUpdate: false, dirs: false, deleteDst: false, dstIsFileSystem: true, takes: () => true };
const keys = (es: readonly SyncEntry[]) => es.map((e) => e.key);

describe('sync: the plan', () => {
  const src = [dir('a/'), file('a/grown', 5, 2000), file('a/new', 1), file('a/same', 3), dir('e/')];
  const dst = [dir('a/'), file('a/gone', 1), file('a/grown', 4, 3000), file('a/same', 3), dir('old/'), file('old/x', 1)];

  it('copies what is missing or differs in size; --update by time; --force-update all', () => {
    expect(keys(planSync(src, dst, base).copies)).toEqual(['a/grown', 'a/new']);
    expect(keys(planSync(src, dst, { ...base, update: true }).copies)).toEqual(['a/new']); // a/grown is newer at the destination
    expect(keys(planSync(src, dst, { ...base, forceUpdate: true }).copies)).toEqual(['a/grown', 'a/new', 'a/same']);
  });

  it('--dirs makes missing directories; --delete-dst removes the rest, contents before directories', () => {
    const p = planSync(src, dst, { ...base, dirs: true, deleteDst: true });
    expect({ mkdirs: keys(p.mkdirs), deletes: keys(p.deletes) }).toEqual({ mkdirs: ['e/'], deletes: ['old/x', 'old/', 'a/gone'] });
    expect(keys(planSync(src, dst, { ...base, dirs: true, dstIsFileSystem: false }).mkdirs)).toEqual([]);
  });

  it('--existing updates only what the destination has; --ignore-existing creates only what it lacks', () => {
    const existing = planSync(src, dst, { ...base, existing: true });
    const ignoring = planSync(src, dst, { ...base, ignoreExisting: true });
    expect({
      existing: [keys(existing.copies), keys(existing.untouched)],
      ignoring: [keys(ignoring.copies), keys(ignoring.untouched)],
    }).toEqual({
      existing: [['a/grown'], ['a/new', 'e/']], // e/ is a directory the destination lacks
      ignoring: [['a/new'], ['a/', 'a/grown', 'a/same']],
    });
  });

  it('--limit counts every source entry looked at (directories only with --dirs) and every extra removed, then stops', () => {
    const limited = (limit: number, extra: Partial<PlanOptions> = {}) => {
      const p = planSync(src, dst, { ...base, limit, ...extra });
      return { copies: keys(p.copies), same: keys(p.same), deletes: keys(p.deletes), found: p.found };
    };
    expect(limited(2)).toEqual({ copies: ['a/grown', 'a/new'], same: ['a/'], deletes: [], found: 3 });
    expect(limited(0)).toEqual({ copies: [], same: [], deletes: [], found: 0 });
    expect(limited(-1).copies).toEqual(['a/grown', 'a/new']);
    // a/gone (extra, removed) and a/grown take the two: nothing after them is touched
    expect(limited(2, { deleteDst: true })).toEqual({ copies: ['a/grown'], same: ['a/'], deletes: ['a/gone'], found: 2 });
    expect(limited(2, { dirs: true })).toEqual({ copies: ['a/grown'], same: ['a/'], deletes: [], found: 2 }); // a/ takes one
  });

  it('size and time filters judge source files by their own attributes; --delete-dst never removes the copy of a filtered source file', () => {
    const o = selectOptionsOf({ 'min-size': '2', 'max-size': '5B' });
    const p = planSync(src, [...dst, file('z-extra-big', 100), file('z-extra-small', 3)], { ...base, deleteDst: true, selects: (e) => selectsEntry(e, o, 0) });
    expect({ copies: keys(p.copies), deletes: keys(p.deletes), filtered: p.filtered }).toEqual({
      copies: ['a/grown'], // a/new (1 byte) is left out; a/same is equal
      // Extras are removed only when they pass the filters themselves: a/gone, old/x (1 byte) and
      // z-extra-big (100) are outside them, so not this sync's to remove.
      deletes: ['z-extra-small', 'old/'],
      filtered: 1,
    });
  });

  it('filters: the first matching rule decides; an excluded directory takes its contents along', () => {
    const take = (rules: string[], full: boolean, ks: string[]) => {
      const f = new SyncFilter(filterRulesOf(rules), full);
      return ks.filter((k) => f.takes(k));
    };
    const ks = ['a/', 'a/keep.log', 'a/x.log', 'a/x.txt', 'tmp/', 'tmp/in.txt', 'z.log'];
    expect(take(['--include', 'keep.log', '--exclude=*.log'], false, ks)).toEqual(['a/', 'a/keep.log', 'a/x.txt', 'tmp/', 'tmp/in.txt']);
    expect(take(['--exclude', 'tmp/'], false, ks)).toEqual(['a/', 'a/keep.log', 'a/x.log', 'a/x.txt', 'z.log']);
    expect(take(['--exclude', '*.log'], true, ks)).toEqual(['a/', 'a/keep.log', 'a/x.log', 'a/x.txt', 'tmp/', 'tmp/in.txt']); // full path: only z.log matches *
    expect(take(['--exclude', 'a/**'], false, ks)).toEqual(['a/', 'tmp/', 'tmp/in.txt', 'z.log']);
  });
});

describe('sync: reading the selection flags as JuiceFS does', () => {
  it('sizes: bytes, B, and K…E in powers of 1024; anything else is an error naming the flag', () => {
    expect(['100', '100B', '4K', '4k', '1.5M', '2G'].map((t) => parseSyncSize('max-size', t))).toEqual([100, 100, 4096, 4096, 1.5 * 2 ** 20, 2 * 2 ** 30]);
    expect(() => parseSyncSize('min-size', '10 apples')).toThrow('--min-size "10 apples" is not a size');
    expect(() => parseSyncSize('min-size', '10b')).toThrow('is not a size');
  });

  it('durations: bare seconds, Go durations and a leading days part', () => {
    expect(['90', '30m', '1h30m', '2d', '1d12h', '500ms'].map((t) => parseSyncDuration('max-age', t))).toEqual([90_000, 1_800_000, 5_400_000, 172_800_000, 129_600_000, 500]);
    expect(() => parseSyncDuration('min-age', '1 week')).toThrow('--min-age "1 week" is not a duration');
  });

  it('times: JuiceFS\'s example form in local time, RFC 3339 with a zone, a bare date; nonsense and impossible dates are errors', () => {
    expect(parseSyncTime('start-time', '2024-06-01 12:30:00')).toBe(new Date(2024, 5, 1, 12, 30, 0).getTime());
    expect(parseSyncTime('start-time', '2024-06-01T12:30:00')).toBe(new Date(2024, 5, 1, 12, 30, 0).getTime());
    expect(parseSyncTime('start-time', '2024-06-01T12:30:00Z')).toBe(Date.UTC(2024, 5, 1, 12, 30, 0));
    expect(parseSyncTime('start-time', '2024-06-01T12:30:00.250+08:00')).toBe(Date.UTC(2024, 5, 1, 4, 30, 0, 250));
    expect(parseSyncTime('end-time', '2024-06-01')).toBe(new Date(2024, 5, 1).getTime());
    expect(() => parseSyncTime('end-time', 'yesterday')).toThrow('--end-time "yesterday" is not a time: write it as 2006-01-02 15:04:05');
    expect(() => parseSyncTime('end-time', '2024-02-31')).toThrow('is not a time');
  });

  it('contradictions are refused in JuiceFS\'s words, with the fix', () => {
    expect(() => selectOptionsOf({ 'min-size': '2K', 'max-size': '1K' })).toThrow('min-size should not be larger than max-size (--min-size 2K > --max-size 1K): nothing could be selected; lower --min-size or raise --max-size');
    expect(() => selectOptionsOf({ 'min-age': '2h', 'max-age': '1h' })).toThrow('min-age should not be larger than max-age');
    expect(selectOptionsOf({ 'min-age': '2h' }).minAgeMs).toBe(7_200_000); // no max-age: no contradiction
    expect(() => selectOptionsOf({ 'start-time': '2025-01-01', 'end-time': '2024-01-01' })).toThrow('--start-time 2025-01-01 is not before --end-time 2024-01-01');
    expect(() => selectOptionsOf({ start: 'b', end: 'a' })).toThrow('--start b comes after --end a');
  });

  it('--bwlimit: Mbps by default, G/T/P units; --files-from: trailing blanks trimmed, directories by "/" or by what the source has', () => {
    expect(['0', '100', '1.5G', '2t'].map((t) => parseMbps('bwlimit', t))).toEqual([0, 100, 1500, 2e6]);
    expect(() => parseMbps('bwlimit', '10MB/s')).toThrow('--bwlimit "10MB/s" is not a bandwidth');
    const list = new FilesFrom('a/x \n\nb/\ndir\nmissing\n');
    expect(list.resolve(new Set(['a/', 'a/x', 'a/y', 'b/', 'b/1', 'dir/', 'dir/2']))).toBe(1);
    expect(['a/x', 'a/y', 'b/', 'b/1', 'dir/', 'dir/2', 'missing'].filter((k) => list.takes(k))).toEqual(['a/x', 'b/', 'b/1', 'dir/', 'dir/2']);
  });
});

describe('sync: --list-threads walks directories in parallel', () => {
  // A fake tree: 6 top-level directories with 2 subdirectories each, every readdir taking 20 ms.
  const walkWith = async (threads: number, depth: number) => {
    let now = 0;
    let most = 0;
    const dirStat: StatLike = { size: 0, mtimeMs: 0, mode: 0o40755, isFile: () => false, isDirectory: () => true, isSymbolicLink: () => false };
    const fileStat: StatLike = { ...dirStat, size: 1, mode: 0o100644, isFile: () => true, isDirectory: () => false };
    const ops = {
      readdir: async (rel: string) => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 20));
        now--;
        const level = rel.split('/').length - 1;
        return level === 0 ? ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'] : level === 1 ? ['s1', 's2', 'f'] : ['f'];
      },
      lstat: async (rel: string) => (rel.endsWith('f') ? fileStat : dirStat),
      stat: async (rel: string) => (rel.endsWith('f') ? fileStat : dirStat),
      readlink: async () => '',
    };
    const entries = await walkFileSystem(ops, false, { threads, depth });
    return { most, count: entries.length, sorted: entries.map((e) => e.key).join() === entries.map((e) => e.key).sort().join() };
  };

  it('one at a time by default; up to N at once within the top --list-depth levels; the same listing either way', async () => {
    const one = await walkWith(1, 1);
    const four = await walkWith(4, 1);
    const deep = await walkWith(4, 3);
    expect({ one, four: four.most, deep: deep.most, same: [four.count, deep.count] }).toEqual({
      one: { most: 1, count: 6 + 6 * 3 + 12, sorted: true },
      four: 4, // the six top-level directories, four at a time
      deep: 4,
      same: [36, 36],
    });
  });
});

describe('sync: local, volume and S3', () => {
  let work: string;
  let env: Record<string, string>;
  const bucketUrl = (prefix: string) => `minio://${S3_KEY}:${S3_SECRET}@${S3_URL.host}/jfs-sync-test-${process.pid}/${prefix}`;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sync-'));
    const meta = `sqlite3://${work}/meta.db`;
    mustFormat(meta, 'sync-vol', path.join(work, 'bucket'), '--trash-days', '0');
    env = { SYNC_VOL: meta };
    const src = path.join(work, 'src');
    fs.mkdirSync(path.join(src, 'docs/deep'), { recursive: true });
    fs.mkdirSync(path.join(src, 'empty'));
    fs.writeFileSync(path.join(src, 'docs/readme.txt'), 'hello sync\n');
    fs.writeFileSync(path.join(src, 'docs/deep/big.bin'), Buffer.from(Array.from({ length: 9 << 20 }, (_, i) => (i * 7 + (i >> 12)) & 0xff)));
    fs.writeFileSync(path.join(src, 'docs/debug.log'), 'noise');
    fs.chmodSync(path.join(src, 'docs/readme.txt'), 0o640);
    fs.symlinkSync('readme.txt', path.join(src, 'docs/link'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const tree = (root: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
        const p = path.join(root, rel, name);
        const st = fs.lstatSync(p);
        const key = path.join(rel, name);
        if (st.isSymbolicLink()) out[key] = `-> ${fs.readlinkSync(p)}`;
        else if (st.isDirectory()) (out[`${key}/`] = (st.mode & 0o777).toString(8)), walk(key);
        else out[key] = `${st.size} ${(st.mode & 0o777).toString(8)} ${fs.readFileSync(p).subarray(0, 4).toString('hex')}`;
      }
    };
    walk('');
    return out;
  };

  it('round trip local → volume → S3 → local keeps bytes, links (--links), modes (--perms) and empty directories (--dirs)', () => {
    const into = sync(env, path.join(work, 'src') + '/', 'jfs://SYNC_VOL/imported/', '--links', '--perms', '--dirs', '--exclude', '*.log');
    const up = sync(env, 'jfs://SYNC_VOL/imported/', bucketUrl('backup/'));
    const down = sync(env, bucketUrl('backup/'), path.join(work, 'restored'));
    const back = sync(env, 'jfs://SYNC_VOL/imported/', path.join(work, 'back'), '--links', '--perms', '--dirs');
    expect([into, up, down, back].map((r) => [r.code, r.err.trim().split('\n').at(-1)])).toEqual([
      [0, 'found: 6, copied: 6 (9.0 MiB), skipped: 0, deleted: 0, failed: 0'],
      [0, 'found: 6, copied: 3 (9.0 MiB), skipped: 3, deleted: 0, failed: 0'], // the link is followed; directories are implied
      [0, 'found: 3, copied: 3 (9.0 MiB), skipped: 0, deleted: 0, failed: 0'],
      [0, 'found: 6, copied: 6 (9.0 MiB), skipped: 0, deleted: 0, failed: 0'],
    ]);
    const src = tree(path.join(work, 'src'));
    delete src['docs/debug.log'];
    expect(tree(path.join(work, 'back'))).toEqual(src);
    expect(Buffer.compare(fs.readFileSync(path.join(work, 'restored/docs/deep/big.bin')), fs.readFileSync(path.join(work, 'src/docs/deep/big.bin')))).toBe(0);
    expect(fs.readFileSync(path.join(work, 'restored/docs/link'), 'utf8')).toBe('hello sync\n');
  });

  it('a second run copies only what changed; --delete-dst removes what the source lost; --dry changes nothing', () => {
    const dst = path.join(work, 'mirror');
    expect(sync(env, path.join(work, 'src'), dst).code).toBe(0);
    fs.writeFileSync(path.join(work, 'src/docs/readme.txt'), 'hello sync, longer\n');
    fs.rmSync(path.join(work, 'src/docs/debug.log'));
    const dry = sync(env, path.join(work, 'src'), dst, '--delete-dst', '--dry');
    const dryLeft = fs.existsSync(path.join(dst, 'docs/debug.log'));
    const real = sync(env, path.join(work, 'src'), dst, '--delete-dst');
    expect({
      dry: [dry.code, dry.out.trim().split('\n').sort()],
      dryLeft,
      real: [real.code, real.err.trim()],
      readme: fs.readFileSync(path.join(dst, 'docs/readme.txt'), 'utf8'),
      gone: fs.existsSync(path.join(dst, 'docs/debug.log')),
    }).toEqual({
      dry: [0, ['copy docs/link', 'copy docs/readme.txt', 'delete docs/debug.log']], // the link is followed: its file grew too
      dryLeft: true,
      real: [0, 'found: 6, copied: 2 (38 B), skipped: 4, deleted: 1, failed: 0'],
      readme: 'hello sync, longer\n',
      gone: false,
    });
  });

  it('--check-all copies a same-size file whose bytes differ; --check-new verifies each copy by reading it back, here from a volume', () => {
    const a = path.join(work, 'chk-a');
    const b = path.join(work, 'chk-b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'x'), 'hello');
    fs.writeFileSync(path.join(b, 'x'), 'hellO'); // same size: a plain sync takes it as equal
    fs.writeFileSync(path.join(a, 'y'), 'same');
    fs.writeFileSync(path.join(b, 'y'), 'same');
    const last = (r: { code: number; err: string }) => [r.code, r.err.trim().split('\n').at(-1)];
    const plain = sync(env, `${a}/`, `${b}/`);
    const checkNew = sync(env, `${a}/`, `${b}/`, '--check-new');
    const before = fs.readFileSync(path.join(b, 'x'), 'utf8');
    const checkAll = sync(env, `${a}/`, `${b}/`, '--check-all');
    fs.writeFileSync(path.join(a, 'z'), Buffer.alloc(3 << 20, 7));
    const intoVolume = sync(env, `${a}/`, 'jfs://SYNC_VOL/checked/', '--check-new');
    expect({ results: [plain, checkNew, checkAll, intoVolume].map(last), before, after: fs.readFileSync(path.join(b, 'x'), 'utf8') }).toEqual({
      results: [
        [0, 'found: 2, copied: 0 (0 B), skipped: 2, deleted: 0, failed: 0'],
        [0, 'found: 2, copied: 0 (0 B), checked: 0, skipped: 2, deleted: 0, failed: 0'],
        // x compared, found different, copied and verified (2 checks); y compared (1)
        [0, 'found: 2, copied: 1 (5 B), checked: 3, skipped: 1, deleted: 0, failed: 0'],
        [0, 'found: 3, copied: 3 (3.0 MiB), checked: 3, skipped: 0, deleted: 0, failed: 0'],
      ],
      before: 'hellO',
      after: 'hello',
    });
    expect(checkAll.err).toContain('x: same size but different content at the destination: copying it');
  });

  it('the new flags with S3 and a volume: --max-size up to S3, --start/--end from it, --existing --inplace into the volume, --limit out of it; --check-change heads each kind', async () => {
    const local = path.join(work, 'flags-src');
    fs.mkdirSync(path.join(local, 'c'), { recursive: true });
    for (const [key, size] of [['a.txt', 10], ['b.txt', 2000], ['c/d.txt', 5000], ['e.txt', 1]] as const) fs.writeFileSync(path.join(local, key), Buffer.alloc(size, 65));
    const up = sync(env, `${local}/`, bucketUrl('flags/'), '--max-size', '4K', '--check-change');
    const into = sync(env, bucketUrl('flags/'), 'jfs://SYNC_VOL/flags/', '--start', 'b', '--end', 'e.txt', '--check-change');
    fs.writeFileSync(path.join(local, 'b.txt'), Buffer.alloc(3000, 66));
    const inodes = async () => {
      const v = await openVolumeFs(env['SYNC_VOL']!);
      try {
        return [(await v.fs.stat('/flags/b.txt')).ino, (await v.fs.stat('/flags/e.txt')).ino];
      } finally {
        await v.close();
      }
    };
    const before = await inodes();
    const existing = sync(env, `${local}/`, 'jfs://SYNC_VOL/flags/', '--existing', '--inplace');
    fs.writeFileSync(path.join(local, 'e.txt'), 'grown');
    const renamed = sync(env, `${local}/`, 'jfs://SYNC_VOL/flags/', '--existing'); // without --inplace: a new file renamed over e.txt
    const after = await inodes();
    const out = path.join(work, 'flags-out');
    const limited = sync(env, 'jfs://SYNC_VOL/flags/', `${out}/`, '--limit', '1', '--check-change');
    expect({
      results: [up, into, existing, limited].map((r) => [r.code, r.err.trim().split('\n').at(-1)]),
      out: fs.readdirSync(out),
      b: fs.readFileSync(path.join(out, 'b.txt')).equals(Buffer.alloc(3000, 66)),
      renamed: renamed.code,
      sameInode: [after[0] === before[0], after[1] === before[1]],
    }).toEqual({
      results: [
        // c/d.txt is over 4K; c/ is implied at S3; each copy's source was checked unchanged
        [0, 'found: 4, copied: 3 (2.0 KiB), checked: 3, skipped: 1, deleted: 0, failed: 0'],
        [0, 'found: 2, copied: 2 (2.0 KiB), checked: 2, skipped: 0, deleted: 0, failed: 0'], // a.txt is before --start
        [0, 'found: 5, copied: 1 (2.9 KiB), skipped: 4, deleted: 0, failed: 0'], // a.txt, c/ and c/d.txt are not in the volume: not created
        [0, 'found: 1, copied: 1 (2.9 KiB), checked: 1, skipped: 0, deleted: 0, failed: 0'],
      ],
      out: ['b.txt'],
      b: true,
      renamed: 0,
      sameInode: [true, false], // b.txt written in place; e.txt replaced
    });
  });

  it('bad endpoints are named with the fix', () => {
    const noEnv = sync({}, 'jfs://NOT_SET_ANYWHERE/', path.join(work, 'never'));
    const noBucket = sync({}, `minio://${S3_URL.host}`, path.join(work, 'never'));
    expect([noEnv.code, noEnv.err.trim(), noBucket.code, noBucket.err.trim()]).toEqual([
      1, 'juicefs: EINVAL: jfs://NOT_SET_ANYWHERE/: set the environment variable NOT_SET_ANYWHERE to the volume\'s META-URL (e.g. export NOT_SET_ANYWHERE=redis://host:6379/1)',
      1, `juicefs: EINVAL: minio://${S3_URL.host}: give the bucket after the address, e.g. minio://${S3_URL.host}/BUCKET/`,
    ]);
  });

  it('a SRC directory that does not exist (local or in a volume) is an error, and --delete-dst then deletes nothing', () => {
    const dst = path.join(work, 'keep');
    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(dst, 'precious'), 'x');
    const local = sync({}, path.join(work, 'no-such-dir') + '/', dst + '/', '--delete-dst');
    const inVolume = sync(env, 'jfs://SYNC_VOL/no-such-dir/', dst + '/', '--delete-dst');
    const aFile = sync({}, path.join(work, 'keep', 'precious'), path.join(work, 'never') + '/');
    expect([local.code, local.err.trim()]).toEqual([1, `juicefs: ENOENT: SRC ${path.join(work, 'no-such-dir')} is not an existing directory: check the path (nothing was copied or deleted)`]);
    expect([inVolume.code, inVolume.err.trim()]).toEqual([1, 'juicefs: ENOENT: SRC jfs://SYNC_VOL/no-such-dir/ is not an existing directory: check the path (nothing was copied or deleted)']);
    expect(aFile.code).toBe(1);
    expect(fs.readdirSync(dst)).toEqual(['precious']);
  });
});

describe('sync: the JuiceFS 1.2/1.3 flags between local directories', () => {
  let work: string;
  let n = 0;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sync-flags-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A fresh directory holding `files` (key → content, or [content, mtime]). */
  const dirWith = (files: Record<string, string | Buffer | [string | Buffer, Date]>): string => {
    const root = path.join(work, `d${++n}`);
    fs.mkdirSync(root, { recursive: true });
    for (const [key, v] of Object.entries(files)) {
      const p = path.join(root, key);
      if (key.endsWith('/')) {
        fs.mkdirSync(p, { recursive: true });
        continue;
      }
      fs.mkdirSync(path.dirname(p), { recursive: true });
      const [content, mtime] = Array.isArray(v) ? v : [v, undefined];
      fs.writeFileSync(p, content);
      if (mtime) fs.utimesSync(p, mtime, mtime);
    }
    return root;
  };
  /** Every file below `root`, key → content. */
  const filesIn = (root: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
        const key = rel === '' ? name : `${rel}/${name}`;
        if (fs.statSync(path.join(root, key)).isDirectory()) walk(key);
        else out[key] = fs.readFileSync(path.join(root, key), 'utf8');
      }
    };
    walk('');
    return out;
  };
  const last = (r: { code: number; err: string }) => [r.code, r.err.trim().split('\n').at(-1)];
  const ago = (ms: number) => new Date(Date.now() - ms);

  it('--start/-s and --end/-e: only keys in [start, end], both ends included, on both sides', () => {
    const src = dirWith({ a: '1', b: '2', 'c/x': '4', 'c/y': '5', d: '6' });
    const dst = dirWith({ a0: 'extra', bb: 'extra', z: 'extra' });
    const r = sync({}, `${src}/`, `${dst}/`, '--start', 'b', '-e', 'c/x', '--delete-dst');
    // bb (inside the range) is removed; a0 and z (outside it) are not this sync's
    // A directory excluded by pattern takes its contents along even where the range starts inside it.
    const excluded = dirWith({ 'skip/a': 'a', 'skip/b': 'b' });
    const none = dirWith({});
    const inside = sync({}, `${excluded}/`, `${none}/`, '--exclude', 'skip/', '--start', 'skip/b');
    expect({ r: last(r), files: filesIn(dst), inside: last(inside), none: filesIn(none) }).toEqual({
      r: [0, 'found: 3, copied: 2 (2 B), skipped: 1, deleted: 1, failed: 0'],
      files: { a0: 'extra', b: '2', 'c/x': '4', z: 'extra' },
      inside: [0, 'found: 0, copied: 0 (0 B), skipped: 0, deleted: 0, failed: 0'],
      none: {},
    });
  });

  it('--existing updates only files the destination has; --ignore-existing only adds new ones', () => {
    const src = dirWith({ kept: 'new content', added: 'brand new' });
    const a = dirWith({ kept: 'old' });
    const b = dirWith({ kept: 'old' });
    const existing = sync({}, `${src}/`, `${a}/`, '--existing');
    const ignoring = sync({}, `${src}/`, `${b}/`, '--ignore-existing');
    const both = sync({}, `${src}/`, `${b}/`, '--existing', '--ignore-existing');
    expect({ existing: last(existing), a: filesIn(a), ignoring: last(ignoring), b: filesIn(b), both: last(both) }).toEqual({
      existing: [0, 'found: 2, copied: 1 (11 B), skipped: 1, deleted: 0, failed: 0'],
      a: { kept: 'new content' },
      ignoring: [0, 'found: 2, copied: 1 (9 B), skipped: 1, deleted: 0, failed: 0'],
      b: { added: 'brand new', kept: 'old' },
      both: [1, 'juicefs: EINVAL: --existing and --ignore-existing together would skip every file: give one of them'],
    });
  });

  it('--min-size/--max-size pick files by size, with JuiceFS\'s units; min > max is refused', () => {
    const src = dirWith({ tiny: 'x'.repeat(10), mid: 'y'.repeat(1000), big: 'z'.repeat(5000) });
    const dst = dirWith({});
    const r = sync({}, `${src}/`, `${dst}/`, '--min-size', '100', '--max-size', '4K');
    const bad = sync({}, `${src}/`, `${dst}/`, '--min-size', '1M', '--max-size', '1K');
    const unit = sync({}, `${src}/`, `${dst}/`, '--max-size', '4 bytes');
    expect({ r: last(r), files: Object.keys(filesIn(dst)), bad: last(bad), unit: last(unit) }).toEqual({
      r: [0, 'found: 1, copied: 1 (1000 B), skipped: 0, deleted: 0, failed: 0'],
      files: ['mid'],
      bad: [1, 'juicefs: EINVAL: min-size should not be larger than max-size (--min-size 1M > --max-size 1K): nothing could be selected; lower --min-size or raise --max-size'],
      unit: [1, 'juicefs: EINVAL: --max-size "4 bytes" is not a size: give bytes, or a number with one of the units B, K, M, G, T, P, E (powers of 1024), e.g. 100K or 1.5G'],
    });
  });

  it('--max-age/--min-age pick files by how long ago they were modified; min > max is refused', () => {
    const src = dirWith({ fresh: ['f', ago(10 * 60_000)], hours: ['h', ago(2 * 3_600_000)], days: ['d', ago(3 * 86_400_000)] });
    const runs = [['--max-age', '1h'], ['--min-age', '1h', '--max-age', '1d'], ['--min-age', '2d']].map((flags) => {
      const dst = dirWith({});
      const r = sync({}, `${src}/`, `${dst}/`, ...flags);
      return [r.code, Object.keys(filesIn(dst))];
    });
    const bad = sync({}, `${src}/`, path.join(work, 'never'), '--min-age', '2h', '--max-age', '30m');
    expect({ runs, bad: last(bad) }).toEqual({
      runs: [[0, ['fresh']], [0, ['hours']], [0, ['days']]],
      bad: [1, 'juicefs: EINVAL: min-age should not be larger than max-age (--min-age 2h > --max-age 30m): nothing could be selected; lower --min-age or raise --max-age'],
    });
  });

  it('--start-time/--end-time pick files modified in the window (local time, as JuiceFS reads "2006-01-02 15:04:05")', () => {
    const src = dirWith({ jan: ['1', new Date(2024, 0, 1, 12)], jun: ['6', new Date(2024, 5, 1, 12)], next: ['n', new Date(2025, 0, 1, 12)] });
    const dst = dirWith({});
    const r = sync({}, `${src}/`, `${dst}/`, '--start-time', '2024-03-01 00:00:00', '--end-time', '2024-12-31');
    const from = dirWith({});
    const since = sync({}, `${src}/`, `${from}/`, '--start-time', '2024-06-01T12:00:01');
    const bad = sync({}, `${src}/`, `${from}/`, '--end-time', 'last tuesday');
    expect({ r: last(r), files: Object.keys(filesIn(dst)), since: Object.keys(filesIn(from)), bad: last(bad) }).toEqual({
      r: [0, 'found: 1, copied: 1 (1 B), skipped: 0, deleted: 0, failed: 0'],
      files: ['jun'],
      since: ['next'],
      bad: [1, 'juicefs: EINVAL: --end-time "last tuesday" is not a time: write it as 2006-01-02 15:04:05 (local time), 2006-01-02T15:04:05Z (with a zone) or 2006-01-02'],
    });
  });

  it('--limit N handles the first N objects in key order; -1 is no limit; below -1 is refused', () => {
    const src = dirWith({ a: '1', b: '2', c: '3', d: '4' });
    const two = dirWith({});
    const none = dirWith({});
    const r = sync({}, `${src}/`, `${two}/`, '--limit', '2');
    const zero = sync({}, `${src}/`, `${none}/`, '--limit', '0');
    const all = sync({}, `${src}/`, `${two}/`, '--limit', '-1');
    const bad = sync({}, `${src}/`, `${two}/`, '--limit', '-2');
    expect({ r: last(r), zero: last(zero), none: filesIn(none), all: last(all), files: Object.keys(filesIn(two)), bad: last(bad) }).toEqual({
      r: [0, 'found: 2, copied: 2 (2 B), skipped: 0, deleted: 0, failed: 0'],
      zero: [0, 'found: 0, copied: 0 (0 B), skipped: 0, deleted: 0, failed: 0'],
      none: {},
      all: [0, 'found: 4, copied: 2 (2 B), skipped: 2, deleted: 0, failed: 0'],
      files: ['a', 'b', 'c', 'd'],
      bad: [1, 'juicefs: EINVAL: limit should not be less than -1 (--limit -2): give a whole number of objects, -1 for no limit'],
    });
  });

  it('--files-from FILE syncs only the keys and directories listed; listed paths the source lacks are ignored and counted', () => {
    const src = dirWith({ 'docs/a.txt': 'a', 'docs/b.txt': 'b', 'img/1.png': '1', 'img/2.png': '2', 'other/x': 'x', top: 't' });
    const list = path.join(work, 'list.txt');
    fs.writeFileSync(list, 'docs/a.txt\nimg\nnot-there  \n\ntop\n');
    const dst = dirWith({});
    const r = sync({}, `${src}/`, `${dst}/`, '--files-from', list);
    const missing = sync({}, `${src}/`, `${dst}/`, '--files-from', path.join(work, 'no-such-list'));
    expect({ r: last(r), files: Object.keys(filesIn(dst)), missing: missing.code }).toEqual({
      r: [0, 'found: 5, copied: 4 (4 B), skipped: 1, deleted: 0, failed: 0'], // img/ itself is found (a directory, skipped)
      files: ['docs/a.txt', 'img/1.png', 'img/2.png', 'top'],
      missing: 1,
    });
    expect(r.err).toContain('Ignored 1 non-existent paths from the file list (--files-from)');
    expect(missing.err).toContain(`juicefs: ENOENT: --files-from ${path.join(work, 'no-such-list')}: cannot read it`);
  });

  it('--inplace writes into the destination file itself (same inode, hard links see it); by default a new file is renamed over it', () => {
    const src = dirWith({ f: 'the new, longer content' });
    const plain = dirWith({ f: 'old' });
    const inplace = dirWith({ f: 'old' });
    for (const d of [plain, inplace]) fs.linkSync(path.join(d, 'f'), path.join(d, 'link'));
    const inodes = (d: string) => [fs.statSync(path.join(d, 'f')).ino, fs.statSync(path.join(d, 'link')).ino];
    const [before1, before2] = [inodes(plain), inodes(inplace)];
    expect(sync({}, `${src}/`, `${plain}/`, '--exclude', 'link').code).toBe(0);
    expect(sync({}, `${src}/`, `${inplace}/`, '--exclude', 'link', '--inplace').code).toBe(0);
    expect({
      plain: [inodes(plain)[0] === before1[0], fs.readFileSync(path.join(plain, 'f'), 'utf8'), fs.readFileSync(path.join(plain, 'link'), 'utf8')],
      inplace: [inodes(inplace)[0] === before2[0], fs.readFileSync(path.join(inplace, 'f'), 'utf8'), fs.readFileSync(path.join(inplace, 'link'), 'utf8')],
    }).toEqual({
      plain: [false, 'the new, longer content', 'old'],
      inplace: [true, 'the new, longer content', 'the new, longer content'],
    });
  });

  it('--max-failure N stops after N failures, leaving the rest undone', () => {
    // Each destination has a non-empty directory where the source has a file: every copy fails.
    const src = dirWith({ f1: '1', f2: '2', f3: '3', f4: '4', f5: '5' });
    const blocked = () => dirWith(Object.fromEntries(['f1', 'f2', 'f3', 'f4', 'f5'].map((k) => [`${k}/keep`, 'x'])));
    const all = sync({}, `${src}/`, `${blocked()}/`, '--threads', '1');
    const two = sync({}, `${src}/`, `${blocked()}/`, '--threads', '1', '--max-failure', '2');
    const tries = (r: { err: string }) => r.err.split('\n').filter((l) => l.startsWith('juicefs: failed to copy')).length;
    expect({ all: [all.code, tries(all)], two: [two.code, tries(two), two.err.trim().split('\n').at(-1)] }).toEqual({
      all: [1, 5],
      two: [1, 2, 'juicefs: EIO: stopped after 2 failures (--max-failure 2), with changes left undone; fix what failed (named above) and run the sync again'],
    });
    expect(two.err).toContain('the maximum error limit of 2 was reached (--max-failure), stop now');
  });

  it('--list-threads/--list-depth list in parallel and find the same tree', () => {
    const src = dirWith({ 'a/1/x': 'ax', 'a/2/y': 'ay', 'b/1/z': 'bz', 'c/w': 'cw', top: 't' });
    const dst = dirWith({});
    const r = sync({}, `${src}/`, `${dst}/`, '--list-threads', '4', '--list-depth', '2');
    const bad = sync({}, `${src}/`, `${dst}/`, '--list-threads', '0');
    expect({ r: last(r), files: filesIn(dst), bad: last(bad) }).toEqual({
      r: [0, 'found: 11, copied: 5 (9 B), skipped: 6, deleted: 0, failed: 0'],
      files: { 'a/1/x': 'ax', 'a/2/y': 'ay', 'b/1/z': 'bz', 'c/w': 'cw', top: 't' },
      bad: [1, 'juicefs: EINVAL: --list-threads must be a whole number of at least 1, got 0'],
    });
  });

  it('--bwlimit paces the copies (Mbps; JuiceFS leaves 15% for overhead)', () => {
    // 400,000 bytes at 1 Mbps (106,250 B/s after the 15%), the first second's worth at once: ≥ 2.7 s.
    const src = dirWith({ blob: Buffer.alloc(400_000, 1) });
    const dst = dirWith({});
    const t0 = Date.now();
    const r = sync({}, `${src}/`, `${dst}/`, '--bwlimit', '1');
    const took = Date.now() - t0;
    expect({ r: last(r), size: fs.statSync(path.join(dst, 'blob')).size, slow: took >= 2500 }).toEqual({
      r: [0, 'found: 1, copied: 1 (390.6 KiB), skipped: 0, deleted: 0, failed: 0'],
      size: 400_000,
      slow: true,
    });
  });

  it('--check-change fails a file that changed at the source while it was copied, and passes one that did not', async () => {
    const src = dirWith({ growing: Buffer.alloc(300_000, 2), steady: 'steady' });
    const dst = dirWith({});
    // Slowed by --bwlimit so the append lands mid-copy: once the temporary file appears at the
    // destination the copy has begun, and it needs about two more seconds.
    const child = spawn(process.execPath, [bin, 'sync', `${src}/`, `${dst}/`, '--check-change', '--bwlimit', '1', '--threads', '1'], { env: process.env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const temp = path.join(dst, `.growing.jfssync${child.pid}`);
    for (let i = 0; i < 500 && !fs.existsSync(temp); i++) await new Promise((r) => setTimeout(r, 20));
    const sawCopy = fs.existsSync(temp);
    fs.appendFileSync(path.join(src, 'growing'), 'more');
    const code = await closed;
    const again = sync({}, `${src}/`, `${dst}/`, '--check-change');
    expect({ sawCopy, code, last: err.trim().split('\n').at(-1), again: last(again) }).toEqual({
      sawCopy: true,
      code: 1,
      last: 'juicefs: EIO: 1 of the changes failed (named above); run the sync again to retry them',
      // the changed file's copy was removed, so the rerun copies it (and checks it)
      again: [0, 'found: 2, copied: 1 (293.0 KiB), checked: 1, skipped: 1, deleted: 0, failed: 0'],
    });
    expect(err).toContain('juicefs: failed to copy growing: it changed at the source during the sync (--check-change): listed with size 300000');
    expect(err).toContain('now size 300004');
    expect(err).toContain('Its copy was removed: run the sync again once the file is no longer being written');
  }, 30000);

  it('--manager-addr needs --worker, --manager is only for the workers a manager starts; --checkpoint-interval needs --enable-checkpoint', () => {
    const src = dirWith({ f: '1' });
    const dst = path.join(work, 'untouched');
    const runs = [['--manager-addr', '10.0.0.1'], ['--manager', '127.0.0.1:1'], ['--worker', 'h1', '--manager', '127.0.0.1:1'], ['--checkpoint-interval', '5s'], ['--enable-checkpoint', '--checkpoint-interval', 'often']]
      .map((flags) => last(sync({}, `${src}/`, `${dst}/`, ...flags)));
    expect({ runs, touched: fs.existsSync(dst) }).toEqual({
      runs: [
        [1, 'juicefs: EINVAL: --manager-addr only applies with --worker: add the worker hosts, or leave the address out'],
        [1, 'juicefs: EINVAL: --manager is for the workers a --worker sync starts over ssh: run the sync with --worker HOSTS instead'],
        [1, 'juicefs: EINVAL: --manager and --worker together: a worker cannot start workers of its own'],
        [1, 'juicefs: EINVAL: --checkpoint-interval only applies with --enable-checkpoint: add it, or leave the interval out'],
        [1, 'juicefs: EINVAL: --checkpoint-interval "often" is not a duration: give seconds (e.g. 3600) or a duration such as 30m, 1h30m or 2d (days)'],
      ],
      touched: false,
    });
  });

  const checkpoints = (root: string) => fs.readdirSync(root).filter((n) => n.startsWith('.juicefs-sync-checkpoint.'));

  it('--manager-addr it cannot listen on fails the run at once, before a checkpoint is kept or a worker started', () => {
    const src = dirWith({ f: '1' });
    const dst = dirWith({});
    // 203.0.113.0/24 is TEST-NET-3: no interface of this machine has it.
    const r = sync({ JUICEFS_SSH: 'false' }, `${src}/`, `${dst}/`, '--worker', 'localhost', '--manager-addr', '203.0.113.77:1', '--enable-checkpoint');
    expect({ last: last(r), launched: r.err.includes('launched a worker'), checkpoints: checkpoints(dst), copied: fs.existsSync(path.join(dst, 'f')) }).toEqual({
      last: [1, expect.stringMatching(/^juicefs: EINVAL: --manager-addr: cannot listen on 203\.0\.113\.77:1 \(listen EADDRNOTAVAIL/)],
      launched: false,
      checkpoints: [],
      copied: false,
    });
  });

  it('--enable-checkpoint: a failed run saves the work left at the destination; the same command resumes it without listing, then removes the checkpoint', () => {
    const src = dirWith({ f1: '1', f2: '22', f3: '333', f4: '4444' });
    const dst = dirWith({ 'f3/keep': 'x' }); // a directory where f3 goes: its copy fails
    const first = sync({}, `${src}/`, `${dst}/`, '--enable-checkpoint', '--threads', '1');
    const saved = checkpoints(dst);
    expect({ first: last(first), saved: saved.length }).toEqual({
      first: [1, 'juicefs: EIO: 1 of the changes failed (named above); run the sync again to retry them'],
      saved: 1,
    });
    expect(first.err).toContain(`the work left is saved in ${saved[0]} at the destination: run the same command again to resume`);
    const work = (JSON.parse(fs.readFileSync(path.join(dst, saved[0]!), 'utf8')) as { work: { copies: Array<{ key: string }> } }).work;
    expect(work.copies.map((e) => e.key)).toEqual(['f3']);

    // Fixed, and a new source file that a fresh listing would find: the resumed run only does what was left.
    fs.rmSync(path.join(dst, 'f3'), { recursive: true });
    fs.writeFileSync(path.join(src, 'f5'), '55555');
    const resumed = sync({}, `${src}/`, `${dst}/`, '--enable-checkpoint', '--threads', '1');
    expect(last(resumed)).toEqual([0, 'found: 4, copied: 4 (10 B), skipped: 0, deleted: 0, failed: 0']);
    expect(resumed.err).toMatch(/Resuming the sync saved at \S+ in \.juicefs-sync-checkpoint\.[0-9a-f]+\.json \(--enable-checkpoint\): 1 items left, neither side listed again/);
    expect({ files: filesIn(dst), checkpoints: checkpoints(dst) }).toEqual({ files: { f1: '1', f2: '22', f3: '333', f4: '4444' }, checkpoints: [] });

    // Another job (other flags) never picks up a checkpoint, and nobody copies or deletes one.
    fs.writeFileSync(path.join(dst, saved[0]!), '{}');
    const other = sync({}, `${src}/`, `${dst}/`, '--delete-dst');
    expect(last(other)).toEqual([0, 'found: 5, copied: 1 (5 B), skipped: 4, deleted: 0, failed: 0']);
    expect(checkpoints(dst)).toEqual(saved);
    const damaged = sync({}, `${src}/`, `${dst}/`, '--enable-checkpoint', '--threads', '1');
    expect(last(damaged)).toEqual([1, `juicefs: EINVAL: the checkpoint ${saved[0]} in ${dst} was not written by this juicefs (or by another version of it): remove it to start the sync over`]);
  });

  it('--enable-checkpoint: SIGINT saves the work left and exits 130; the rerun (another --bwlimit is the same job) finishes it', async () => {
    const src = dirWith({ a: Buffer.alloc(150_000, 1), b: Buffer.alloc(150_000, 2), c: Buffer.alloc(150_000, 3) });
    const dst = dirWith({});
    const child = spawn(process.execPath, [bin, 'sync', `${src}/`, `${dst}/`, '--enable-checkpoint', '--bwlimit', '1', '--threads', '1', '--checkpoint-interval', '1h'], { env: process.env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 500 && !fs.existsSync(path.join(dst, 'a')); i++) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await closed;
    const saved = checkpoints(dst);
    expect({ code, saved: saved.length, copiedAll: fs.existsSync(path.join(dst, 'c')) }).toEqual({ code: 130, saved: 1, copiedAll: false });
    expect(err).toContain('SIGINT: saving the work left');
    const rerun = sync({}, `${src}/`, `${dst}/`, '--enable-checkpoint', '--threads', '1');
    expect(rerun.code).toBe(0);
    expect(rerun.err).toMatch(/Resuming the sync saved at/);
    expect({ sizes: ['a', 'b', 'c'].map((k) => fs.statSync(path.join(dst, k)).size), checkpoints: checkpoints(dst) }).toEqual({ sizes: [150_000, 150_000, 150_000], checkpoints: [] });
  }, 30000);
});

describe('sync: a volume\'s root as JuiceFS\'s pkg/fs sees it', () => {
  it('copies neither the trash nor the mount\'s virtual files (.config holds the secrets)', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sync-root-'));
    try {
      const meta = `sqlite3://${work}/meta.db`;
      mustFormat(meta, 'sync-root', path.join(work, 'bucket'), '--trash-days', '1');
      const v = await openVolumeFs(meta);
      try {
        await v.fs.writeFile('/kept.txt', 'kept');
        await v.fs.writeFile('/deleted.txt', 'in the trash now');
        await v.fs.unlink('/deleted.txt');
        // Still reachable by name, as in JuiceFS: only listings leave it out.
        expect((await v.fs.readdir('/.trash')).length).toBe(1);
      } finally {
        await v.close();
      }
      const r = sync({ ROOTVOL: meta }, 'jfs://ROOTVOL/', path.join(work, 'out/'));
      expect([r.code, fs.readdirSync(path.join(work, 'out')).sort()]).toEqual([0, ['kept.txt']]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
