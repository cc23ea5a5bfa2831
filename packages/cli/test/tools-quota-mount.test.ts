import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, mustFormat } from './tools-volume.js';

// A directory quota enforced through a real FUSE mount (SQLite + file storage): df shows it,
// growth past it fails with EDQUOT, freeing space lets writes in again, and the usage the mount
// kept is what `quota check` recounts from the tree afterwards.

const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse');
const KiB = 1024;
/** 512 KiB in GiB, exactly (2^-11). */
const CAPACITY_GIB = '0.00048828125';

let dir: string;
let mp: string;
let meta: string;
let mounted = false;
beforeAll(() => {
  if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-quota-mnt-'));
  mp = path.join(dir, 'mp');
  fs.mkdirSync(mp);
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'quota-mnt', path.join(dir, 'bucket'), '--trash-days', '0');
  const set = juicefs('quota', 'set', meta, '--path', '/proj', '--create', '--capacity', CAPACITY_GIB, '--inodes', '4');
  if (set.code !== 0) throw new Error(`juicefs quota set failed: ${set.err}`);
  const m = juicefs('mount', '-d', meta, mp, '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'));
  if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
  mounted = true;
});
afterAll(() => {
  if (!canMount) return;
  if (mounted && juicefs('umount', mp).code !== 0) juicefs('umount', '--force', mp);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The error `fn` failed with: its code, or EDQUOT, which libuv has no name for (errno 122). */
function errnoOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.errno === -os.constants.errno.EDQUOT ? 'EDQUOT' : e.code;
  }
}

test('df shows the quota, growth past it fails with EDQUOT, and freeing lets writes in again', () => {
  const proj = path.join(mp, 'proj');
  const st = fs.statfsSync(proj);
  expect(st.blocks * st.bsize).toBe(512 * KiB);
  expect(st.files).toBe(4);
  // The root is not under the quota: it shows the volume's own figures.
  const root = fs.statfsSync(mp);
  expect(root.blocks * root.bsize).toBeGreaterThan(512 * KiB);

  for (const name of ['a', 'b', 'c']) fs.writeFileSync(path.join(proj, name), Buffer.alloc(100 * KiB, name));
  const used = fs.statfsSync(proj);
  expect((used.blocks - used.bfree) * used.bsize).toBe(300 * KiB);
  expect(used.files - used.ffree).toBe(3);

  // 300 KiB more would make 600 KiB: the data is refused, the bytes written before stay intact.
  expect(errnoOf(() => fs.writeFileSync(path.join(proj, 'd'), Buffer.alloc(300 * KiB, 'd')))).toBe('EDQUOT');
  expect(fs.readFileSync(path.join(proj, 'a')).equals(Buffer.alloc(100 * KiB, 'a'))).toBe(true);
  // d's inode was made (the fourth of four): a fifth name is refused at create, as is a directory.
  expect(fs.existsSync(path.join(proj, 'd'))).toBe(true);
  expect(errnoOf(() => fs.writeFileSync(path.join(proj, 'e'), 'e'))).toBe('EDQUOT');
  expect(errnoOf(() => fs.mkdirSync(path.join(proj, 'sub')))).toBe('EDQUOT');
  expect(fs.existsSync(path.join(proj, 'e'))).toBe(false);
  // Outside the quota nothing is limited.
  fs.writeFileSync(path.join(mp, 'outside'), Buffer.alloc(600 * KiB, 'o'));
  // A rename into the full directory is refused too, and leaves the file where it was.
  expect(errnoOf(() => fs.renameSync(path.join(mp, 'outside'), path.join(proj, 'moved')))).toBe('EDQUOT');
  expect(fs.statSync(path.join(mp, 'outside')).size).toBe(600 * KiB);

  // Freeing space and an inode lets the same write in.
  fs.unlinkSync(path.join(proj, 'd'));
  fs.unlinkSync(path.join(proj, 'c'));
  fs.writeFileSync(path.join(proj, 'd'), Buffer.alloc(300 * KiB, 'd'));
  expect(fs.readFileSync(path.join(proj, 'd')).equals(Buffer.alloc(300 * KiB, 'd'))).toBe(true);
  const after = fs.statfsSync(proj);
  expect((after.blocks - after.bfree) * after.bsize).toBe(500 * KiB);
  expect(after.files - after.ffree).toBe(3);
});

test('after unmounting, the usage the mount kept matches a recount of the tree', () => {
  expect(juicefs('umount', mp).code).toBe(0);
  mounted = false;
  const get = juicefs('quota', 'get', meta, '--path', '/proj');
  expect(get.code).toBe(0);
  const row = get.out.split('\n').find((l) => l.startsWith('| /proj'));
  expect(row?.split('|').map((c) => c.trim()).slice(1, 8)).toEqual(['/proj', '512 KiB', '500 KiB', '97%', '4', '3', '75%']);
  const check = juicefs('quota', 'check', meta);
  expect(check.err).toBe('');
  expect(check.code).toBe(0);
  expect(check.out).toMatch(/consistent/);
});
