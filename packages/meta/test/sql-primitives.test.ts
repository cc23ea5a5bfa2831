import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Attr } from '@juicefs/core';
import { encodePlocks } from '../src/codec/plock.js';
import { encodeSlices } from '../src/codec/slice.js';
import { createSqlEngine, type SqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';

/** Every TxStore/EngineStore primitive, on a real SQLite file and a real PostgreSQL schema. */
const golden = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../../../shared/fixtures/golden-vectors.json'), 'utf8'),
) as { attr: Array<{ name: string; fields: Record<string, number> }>; extra: { sqlNodeTimes: Record<string, number> } };

const TRASH = 0x7fffffff10000000n;

function attrOf(f: Record<string, number>): Attr {
  const n = (k: string) => f[k] ?? 0;
  return {
    flags: n('flags'), type: n('type') as Attr['type'], mode: n('mode'), uid: n('uid'), gid: n('gid'),
    atime: n('atime'), atimensec: n('atimensec'), mtime: n('mtime'), mtimensec: n('mtimensec'),
    ctime: n('ctime'), ctimensec: n('ctimensec'), nlink: n('nlink'), length: n('length'), rdev: n('rdev'),
    parent: BigInt(n('parent')), accessACL: n('accessAcl'), defaultACL: n('defaultAcl'), tier: n('tier'),
  };
}

const basic = attrOf(golden.attr[0]!.fields);
const dir = (now: number, mode: number): Attr => ({
  ...basic, type: 2, mode, uid: 0, gid: 0, atime: now, mtime: now, ctime: now, atimensec: 0, mtimensec: 0,
  ctimensec: 0, nlink: 2, length: 4096, parent: 1n,
});

const dialects: Array<[string, () => Promise<TestTarget>]> = [
  ['sqlite3', async () => freshSqliteTarget()],
  ['postgres', () => freshPgTarget()],
  ['mysql', () => freshMysqlTarget()],
];

