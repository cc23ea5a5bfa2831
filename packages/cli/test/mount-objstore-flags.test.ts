import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { chunkStoreOptionsFor, createStorage, deleteS3Bucket, openChunkStore, openVolumeStorage } from '@juicefs/chunk';
import { JuiceFS, Vfs } from '@juicefs/core';
import { openMeta } from '@juicefs/meta';
import { objstoreOptions, parseSize, type ObjstoreFlags } from '../src/mount/flags-objstore.js';
import { parseDurationFlag } from '../src/duration-flag.js';
import { deleteFreedSlices } from '../src/mount/serve.js';
import { plainFormat } from '../src/control/volume-access.js';
import { juicefs, mustFormat, pattern } from './tools-volume.js';
import { canMount, scratchVolume } from './support/scratch-volume.js';

// JuiceFS's object-storage and upload flags of `juicefs mount`, parsed as JuiceFS parses them and
// shown to act on a real mount: the bucket's contents, the staging directory, the mount's log and
// the requests a never-answering server receives are what the tests read.

const defaults: ObjstoreFlags = {
  'get-timeout': '60', 'put-timeout': '60', 'io-retries': 10, 'max-downloads': 200, 'max-deletes': 10,
  'upload-delay': '0', 'writeback-threshold-size': '0', 'max-stage-write': 1000, 'check-storage': false,
};

