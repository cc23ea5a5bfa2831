import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHUNK_SIZE } from '@juicefs/core';
import { treeDirs } from '../src/commands/mdtest.js';
import { juicefs, mustFormat, openVolume, redisBase } from './tools-volume.js';
import { claimRedisDb, releaseRedisDb } from './support/redis-db.js';

// `juicefs mdtest` (hidden, as in JuiceFS): the metadata engine's create rate through the client
// library. Checked on SQLite and Redis: the tree and file names JuiceFS makes, the slice records
// of --write with no object written, and a second run into the same PATH refused.

test('tree sizes: the top directory and every level below it', () => {
  expect([treeDirs(3, 2), treeDirs(2, 1), treeDirs(5, 0), treeDirs(1, 4)]).toEqual([13, 3, 1, 5]);
});

/** The Redis database claimed for this file's Redis run, released (emptied) after it. */
let redisDb: number | undefined;

describe.each([
  ['sqlite3', (dir: string) => `sqlite3://${dir}/meta.db`],
  ['redis', () => `${redisBase}/${(redisDb = claimRedisDb())}`],
])('mdtest on %s', (_engine, metaOf) => {
  let dir: string;
  let meta: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-mdtest-'));
    meta = metaOf(dir);
    mustFormat(meta, 'mdtest-vol', path.join(dir, 'bucket'), '--trash-days', '0');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (meta.startsWith('redis') && redisDb !== undefined) releaseRedisDb(redisDb);
  });

  it('makes JuiceFS\'s tree, each worker\'s files in every directory, and --write as slice records only', async () => {
    const bytes = CHUNK_SIZE + 4096; // two chunks
    const r = juicefs('mdtest', meta, '/bench', '--threads', '2', '--dirs', '2', '--depth', '1', '--files', '3', '--write', String(bytes));
    expect({ code: r.code, lines: r.err.split('\n').filter((l) => l.startsWith('Create')).map((l) => l.replace(/ in [\d.]+s \(\d+/, ' in Ts (N')) }).toEqual({
      code: 0,
      lines: ['Create 18 files in 3 dirs', 'Created 3 dirs in Ts (N dirs/s)', 'Created 18 files in Ts (N files/s)'],
    });
    const v = await openVolume(meta);
    try {
      const tree = '/bench/test-dir.0-0/mdtest_tree.0';
      const names = (p: string) => v.fs.readdir(p).then((l) => l.sort());
      const files = ['file.mdtest.0.0', 'file.mdtest.0.1', 'file.mdtest.0.2', 'file.mdtest.1.0', 'file.mdtest.1.1', 'file.mdtest.1.2'];
      expect({
        top: await names(tree),
        sub0: await names(`${tree}/mdtest_tree.0`),
        sub1: await names(`${tree}/mdtest_tree.1`),
      }).toEqual({ top: [...files, 'mdtest_tree.0', 'mdtest_tree.1'], sub0: files, sub1: files });
      const st = await v.fs.stat(`${tree}/mdtest_tree.1/file.mdtest.1.2`);
      const chunks = [await v.meta.readChunk({ uid: 0, gid: 0, gids: [0], pid: 0 }, st.ino, 0), await v.meta.readChunk({ uid: 0, gid: 0, gids: [0], pid: 0 }, st.ino, 1)];
      expect({ size: st.size, slices: chunks.map((c) => c.map((s) => s.len)) }).toEqual({ size: bytes, slices: [[CHUNK_SIZE], [4096]] });
      // Slice records only: the bucket holds no data object yet (only format's juicefs_uuid); one
      // real write then shows where objects go.
      const objects = () =>
        (fs.readdirSync(path.join(dir, 'bucket'), { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, 'bucket', f)).isFile() && !f.endsWith('/juicefs_uuid'));
      expect(objects()).toEqual([]);
      await v.fs.writeFile('/real', 'x');
      await v.fs.closeAll();
      await v.vfs.close();
      expect(objects()).toEqual([expect.stringMatching(/^mdtest-vol\/chunks\/\d+\/\d+\/\d+_0_1$/)]);
    } finally {
      await v.close();
    }
  });

  it('a second run into the same PATH is refused, naming the directory left behind', () => {
    const r = juicefs('mdtest', meta, '/bench', '--files', '1');
    expect({ code: r.code, err: r.err.trim().split('\n').pop() }).toEqual({
      code: 1,
      err: 'juicefs: EEXIST: /bench/test-dir.0-0 exists already (left by an earlier run): give another PATH or remove it',
    });
  });
});