describe.each(dialects)('%s primitives', (name, fresh) => {
  let target: TestTarget;
  let e: SqlEngine;
  const num = (v: unknown) => Number(v);
  const one = async (sql: string, params: Array<string | number | bigint | Buffer> = []) => (await e.query(sql, params))[0];

  beforeEach(async () => {
    target = await fresh();
    e = await createSqlEngine(target.url);
    await e.initSchema();
  });
  afterEach(async () => {
    await e.close();
    await target.cleanup();
  });

  it('reports its dialect name', () => {
    expect(e.name).toBe(name);
  });

  it('format row: absent on a new database, stored as jfs_setting "format", dropped by reset', async () => {
    const bare = await fresh();
    const other = await createSqlEngine(bare.url);
    expect(await other.getFormat()).toBeUndefined(); // no tables at all yet
    await other.close();
    await bare.cleanup();

    expect(await e.getFormat()).toBeUndefined();
    await e.setFormat('{\n"Name": "a"\n}');
    await e.setFormat('{\n"Name": "b"\n}');
    expect(await e.getFormat()).toBe('{\n"Name": "b"\n}');
    expect(await one(`SELECT "name","value" FROM "jfs_setting"`)).toEqual({ name: 'format', value: '{\n"Name": "b"\n}' });
    await e.reset();
    expect(await e.getFormat()).toBeUndefined();
    await e.initSchema();
    expect(await e.getFormat()).toBeUndefined();
  });

  it('initVolume writes the rows of FORMAT 5.6; counters allocate as SQL does', async () => {
    const now = 1700000000;
    await e.initVolume(dir(now, 0o777), dir(now, 0o555));
    await e.initVolume(dir(now + 5, 0o777), undefined); // re-running changes nothing
    const counters = await e.query(`SELECT "name","value" FROM "jfs_counter" ORDER BY "name"`);
    expect(counters.map((r) => [r['name'], num(r['value'])])).toEqual([
      ['nextChunk', 1], ['nextCleanupSlices', 0], ['nextInode', 2], ['nextSession', 0], ['totalInodes', 0], ['usedSpace', 0],
    ]);
    const nodes = await e.query(`SELECT * FROM "jfs_node" ORDER BY "inode"`);
    expect(nodes.map((r) => [String(r['inode']), num(r['mode']), num(r['atime']), num(r['parent']), num(r['nlink'])])).toEqual([
      ['1', 0o777, now * 1e6, 1, 2],
      [TRASH.toString(), 0o555, now * 1e6, 1, 2],
    ]);
    expect(await e.query(`SELECT * FROM "jfs_dir_stats"`)).toEqual([]);

    expect(await e.allocInodes(1024)).toBe(2n);
    expect(await e.allocInodes(1024)).toBe(1026n);
    expect(num((await one(`SELECT "value" FROM "jfs_counter" WHERE "name"='nextInode'`))?.['value'])).toBe(2050);
    expect(await e.allocSlices(4096)).toBe(1);
    expect(await e.allocSlices(4096)).toBe(4097);
    expect(await e.newSessionId()).toBe(1);
    expect(await e.newSessionId()).toBe(2);
    expect(await e.incrCounter('lastCleanupFiles', 1234)).toBe(1234);
  });

  it('stores attributes as jfs_node columns with microsecond times (golden sqlNodeTimes)', async () => {
    await e.txn(async (tx) => tx.setAttr(4n, basic));
    const row = await one(`SELECT * FROM "jfs_node" WHERE "inode"=4`);
    const t = golden.extra.sqlNodeTimes;
    for (const k of ['atime', 'atimensec', 'mtime', 'mtimensec', 'ctime', 'ctimensec']) expect(num(row?.[k])).toBe(t[k]);
    expect(num(row?.['mode'])).toBe(0o644);
    expect(num(row?.['type'])).toBe(1);
    expect(await e.txn((tx) => tx.getAttr(4n))).toEqual(basic);

    const rich: Attr = { ...basic, flags: 128 | 32, accessACL: 3, defaultACL: 4, tier: 2, rdev: 77, parent: 0n, atime: -5, atimensec: 999999999 };
    await e.txn(async (tx) => {
      tx.setAttr(4n, rich);
      tx.setAttr(TRASH + 1n, dir(1, 0o555));
      expect(await tx.getAttr(4n)).toEqual(rich); // read-your-writes inside the transaction
    });
    expect(await e.txn((tx) => tx.getAttrs([TRASH + 1n, 99n, 4n]))).toEqual([dir(1, 0o555), undefined, rich]);
    await e.txn(async (tx) => tx.deleteAttr(4n));
    expect(await e.txn((tx) => tx.getAttr(4n))).toBeUndefined();
  });

  it('directory entries: binary names, overwrite, delete, pages in byte order', async () => {
    const names = [Buffer.from([0xb9, 0xfb, 0x00 + 0x41]), Buffer.from('a'), Buffer.from('b'), Buffer.from('ab'), Buffer.from([0xff])];
    await e.txn(async (tx) => {
      names.forEach((n, i) => tx.setEntry(1n, n, BigInt(10 + i), 1));
      tx.setEntry(1n, Buffer.from('b'), 99n, 2); // rename over
    });
    const got = await e.txn(async (tx) => ({
      gbk: await tx.getEntry(1n, names[0]!),
      b: await tx.getEntry(1n, Buffer.from('b')),
      none: await tx.getEntry(1n, Buffer.from('zz')),
      asText: await tx.getEntry(2n, Buffer.from('a')),
      has1: await tx.hasEntries(1n),
      has2: await tx.hasEntries(2n),
    }));
    expect(got).toEqual({ gbk: { ino: 10n, type: 1 }, b: { ino: 99n, type: 2 }, none: undefined, asText: undefined, has1: true, has2: false });

    const seen: Buffer[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await e.txn((tx) => tx.listEntries(1n, cursor, 2));
      seen.push(...page.entries.map((x) => x.name));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...names].sort(Buffer.compare));

    await e.txn(async (tx) => names.forEach((n) => tx.deleteEntry(1n, n)));
    expect(await e.txn((tx) => tx.hasEntries(1n))).toBe(false);
  });

  it('hard-link parents are counted from jfs_edge', async () => {
    await e.txn(async (tx) => {
      tx.setEntry(1n, Buffer.from('x'), 7n, 1);
      tx.setEntry(1n, Buffer.from('y'), 7n, 1);
      tx.setEntry(3n, Buffer.from('z'), 7n, 1);
      tx.addParent(7n, 3n, 1);
    });
    expect(await e.txn((tx) => tx.getParents(7n))).toEqual(new Map([[1n, 2], [3n, 1]]));
    expect(await e.txn((tx) => tx.getParents(8n))).toEqual(new Map());
  });

  it('symlinks', async () => {
    const target = Buffer.from([0x2f, 0xe6, 0x9e, 0x9c, 0x80]);
    await e.txn(async (tx) => tx.setSymlink(5n, target));
    expect(await e.txn((tx) => tx.getSymlink(5n))).toEqual(target);
    await e.txn(async (tx) => tx.deleteSymlink(5n));
    expect(await e.txn((tx) => tx.getSymlink(5n))).toBeUndefined();
  });

  it('chunks: appended 24-byte records, replaced, listed, deleted', async () => {
    const a = { pos: 0, id: 5, size: 67108864, off: 0, len: 67108864 };
    const b = { pos: 12, id: 0, size: 0, off: 0, len: 100 };
    const c = { pos: 27262976, id: 11, size: 16777216, off: 6291456, len: 10485760 };
    await e.txn(async (tx) => {
      tx.appendSlice(6n, 0, a);
      tx.appendSlice(6n, 0, b);
      expect(await tx.getChunk(6n, 0)).toEqual([a, b]);
      tx.appendSlice(6n, 3, c);
    });
    const raw = await one(`SELECT "slices" FROM "jfs_chunk" WHERE "inode"=6 AND "indx"=0`);
    expect(Buffer.from(raw?.['slices'] as Uint8Array)).toEqual(encodeSlices([a, b]));
    expect(await e.txn((tx) => tx.listChunks(6n))).toEqual([0, 3]);
    await e.txn(async (tx) => tx.setChunk(6n, 0, [c]));
    expect(await e.txn((tx) => tx.getChunk(6n, 0))).toEqual([c]);
    await e.txn(async (tx) => {
      tx.deleteChunk(6n, 3);
      tx.setChunk(6n, 0, []);
    });
    expect(await e.txn((tx) => tx.listChunks(6n))).toEqual([]);
    expect(await e.txn((tx) => tx.getChunk(6n, 0))).toEqual([]);
  });

  it('slice references: refs=1 on write, actual counts, pending at <= 0', async () => {
    await e.txn(async (tx) => tx.newSliceRef(42, 4096));
    const row = await one(`SELECT "chunkid","size","refs" FROM "jfs_chunk_ref"`);
    expect([num(row?.['chunkid']), num(row?.['size']), num(row?.['refs'])]).toEqual([42, 4096, 1]);
    expect(await e.txn((tx) => tx.addSliceRef(42, 4096, 1))).toBe(2);
    expect(await e.listPendingSlices(10)).toEqual([]);
    expect(await e.txn((tx) => tx.addSliceRef(42, 4096, -2))).toBe(0);
    expect(await e.txn((tx) => tx.addSliceRef(43, 8192, -1))).toBe(0); // no row: counted as once referenced
    expect(await e.listPendingSlices(10)).toEqual([{ id: 42, size: 4096 }, { id: 43, size: 8192 }]);
    await e.removeSliceRef(42);
    expect(await e.listPendingSlices(10)).toEqual([{ id: 43, size: 8192 }]);
  });

  it('xattrs', async () => {
    await e.txn(async (tx) => {
      tx.setXattr(2n, 'user.b', Buffer.from('果汁%25'));
      tx.setXattr(2n, 'user.a', Buffer.alloc(0));
      tx.setXattr(2n, 'user.a', Buffer.from([0, 1, 2]));
      tx.setXattr(3n, 'user.a', Buffer.from('x'));
    });
    expect(await e.txn((tx) => tx.listXattr(2n))).toEqual(['user.a', 'user.b']);
    expect(await e.txn((tx) => tx.getXattr(2n, 'user.a'))).toEqual(Buffer.from([0, 1, 2]));
    expect((await e.txn((tx) => tx.getXattr(2n, 'user.b')))?.toString()).toBe('果汁%25');
    await e.txn(async (tx) => tx.removeXattr(2n, 'user.a'));
    expect(await e.txn((tx) => tx.getXattr(2n, 'user.a'))).toBeUndefined();
    await e.txn(async (tx) => tx.deleteXattrs(2n));
    expect(await e.txn((tx) => tx.listXattr(2n))).toEqual([]);
    expect(await e.txn((tx) => tx.listXattr(3n))).toEqual(['user.a']);
  });

  it('counters and directory statistics', async () => {
    await e.txn(async (tx) => {
      expect(await tx.getCounter('nextTrash')).toBe(0);
      tx.addCounter('nextTrash', 1);
      tx.addCounter('usedSpace', 8192);
      tx.addCounter('totalInodes', 2);
      tx.initDirStat(9n);
      tx.addDirStat(9n, { length: 10, space: 4096, inodes: 1 });
      tx.addDirStat(10n, { length: -1, space: 0, inodes: 3 });
    });
    expect(await e.txn(async (tx) => [await tx.getCounter('nextTrash'), await tx.getCounter('usedSpace'), await tx.getCounter('totalInodes')])).toEqual([1, 8192, 2]);
    // Dir-stat deltas wait in memory (read back at once) until the flush writes them, to tracked
    // directories only: 10 has no row, so it stays untracked (computed from entries when asked).
    const row = async (ino: bigint) => (await e.query(`SELECT "data_length","used_space","used_inodes" FROM "jfs_dir_stats" WHERE "inode"=${ino}`)).map((r) => [Number(r['data_length']), Number(r['used_space']), Number(r['used_inodes'])]);
    expect(await row(9n)).toEqual([[0, 0, 0]]);
    expect(await e.txn((tx) => tx.getDirStat(9n))).toEqual({ length: 10, space: 4096, inodes: 1 });
    expect(await e.txn((tx) => tx.getDirStat(10n))).toBeUndefined();
    await e.flush();
    expect(await row(9n)).toEqual([[10, 4096, 1]]);
    expect(await row(10n)).toEqual([]);
    expect(await e.txn((tx) => tx.getDirStat(9n))).toEqual({ length: 10, space: 4096, inodes: 1 });
    // A delta pending for a directory that is then removed is dropped, not written back.
    await e.txn(async (tx) => tx.addDirStat(9n, { length: 5, space: 0, inodes: 1 }));
    await e.txn(async (tx) => tx.deleteDirStat(9n));
    expect(await e.txn((tx) => tx.getDirStat(9n))).toBeUndefined();
    await e.flush();
    expect(await row(9n)).toEqual([]);
  });

  it('deleted and sustained files', async () => {
    await e.txn(async (tx) => {
      tx.addDelFile(11n, 12345, 1700000000);
      tx.addSustained(1, 12n);
      tx.addSustained(1, 12n);
      tx.addSustained(2, 13n);
    });
    expect(await e.listDelFiles(10)).toEqual([{ ino: 11n, length: 12345, expire: 1700000000 }]);
    await e.removeDelFile(11n);
    expect(await e.listDelFiles(10)).toEqual([]);
    expect(await e.listSustained(1)).toEqual([12n]);
    await e.txn(async (tx) => tx.removeSustained(1, 12n));
    expect(await e.listSustained(1)).toEqual([]);
    expect(await e.listSustained(2)).toEqual([13n]);
  });

  it('flocks keep ltype R/W as ASCII and 64-bit owners', async () => {
    const bigOwner = 2n ** 64n - 2n;
    await e.txn(async (tx) => {
      tx.setFlock(20n, 1, 7n, 'R');
      tx.setFlock(20n, 2, bigOwner, 'R');
      tx.setFlock(20n, 2, bigOwner, 'W');
    });
    expect(await e.txn((tx) => tx.getFlocks(20n))).toEqual([
      { sid: 1, owner: 7n, type: 'R' },
      { sid: 2, owner: bigOwner, type: 'W' },
    ]);
    const rows = await e.query(`SELECT "sid","owner","ltype" FROM "jfs_flock" ORDER BY "sid"`);
    expect(rows.map((r) => [num(r['sid']), BigInt(r['owner'] as string), num(r['ltype'])])).toEqual([[1, 7n, 82], [2, -2n, 87]]);
    expect(await e.listLockedInodes(2)).toEqual({ flock: [20n], plock: [] });
    await e.txn(async (tx) => tx.setFlock(20n, 2, bigOwner, undefined));
    expect(await e.txn((tx) => tx.getFlocks(20n))).toEqual([{ sid: 1, owner: 7n, type: 'R' }]);
  });

  it('plocks store the lock list records', async () => {
    const records = [
      { type: 1 as const, pid: 4242, start: 0n, end: 99n },
      { type: 0 as const, pid: 4242, start: 200n, end: 2n ** 63n - 1n },
    ];
    await e.txn(async (tx) => {
      tx.setPlock(21n, 3, 1n, records);
      tx.setPlock(22n, 3, 1n, records.slice(0, 1));
    });
    expect(await e.txn((tx) => tx.getPlocks(21n))).toEqual([{ sid: 3, owner: 1n, records }]);
    const raw = await one(`SELECT "records" FROM "jfs_plock" WHERE "inode"=21`);
    expect(Buffer.from(raw?.['records'] as Uint8Array)).toEqual(encodePlocks(records));
    expect(await e.listLockedInodes(3)).toEqual({ flock: [], plock: [21n, 22n] });
    await e.txn(async (tx) => tx.setPlock(21n, 3, 1n, []));
    expect(await e.txn((tx) => tx.getPlocks(21n))).toEqual([]);
  });

  it('sessions in jfs_session2 keep the info JSON as bytes', async () => {
    const info = '{"Version":"1.4.0","HostName":"h","MountPoint":"/mnt","MountTime":"2026-11-26T00:00:00Z","ProcessID":1}';
    await e.setSession(1, 1000, info);
    await e.setSession(1, 2000, undefined); // heartbeat: expire only
    await e.setSession(2, 3000, undefined);
    expect(await e.listSessions()).toEqual([
      { sid: 1, expire: 2000, info },
      { sid: 2, expire: 3000, info: undefined },
    ]);
    const raw = await one(`SELECT "info" FROM "jfs_session2" WHERE "sid"=1`);
    expect(Buffer.isBuffer(raw?.['info'])).toBe(true);
    await e.deleteSession(1);
    expect((await e.listSessions()).map((s) => s.sid)).toEqual([2]);
  });

  it('a transaction that throws leaves nothing behind and passes the error through', async () => {
    const failing = e.txn(async (tx) => {
      tx.setEntry(1n, Buffer.from('ghost'), 30n, 1);
      tx.setAttr(30n, basic);
      tx.addCounter('nextTrash', 5);
      await tx.getEntry(1n, Buffer.from('ghost'));
      throw Object.assign(new Error('EEXIST: stop'), { code: 'EEXIST' });
    });
    await expect(failing).rejects.toMatchObject({ code: 'EEXIST' });
    const signal = new Error('caller signal without an errno');
    await expect(e.txn(async () => Promise.reject(signal))).rejects.toBe(signal); // passed through as is
    expect(await e.txn(async (tx) => [await tx.getEntry(1n, Buffer.from('ghost')), await tx.getAttr(30n), await tx.getCounter('nextTrash')])).toEqual([undefined, undefined, 0]);
  });
});