const errorOf = (f: Partial<ObjstoreFlags>): string => {
  try {
    objstoreOptions({ ...defaults, ...f }, () => undefined);
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('objstore mount flags: parsing', () => {
  it('defaults are JuiceFS\'s', () => {
    expect(objstoreOptions(defaults, () => undefined)).toEqual({
      getTimeoutMs: 60_000, putTimeoutMs: 60_000, ioRetries: 10, maxDownloads: 200, maxDeletes: 10,
      maxStageWrite: 1000, writebackThresholdSize: 0, checkStorage: false,
    });
  });

  it('durations as plain seconds or Go durations; sizes in bytes or with a unit', () => {
    expect(['60', '1.5', '30s', '1m30s', '500ms', '2h'].map((t) => parseDurationFlag('upload-delay', t) * 1000)).toEqual([60_000, 1500, 30_000, 90_000, 500, 7_200_000]);
    expect(['4096', '4K', '4M', '4MiB', '1G'].map((t) => parseSize('writeback-threshold-size', t))).toEqual([4096, 4096, 4 << 20, 4 << 20, 1 << 30]);
    expect(objstoreOptions({ ...defaults, writeback: true, 'upload-delay': '1m', 'upload-hours': '23,3', 'get-timeout': '5s', 'storage-class': 'STANDARD_IA' }, () => undefined))
      .toMatchObject({ uploadDelayMs: 60_000, uploadHours: { start: 23, end: 3 }, getTimeoutMs: 5000, storageClass: 'STANDARD_IA' });
  });

  it('bad values are refused, naming the flag', () => {
    expect(errorOf({ 'get-timeout': 'soon' })).toMatch(/--get-timeout "soon" is not a duration/);
    expect(errorOf({ 'put-timeout': '0' })).toMatch(/--put-timeout 0: give a duration above 0/);
    expect(errorOf({ 'io-retries': -1 })).toMatch(/--io-retries must be a whole number of at least 0, got -1/);
    expect(errorOf({ 'max-downloads': 0 })).toMatch(/--max-downloads must be a whole number of at least 1, got 0/);
    expect(errorOf({ 'max-deletes': 1.5 })).toMatch(/--max-deletes must be a whole number/);
    expect(errorOf({ writeback: true, 'upload-hours': '25,3' })).toMatch(/--upload-hours "25,3": give the start and end hour/);
    expect(errorOf({ 'writeback-threshold-size': 'big' })).toMatch(/--writeback-threshold-size "big" is not a size/);
    expect(errorOf({ 'storage-class': ' ' })).toMatch(/--storage-class needs a class name/);
  });

  it('--upload-delay without --writeback does nothing, and says so', () => {
    const said: string[] = [];
    expect(objstoreOptions({ ...defaults, 'upload-delay': '10s' }, (m) => said.push(m)).uploadDelayMs).toBeUndefined();
    expect(said).toEqual(['--upload-delay and --upload-hours only apply with --writeback: uploads are not delayed']);
  });

  it('a bad value fails the command before anything is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-objflags-bad-'));
    try {
      const r = juicefs('mount', `sqlite3://${dir}/none.db`, dir, '--writeback', '--upload-hours', '7');
      expect({ code: r.code, err: r.err.trim().split('\n')[0] }).toEqual({
        code: 1,
        err: 'juicefs: EINVAL: --upload-hours "7": give the start and end hour of the upload window, 0 to 23, as START,END (e.g. --upload-hours 1,6 for 01:00-05:59, 23,3 over midnight)',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('objstore mount flags: --max-deletes 0', () => {
  it('leaves the data of deleted files in the bucket for juicefs gc; the default deletes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-objflags-del-'));
    try {
      const seen: Array<{ before: number; after: number; pending: boolean }> = [];
      for (const maxDeletes of [10, 0]) {
        const url = `sqlite3://${dir}/meta-${maxDeletes}.db`;
        const bucket = path.join(dir, `bucket-${maxDeletes}`);
        mustFormat(url, 'deletes', bucket, '--trash-days', '0');
        // What serve wires, in this process: real SQLite metadata, a real file bucket.
        const meta = await openMeta(url);
        const format = plainFormat(await meta.load());
        await meta.newSession();
        const store = await openChunkStore(openVolumeStorage(format), chunkStoreOptionsFor(format, { cacheDir: 'memory' }));
        deleteFreedSlices(meta, store, maxDeletes);
        const jfs = new JuiceFS(new Vfs({ meta, store, format }));
        const objects = async (): Promise<number> => (await createStorage('file', bucket).list('deletes/chunks/')).length;
        try {
          await jfs.writeFile('/f', pattern(5000, 1));
          const before = await objects();
          await jfs.unlink('/f');
          const pass = await meta.runBackgroundJobs();
          seen.push({ before, after: await objects(), pending: pass.deletedSlices === 0 });
        } finally {
          await jfs.closeAll();
          await store.close();
          await meta.closeSession();
          await meta.shutdown();
        }
      }
      expect(seen).toEqual([
        { before: 1, after: 0, pending: false },
        { before: 1, after: 1, pending: true },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const mounted = (mp: string): boolean => fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mp);

/** Block file names under a directory tree. */
const blocks = (root: string): string[] =>
  fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort() : [];

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

describe('objstore mount flags: a writeback mount with an upload delay', () => {
  const v = scratchVolume('jfs-objflags-', 'objflags-vol', '--block-size', '64', '--trash-days', '0');

  it('all the flags on one command line; a written file reaches the bucket only after --upload-delay', async () => {
    v.mount('--writeback', '--upload-delay', '3s', '--get-timeout', '30s', '--put-timeout', '30', '--io-retries', '3',
      '--max-downloads', '4', '--max-deletes', '2', '--max-stage-write', '10', '--writeback-threshold-size', '0', '--check-storage');
    const data = Buffer.alloc(1000, 7);
    const written = Date.now();
    fs.writeFileSync(path.join(v.mp, 'late'), data);
    const bucket = path.join(v.dir, 'bucket/objflags-vol/chunks');
    const staging = path.join(v.dir, 'cache');
    const early = { bucket: blocks(bucket), staged: blocks(staging).length > 0 };
    const arrived = await waitFor(() => blocks(bucket).length > 0, 20_000);
    expect({
      early,
      arrived,
      waited: Date.now() - written >= 2500,
      readBack: fs.readFileSync(path.join(v.mp, 'late')).equals(data),
      checked: /object storage file:\/\/\S+ checked in \d+ ms/.test(fs.readFileSync(path.join(v.dir, 'log'), 'utf8')),
      testObjects: fs.existsSync(path.join(v.dir, 'bucket/objflags-vol/testing')) ? blocks(path.join(v.dir, 'bucket/objflags-vol/testing')) : [],
    }).toEqual({ early: { bucket: [], staged: true }, arrived: true, waited: true, readBack: true, checked: true, testObjects: [] });
    v.unmount();
  });

  it('--storage-class on a file volume is refused with the reason, and nothing is mounted', () => {
    const r = juicefs('mount', '-d', v.meta, v.mp, '--log', path.join(v.dir, 'log2'), '--cache-dir', path.join(v.dir, 'cache'),
      '--metrics', '127.0.0.1:0', '--storage-class', 'STANDARD_IA');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--storage-class STANDARD_IA: storage file cannot set a storage class here \(only s3 and minio/);
    expect(mounted(v.mp)).toBe(false);
  });

  it('--check-storage refuses to mount on a bucket that cannot be written; without it the mount comes up', () => {
    const notADir = path.join(v.dir, 'plain-file');
    fs.writeFileSync(notADir, 'x');
    const args = ['mount', '-d', v.meta, v.mp, '--log', path.join(v.dir, 'log3'), '--cache-dir', path.join(v.dir, 'cache'),
      '--metrics', '127.0.0.1:0', '--bucket', path.join(notADir, 'b'), '--io-retries', '0'];
    const checked = juicefs(...args, '--check-storage');
    expect(checked.code).toBe(1);
    expect(checked.err).toMatch(/--check-storage: cannot put a test object in file:\/\/\S+plain-file\/b\//);
    expect(mounted(v.mp)).toBe(false);
    const unchecked = juicefs(...args);
    expect(unchecked.code).toBe(0);
    expect(mounted(v.mp)).toBe(true);
    v.unmount();
  });
});

describe('objstore mount flags on an S3 volume: --storage-class, and --get-timeout with --io-retries against a bucket that never answers', () => {
  const S3 = process.env['JFS_TEST_S3_URL'] ?? 'http://127.0.0.1:9000';
  // Where scripts/services/s3.sh keeps s3rver's objects: it records each object's headers there.
  const s3rverData = path.join(process.env['JFS_SERVICES_DIR'] ?? '/tmp/juicefs-services', 's3/data');
  let bucket = '';
  let dir = '';
  let mp = '';
  let meta = '';
  let requests: string[] = [];
  let close: () => Promise<void> = async () => undefined;
  let silentUrl = '';

  beforeAll(async () => {
    if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-objflags-s3-'));
    mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    meta = `sqlite3://${dir}/meta.db`;
    bucket = `jfs-objflags-${path.basename(dir).slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
    mustFormat(meta, 'objflags-s3', `${S3}/${bucket}`, '--storage', 's3', '--access-key', 'S3RVER', '--secret-key', 'S3RVER', '--trash-days', '0');
    requests = [];
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      s.on('data', (d) => {
        for (const m of d.toString('latin1').matchAll(/^(GET|PUT|HEAD|DELETE) (\S+) HTTP/gm)) requests.push(`${m[1]} ${m[2]}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    silentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${bucket}`;
    close = () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  });

  afterAll(async () => {
    if (mp && mounted(mp) && juicefs('umount', mp).code !== 0) juicefs('umount', '--force', mp);
    await close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (bucket) {
      const s = createStorage('s3', `${S3}/${bucket}`, 'S3RVER', 'S3RVER');
      for (const o of await s.list('').catch(() => [])) await s.delete(o.key);
      await deleteS3Bucket({ endpoint: S3, bucket, region: 'us-east-1', accessKey: 'S3RVER', secretKey: 'S3RVER' }).catch(() => undefined);
    }
  });

  /** The storage class s3rver recorded for each object of `size` bytes (its key ends with _<index>_<size>). */
  const classesOfSize = (size: number): Array<string | undefined> => {
    const root = path.join(s3rverData, bucket, 'objflags-s3', 'chunks');
    return fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(`_${size}._S3rver_metadata.json`))
      .map((f) => (JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')) as Record<string, string>)['x-amz-storage-class']);
  };

  const mount = (...flags: string[]): void => {
    const m = juicefs('mount', '-d', meta, mp, '--log', path.join(dir, 'log'), '--metrics', '127.0.0.1:0', '--backup-meta', '0', ...flags);
    if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
  };

  it('--storage-class: every block is written with that class (the S3 server records x-amz-storage-class)', () => {
    mount('--cache-dir', path.join(dir, 'cache1'), '--storage-class', 'STANDARD_IA');
    fs.writeFileSync(path.join(mp, 'f'), Buffer.alloc(5000, 3));
    expect(juicefs('umount', mp).code).toBe(0);
    const root = path.join(s3rverData, bucket, 'objflags-s3', 'chunks');
    const metas = fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('._S3rver_metadata.json')) : [];
    const classes = metas.map((f) => (JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')) as Record<string, string>)['x-amz-storage-class']);
    expect({ blocks: metas.length, classes: [...new Set(classes)] }).toEqual({ blocks: 1, classes: ['STANDARD_IA'] });
  });

  it('storage tiers (JuiceFS 1.4): files under a tiered directory are written in its class, and tier set rewrites objects in another', () => {
    // config tries the tier's class on the bucket (a test object) before saving it.
    const defined = juicefs('config', meta, '--tier', '1', '--storage-class', 'ONEZONE_IA');
    expect(defined.code).toBe(0);
    mount('--cache-dir', path.join(dir, 'cache3'));
    fs.mkdirSync(path.join(mp, 'cold'));
    expect(juicefs('umount', mp).code).toBe(0);
    const set = juicefs('tier', 'set', meta, '--id', '1', '/cold');
    expect(set.code).toBe(0);
    expect(set.err).toMatch(/storage tier of \/cold is set to 1 \(ONEZONE_IA\): 1 nodes, 0 objects rewritten/);

    mount('--cache-dir', path.join(dir, 'cache4'));
    fs.writeFileSync(path.join(mp, 'cold', 'g'), Buffer.alloc(6000, 1)); // inherits tier 1
    fs.writeFileSync(path.join(mp, 'h'), Buffer.alloc(7000, 2)); // tier 0: the bucket's default
    expect(juicefs('umount', mp).code).toBe(0);
    expect({ g: classesOfSize(6000), h: classesOfSize(7000) }).toEqual({ g: ['ONEZONE_IA'], h: [undefined] });

    // Moving files between tiers puts their objects again in the new class.
    expect(juicefs('tier', 'set', meta, '--id', '1', '/h').code).toBe(0);
    const back = juicefs('tier', 'set', meta, '--id', '0', '/cold');
    expect(back.code).toBe(0);
    expect(back.err).toMatch(/storage tier of \/cold is set to 0 \(bucket default\): 2 nodes, 1 objects rewritten/);
    expect({ g: classesOfSize(6000), h: classesOfSize(7000) }).toEqual({ g: [undefined], h: ['ONEZONE_IA'] });
    // The data is intact after the rewrites.
    mount('--cache-dir', path.join(dir, 'cache5'));
    const data = { g: fs.readFileSync(path.join(mp, 'cold', 'g')).equals(Buffer.alloc(6000, 1)), h: fs.readFileSync(path.join(mp, 'h')).equals(Buffer.alloc(7000, 2)) };
    expect(juicefs('umount', mp).code).toBe(0);
    expect(data).toEqual({ g: true, h: true });
  });

  it('a tier with object tags: its files are put with class and tags in one signed request, which the S3 server takes', () => {
    expect(juicefs('config', meta, '--tier', '2', '--storage-class', 'STANDARD_IA', '--tag', 'team=a&cold=1').code).toBe(0);
    mount('--cache-dir', path.join(dir, 'cache6'));
    fs.mkdirSync(path.join(mp, 'tagged'));
    expect(juicefs('umount', mp).code).toBe(0);
    expect(juicefs('tier', 'set', meta, '--id', '2', '/tagged').code).toBe(0);
    mount('--cache-dir', path.join(dir, 'cache7'));
    const mounted = fs.readFileSync(path.join(dir, 'log'), 'utf8');
    fs.writeFileSync(path.join(mp, 'tagged', 't'), Buffer.alloc(9000, 4));
    expect(juicefs('umount', mp).code).toBe(0);
    // s3rver keeps the class (it drops x-amz-tagging; the header and its signature are checked
    // against a recording server in tier-set.test.ts). No warning about tags on an s3 bucket.
    expect(classesOfSize(9000)).toEqual(['STANDARD_IA']);
    expect(mounted).not.toMatch(/does not apply tier/);
    mount('--cache-dir', path.join(dir, 'cache8'));
    const same = fs.readFileSync(path.join(mp, 'tagged', 't')).equals(Buffer.alloc(9000, 4));
    expect(juicefs('umount', mp).code).toBe(0);
    expect(same).toBe(true);
  });

  it('a read whose GETs time out fails with EIO after 1 + io-retries attempts, each logged', async () => {
    // Written through the real S3 server (above), then read through an address that never answers.
    mount('--cache-dir', path.join(dir, 'cache2'), '--bucket', silentUrl, '--get-timeout', '1', '--io-retries', '2');
    const err = await fs.promises.readFile(path.join(mp, 'f')).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
    expect(juicefs('umount', mp).code).toBe(0);
    const log = fs.readFileSync(path.join(dir, 'log'), 'utf8');
    expect({
      err,
      timedOut: /get objflags-s3\/chunks\/\S+ on s3:\/\/\S+ had no answer within 1 s \(--get-timeout\)/.test(log),
      gaveUp: /gave up after 3 attempts \(--io-retries 2\)/.test(log),
      // Every attempt reached the server; the kernel may ask for the block more than once.
      gets: requests.filter((r) => r.startsWith('GET ')).length % 3 === 0 && requests.some((r) => r.startsWith('GET ')),
    }).toEqual({ err: 'EIO', timedOut: true, gaveUp: true, gets: true });
  });
});
