import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { juicefs, mustFormat, openVolume, pattern, pgBase, redisBase } from './tools-volume.js';

// gc and fsck against real engines and real file storage: plant a leaked object, delete a
// block, queue deletions, and check what the commands report and what they leave behind.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-tools-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A volume with two files (3 and 1 blocks of 64 KiB) and a deleted one, trash off. */
async function populate(meta: string, name: string): Promise<string> {
  const bucket = path.join(dir, 'bucket');
  mustFormat(meta, name, bucket, '--block-size', '64', '--trash-days', '0');
  const v = await openVolume(meta);
  try {
    await v.fs.mkdir('/d');
    await v.fs.writeFile('/d/big', pattern(150 * 1024, 1));
    await v.fs.writeFile('/small', pattern(1000, 2));
    await v.fs.writeFile('/gone', pattern(5000, 3));
    await v.fs.unlink('/gone');
  } finally {
    await v.close();
  }
  return path.join(bucket, name);
}

function listObjects(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** A block file planted by hand, aged past gc's one-hour grace period. */
function plant(volRoot: string, id: number, bytes: number): string {
  const rel = `chunks/${Math.floor(id / 1e6)}/${Math.floor(id / 1e3)}/${id}_0_${bytes}`;
  const p = path.join(volRoot, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, randomBytes(bytes));
  const old = new Date(Date.now() - 2 * 3600_000);
  fs.utimesSync(p, old, old);
  return rel;
}

type Tally = { count: number; bytes: number };
interface GcResult {
  Slices: Tally;
  ScannedObjects: Tally;
  ValidObjects: Tally;
  LeakedObjects: Tally;
  SkippedObjects: Tally;
  PendingDeletedFiles: Tally;
  PendingDeletedSlices: Tally;
}

async function gcScenario(meta: string, name: string): Promise<void> {
  const volRoot = await populate(meta, name);
  const leaked = plant(volRoot, 999_999_001, 777);
  const young = plant(volRoot, 999_999_002, 10);
  fs.utimesSync(path.join(volRoot, young), new Date(), new Date());
  const objects = listObjects(path.join(volRoot, 'chunks')).length;

  const r = juicefs('gc', meta, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const g = JSON.parse(r.out) as GcResult;
  // The unlinked file's slice still counts until its deletion is purged.
  expect(g.Slices).toEqual({ count: 3, bytes: 150 * 1024 + 1000 + 5000 });
  expect(g.ScannedObjects.count).toBe(objects);
  expect(g.LeakedObjects).toEqual({ count: 1, bytes: 777 });
  expect(g.SkippedObjects).toEqual({ count: 1, bytes: 10 });
  // The unlinked file's data is queued: either the file or its slice waits for deletion.
  expect(g.PendingDeletedFiles.count + g.PendingDeletedSlices.count).toBe(1);
  expect(g.ValidObjects.count).toBe(objects - 2);
  expect(fs.existsSync(path.join(volRoot, leaked))).toBe(true);

  const text = juicefs('gc', meta);
  expect(text.code).toBe(0);
  expect(text.out).toMatch(/Leaked objects:\s+1\s+777 bytes/);
  expect(text.out).toContain(`leaked: ${leaked}`);
  expect(text.out).toContain('run again with --delete');

  const del = juicefs('gc', meta, '--delete', '--json');
  expect(del.code).toBe(0);
  expect(fs.existsSync(path.join(volRoot, leaked))).toBe(false);
  expect(fs.existsSync(path.join(volRoot, young))).toBe(true);
  const after = JSON.parse(juicefs('gc', meta, '--json').out) as GcResult;
  expect(after.Slices).toEqual({ count: 2, bytes: 150 * 1024 + 1000 });
  expect(after.LeakedObjects.count).toBe(0);
  expect(after.PendingDeletedFiles.count + after.PendingDeletedSlices.count).toBe(0);
  // Only live blocks and the young object remain: 3 + 1 blocks of the two files.
  expect(after.ValidObjects.count).toBe(4);

  // The files still read back intact.
  const v = await openVolume(meta);
  try {
    expect((await v.fs.readFile('/d/big')).equals(pattern(150 * 1024, 1))).toBe(true);
    expect((await v.fs.readFile('/small')).equals(pattern(1000, 2))).toBe(true);
  } finally {
    await v.close();
  }
}

describe('juicefs gc', () => {
  it('reports and deletes leaked objects and pending deletions on SQLite', async () => {
    await gcScenario(`sqlite3://${dir}/meta.db`, 'gc-sqlite');
  });

  it('does the same on Redis (own database 40, the one no other test file claims)', async () => {
    const meta = `${redisBase}/40`;
    const flush = () => {
      const r = spawnSync('redis-cli', ['-u', meta, 'FLUSHDB'], { encoding: 'utf8' });
      if (r.status !== 0 || !r.stdout.includes('OK')) throw new Error(`Redis at ${meta} unreachable (${r.stdout}${r.stderr}): run bash scripts/services/redis.sh`);
    };
    flush();
    try {
      await gcScenario(meta, 'gc-redis');
    } finally {
      flush();
    }
  });

  it('--compact merges a fragmented file into one slice and gc then counts the old objects as gone', async () => {
    const meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'gc-compact', path.join(dir, 'bucket'), '--block-size', '64', '--trash-days', '0');
    const v = await openVolume(meta);
    try {
      const fd = await v.fs.open('/frag', 'w');
      for (let i = 0; i < 4; i++) {
        await v.fs.write(fd, pattern(1000, i), i * 1000);
        await v.fs.fsync(fd);
      }
      await v.fs.close(fd);
    } finally {
      await v.close();
    }
    const before = JSON.parse(juicefs('gc', meta, '--json').out) as GcResult;
    expect(before.Slices.count).toBe(4);
    const r = juicefs('gc', meta, '--compact', '--delete', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toContain('compacted 1 chunks');
    const after = JSON.parse(juicefs('gc', meta, '--json').out) as GcResult;
    expect(after.Slices.count).toBe(1);
    expect(after.ValidObjects.count).toBe(1);
    expect(after.ScannedObjects.count).toBe(1);
    const v2 = await openVolume(meta);
    try {
      const want = Buffer.concat([0, 1, 2, 3].map((i) => pattern(1000, i)));
      expect((await v2.fs.readFile('/frag')).equals(want)).toBe(true);
    } finally {
      await v2.close();
    }
  });
});

describe('juicefs fsck', () => {
  async function fsckScenario(meta: string, name: string): Promise<void> {
    const volRoot = await populate(meta, name);
    const ok = juicefs('fsck', meta);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/checked \d+ files, \d+ slices: all objects are in place/);

    // Remove the middle block of /d/big and truncate the block of /small.
    const blocks = listObjects(path.join(volRoot, 'chunks'));
    const mid = blocks.find((b) => /_1_65536$/.test(b));
    const smallBlock = blocks.find((b) => /_0_1000$/.test(b));
    expect(mid).toBeDefined();
    expect(smallBlock).toBeDefined();
    fs.rmSync(path.join(volRoot, 'chunks', mid!));
    fs.writeFileSync(path.join(volRoot, 'chunks', smallBlock!), Buffer.alloc(10));

    const bad = juicefs('fsck', meta);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('broken file /d/big');
    expect(bad.out).toContain(`${name}/chunks/${mid!}: missing`);
    expect(bad.out).toContain('broken file /small');
    expect(bad.out).toContain('size 10, expected 1000');
    expect(bad.err).toMatch(/2 files have missing or damaged objects/);

    const json = juicefs('fsck', meta, '--json', '--path', '/d', '-r');
    expect(json.code).toBe(1);
    const j = JSON.parse(json.out) as { Files: number; Broken: Array<{ path: string; blocks: unknown[] }> };
    expect(j.Files).toBe(1);
    expect(j.Broken.map((b) => b.path)).toEqual(['/d/big']);
    expect(j.Broken[0]!.blocks).toHaveLength(1);

    // As JuiceFS: a directory without -r is checked itself (link count, statistics), not its files.
    const dirNoR = juicefs('fsck', meta, '--path', '/d');
    expect(dirNoR.code).toBe(0);
    expect(dirNoR.err).toMatch(/--path \/d is a directory: checked it, not the files below it \(add -r for those\)/);
    const missing = juicefs('fsck', meta, '--path', '/nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--path \/nope does not exist/);
  }

  it('finds a deleted and a truncated block on SQLite and names the broken files', async () => {
    await fsckScenario(`sqlite3://${dir}/meta.db`, 'fsck-sqlite');
  });

  it('does the same on PostgreSQL (own schema)', async () => {
    const schema = `jfs_tools_${randomBytes(5).toString('hex')}`;
    const psql = (sql: string) => spawnSync('psql', [pgBase, '-qtAc', sql], { encoding: 'utf8' });
    const ping = psql(`CREATE SCHEMA "${schema}"`);
    if (ping.status !== 0) throw new Error(`PostgreSQL not reachable at ${pgBase} (${ping.stderr}): run bash scripts/services/postgres.sh`);
    try {
      await fsckScenario(`${pgBase}${pgBase.includes('?') ? '&' : '?'}search_path=${schema}`, 'fsck-pg');
    } finally {
      psql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
