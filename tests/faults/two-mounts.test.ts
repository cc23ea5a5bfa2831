import fs from 'node:fs';
import path from 'node:path';
import {
  fileOp, forceDown, holdLock, juicefs, mountBackground, requireRootAndFuse, run, tempDir, tryLock, type BackgroundMount,
} from './support.js';

// Two `juicefs mount` processes serving the same Redis volume: what one writes the other sees
// (kernel caches off), and flock / POSIX locks taken through one mount hold against the other,
// since both go through the lock records in Redis.

const REDIS = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const DB = 51;
const NO_CACHE = ['--attr-cache', '0', '--entry-cache', '0', '--dir-entry-cache', '0'];

describe('faults: two mounts of one Redis volume', () => {
  let dir: string;
  let a: BackgroundMount | undefined;
  let b: BackgroundMount | undefined;
  let mpA: string;
  let mpB: string;

  beforeAll(async () => {
    requireRootAndFuse();
    const u = new URL(REDIS);
    const flush = await run('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', '-n', String(DB), 'FLUSHDB'], 10_000);
    if (flush.code !== 0 || !flush.stdout.includes('OK')) {
      throw new Error(`Redis is not reachable at ${REDIS} (${(flush.stderr || flush.stdout).trim()}): run bash scripts/services/redis.sh`);
    }
    dir = tempDir('two');
    const meta = `${REDIS.replace(/\/\d*$/, '')}/${DB}`;
    const f = await juicefs(['format', meta, 'twovol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
    mpA = path.join(dir, 'a');
    mpB = path.join(dir, 'b');
    fs.mkdirSync(mpA);
    fs.mkdirSync(mpB);
    a = await mountBackground(meta, mpA, dir, NO_CACHE);
    b = await mountBackground(meta, mpB, dir, NO_CACHE);
  }, 120_000);

  afterAll(async () => {
    await forceDown(a);
    await forceDown(b);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('a file created and written through A is listed and read back through B, and the other way round', async () => {
    const content = 'written through mount A\n'.repeat(1000);
    expect((await fileOp('create', path.join(mpA, 'from-a.txt'), content)).result).toBe('OK');
    expect((await fileOp('readdir', mpB)).data?.split('\n')).toContain('from-a.txt');
    expect(await fileOp('read', path.join(mpB, 'from-a.txt'))).toEqual({ result: 'OK', data: content });

    expect((await fileOp('mkdir', path.join(mpB, 'dir-from-b'))).result).toBe('OK');
    expect((await fileOp('create', path.join(mpB, 'dir-from-b/x'), 'bee')).result).toBe('OK');
    expect(await fileOp('read', path.join(mpA, 'dir-from-b/x'))).toEqual({ result: 'OK', data: 'bee' });

    // An overwrite in B replaces what A reads (no stale length or data from A's earlier read).
    expect((await fileOp('write', path.join(mpB, 'from-a.txt'), 'short now'))).toEqual({ result: 'OK' });
    expect(await fileOp('read', path.join(mpA, 'from-a.txt'))).toEqual({ result: 'OK', data: 'short now' });
  }, 60_000);

  it.each([['flock'], ['posix']] as const)('a %s write lock held through A makes a non-blocking one through B fail until released', async (kind) => {
    const name = `lock-${kind}`;
    const held = await holdLock(kind, path.join(mpA, name));
    try {
      expect(await tryLock(kind, path.join(mpB, name))).toMatch(/^(EAGAIN|EWOULDBLOCK|EACCES)$/);
    } finally {
      await held.release();
    }
    expect(await tryLock(kind, path.join(mpB, name))).toBe('OK');
    // And the other way round: B's lock holds against A.
    const heldB = await holdLock(kind, path.join(mpB, name));
    try {
      expect(await tryLock(kind, path.join(mpA, name))).toMatch(/^(EAGAIN|EWOULDBLOCK|EACCES)$/);
    } finally {
      await heldB.release();
    }
    expect(await tryLock(kind, path.join(mpA, name))).toBe('OK');
  }, 90_000);
});
