import { decodeFormat, NodeType, ROOT_CONTEXT } from '@juicefs/core';
import { testFormat } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { createSqlEngine, type SqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';

/** What `format` (BaseMeta.init) and the first operations leave in the tables (FORMAT.md 5.3-5.6). */
const TRASH = '9223372032828243968';

const dialects: Array<[string, () => Promise<TestTarget>]> = [
  ['sqlite3', async () => freshSqliteTarget()],
  ['postgres', () => freshPgTarget()],
  ['mysql', () => freshMysqlTarget()],
];

describe.each(dialects)('%s rows written by format and by operations', (_name, fresh) => {
  let target: TestTarget;
  let store: SqlEngine;
  let meta: BaseMeta;
  const rows = (sql: string) => store.query(sql);

  beforeEach(async () => {
    target = await fresh();
    store = await createSqlEngine(target.url);
    meta = new BaseMeta(store);
  });
  afterEach(async () => {
    await meta.shutdown().catch(() => undefined);
    await target.cleanup();
  });

  it('format inserts the setting, root, trash root and the six counters; nothing else', async () => {
    const before = Math.floor(Date.now() / 1000);
    await meta.init(testFormat({ TrashDays: 1 }));
    const after = Math.ceil(Date.now() / 1000);

    const settings = await rows(`SELECT "name","value" FROM "jfs_setting"`);
    expect(settings.map((r) => r['name'])).toEqual(['format']);
    expect(decodeFormat(String(settings[0]?.['value'])).TrashDays).toBe(1);

    const counters = await rows(`SELECT "name","value" FROM "jfs_counter" ORDER BY "name"`);
    expect(counters.map((r) => [r['name'], Number(r['value'])])).toEqual([
      ['nextChunk', 1], ['nextCleanupSlices', 0], ['nextInode', 2], ['nextSession', 0], ['totalInodes', 0], ['usedSpace', 0],
    ]);

    const nodes = await rows(`SELECT * FROM "jfs_node" ORDER BY "inode"`);
    expect(nodes.map((r) => String(r['inode']))).toEqual(['1', TRASH]);
    for (const [row, mode] of [[nodes[0], 0o777], [nodes[1], 0o555]] as const) {
      const n = (k: string) => Number(row?.[k]);
      expect([n('type'), n('flags'), n('mode'), n('uid'), n('gid'), n('nlink'), n('length'), n('rdev'), n('parent')]).toEqual([
        2, 0, mode, 0, 0, 2, 4096, 0, 1,
      ]);
      expect([n('access_acl_id'), n('default_acl_id'), n('tier_id')]).toEqual([0, 0, 0]);
      for (const k of ['atime', 'mtime', 'ctime']) {
        expect(n(k)).toBeGreaterThanOrEqual(before * 1e6); // microseconds
        expect(n(k)).toBeLessThanOrEqual(after * 1e6);
      }
      for (const k of ['atimensec', 'mtimensec', 'ctimensec']) expect(n(k)).toBeLessThan(1000);
    }
    for (const table of ['jfs_edge', 'jfs_dir_stats', 'jfs_chunk', 'jfs_chunk_ref', 'jfs_session2', 'jfs_xattr']) {
      expect(await rows(`SELECT * FROM "${table}"`)).toEqual([]);
    }
  });

  it('format without trash creates no trash root', async () => {
    await meta.init(testFormat({ TrashDays: 0 }));
    expect((await rows(`SELECT "inode" FROM "jfs_node"`)).map((r) => String(r['inode']))).toEqual(['1']);
  });

  it('operations write edges, dir stats, symlinks, chunks with refs=1, sessions and counters', async () => {
    await meta.init(testFormat({ TrashDays: 0 }));
    await meta.load(true);
    const sid = await meta.newSession();
    const d = await meta.mkdir(ROOT_CONTEXT, 1n, 'd', 0o755, 0);
    const s = await meta.symlink(ROOT_CONTEXT, d.ino, 'l', Buffer.from('../target'));
    const f = await meta.mknod(ROOT_CONTEXT, d.ino, 'f', NodeType.File, 0o644, 0);
    expect(d.ino).toBe(2n); // the first batch starts at nextInode = 2

    const edges = await rows(`SELECT "parent","name","inode","type" FROM "jfs_edge" ORDER BY "inode"`);
    expect(edges.map((r) => [Number(r['parent']), Buffer.from(r['name'] as Uint8Array).toString(), BigInt(String(r['inode'])), Number(r['type'])])).toEqual([
      [1, 'd', d.ino, 2],
      [Number(d.ino), 'l', s.ino, 3],
      [Number(d.ino), 'f', f.ino, 1],
    ]);
    await meta.flushSession(); // dir stats wait in memory for up to a second, as in JuiceFS
    const stats = await rows(`SELECT "inode","data_length","used_space","used_inodes" FROM "jfs_dir_stats" ORDER BY "inode"`);
    expect(stats.map((r) => [String(r['inode']), Number(r['used_space']), Number(r['used_inodes'])])).toContainEqual([
      String(d.ino), 8192, 2,
    ]);
    const link = await rows(`SELECT "target" FROM "jfs_symlink"`);
    expect(Buffer.from(link[0]?.['target'] as Uint8Array).toString()).toBe('../target');
    const node = await rows(`SELECT "length" FROM "jfs_node" WHERE "inode"=${s.ino}`);
    expect(Number(node[0]?.['length'])).toBe(9);

    const sessions = await rows(`SELECT "sid","expire","info" FROM "jfs_session2"`);
    expect(sessions.map((r) => Number(r['sid']))).toEqual([sid]);
    expect(Buffer.isBuffer(sessions[0]?.['info'])).toBe(true);

    const id = await meta.newSlice();
    expect(id).toBe(1); // nextChunk starts at 1
    const slice = { pos: 0, id, size: 5000, off: 0, len: 5000 };
    await meta.write(ROOT_CONTEXT, f.ino, 0, slice);
    const chunk = await rows(`SELECT "inode","indx","slices" FROM "jfs_chunk"`);
    expect(chunk.map((r) => [String(r['inode']), Number(r['indx'])])).toEqual([[String(f.ino), 0]]);
    expect(await meta.readChunk(ROOT_CONTEXT, f.ino, 0)).toEqual([slice]);
    const refs = await rows(`SELECT "chunkid","size","refs" FROM "jfs_chunk_ref"`);
    expect(refs.map((r) => [Number(r['chunkid']), Number(r['size']), Number(r['refs'])])).toEqual([[1, 5000, 1]]);
    const counter = await rows(`SELECT "value" FROM "jfs_counter" WHERE "name"='nextChunk'`);
    expect(Number(counter[0]?.['value'])).toBeGreaterThan(1);

    await meta.shutdown(); // flushes the buffered usage counters
    const reader = await createSqlEngine(target.url);
    const usage = await reader
      .query(`SELECT "name","value" FROM "jfs_counter" WHERE "name" IN ('usedSpace','totalInodes') ORDER BY "name"`)
      .finally(() => reader.close());
    expect(usage.map((r) => [r['name'], Number(r['value'])])).toEqual([
      ['totalInodes', 3],
      ['usedSpace', 4096 * 2 + 8192],
    ]);
  });
});
