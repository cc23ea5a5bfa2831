import { NodeType, type Attr } from '@juicefs/core';
import { createSqlEngine, type SqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';

/**
 * The hot read path: `read()` outside transactions and the joined `lookupEntry` (directory LEFT
 * JOIN entry LEFT JOIN node), on real SQLite and PostgreSQL.
 */

function attr(type: NodeType, parent: bigint, extra: Partial<Attr> = {}): Attr {
  return {
    flags: 0, type, mode: 0o755, uid: 1, gid: 2, atime: 1_700_000_000, atimensec: 5, mtime: 1_700_000_001,
    mtimensec: 123_456_789, ctime: 1_700_000_002, ctimensec: 999, nlink: type === NodeType.Directory ? 2 : 1,
    length: type === NodeType.Directory ? 4096 : 12345, rdev: 0, parent, accessACL: 0, defaultACL: 0, tier: 0,
    ...extra,
  };
}

const targets: Array<[string, () => Promise<TestTarget> | TestTarget]> = [
  ['sqlite3', () => freshSqliteTarget()],
  ['postgres', () => freshPgTarget()],
  ['mysql', () => freshMysqlTarget()],
];

describe.each(targets)('SQL read path on %s', (_name, makeTarget) => {
  let target: TestTarget;
  let engine: SqlEngine;
  const dirAttr = attr(NodeType.Directory, 1n);
  const fileAttr = attr(NodeType.File, 10n, { uid: 7, length: 2 ** 40 + 3 });

  beforeEach(async () => {
    target = await makeTarget();
    engine = await createSqlEngine(target.url);
    await engine.initSchema();
    await engine.txn(async (tx) => {
      tx.setAttr(10n, dirAttr);
      tx.setAttr(11n, fileAttr);
      tx.setEntry(10n, Buffer.from('f'), 11n, NodeType.File);
      tx.setEntry(10n, Buffer.from('dangling'), 99n, NodeType.File);
      tx.setAttr(0x7fffffff10000001n, attr(NodeType.Directory, 0x7fffffff10000000n));
    });
  });

  afterEach(async () => {
    await engine.close();
    await target.cleanup();
  });

  it('lookupEntry returns directory, entry and node of one name in one statement', async () => {
    const found = await engine.read((tx) => tx.lookupEntry!(10n, Buffer.from('f')));
    expect(found).toEqual({ pattr: dirAttr, entry: { ino: 11n, type: NodeType.File }, attr: fileAttr });
  });

  it('lookupEntry tells a missing name, a dangling entry and a missing directory apart', async () => {
    const missing = await engine.read((tx) => tx.lookupEntry!(10n, Buffer.from('nope')));
    expect(missing).toEqual({ pattr: dirAttr, entry: undefined, attr: undefined });
    const dangling = await engine.read((tx) => tx.lookupEntry!(10n, Buffer.from('dangling')));
    expect(dangling).toEqual({ pattr: dirAttr, entry: { ino: 99n, type: NodeType.File }, attr: undefined });
    const noDir = await engine.read((tx) => tx.lookupEntry!(12345n, Buffer.from('f')));
    expect(noDir).toEqual({ pattr: undefined, entry: undefined, attr: undefined });
  });

  it('read() returns inodes above 2^53 exactly (trash directories)', async () => {
    const trash = await engine.read((tx) => tx.getAttr(0x7fffffff10000001n));
    expect(trash?.parent).toBe(0x7fffffff10000000n);
  });

  it('read() sees every committed transaction at once', async () => {
    for (let i = 0; i < 5; i++) {
      await engine.txn(async (tx) => tx.setAttr(11n, { ...fileAttr, length: i }));
      expect((await engine.read((tx) => tx.getAttr(11n)))?.length).toBe(i);
    }
  });

  it('read() never sees a transaction that has not committed yet', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let wrote!: () => void;
    const written = new Promise<void>((r) => (wrote = r));
    const writer = engine.txn(async (tx) => {
      tx.setAttr(11n, { ...fileAttr, length: 777 });
      await tx.getAttr(11n); // the write has reached the database inside the transaction
      wrote();
      await gate;
    });
    await written;
    expect((await engine.read((tx) => tx.getAttr(11n)))?.length).toBe(fileAttr.length);
    release();
    await writer;
    expect((await engine.read((tx) => tx.getAttr(11n)))?.length).toBe(777);
  });

  it('a read() nested in a transaction: SQLite joins it, PostgreSQL reads committed data', async () => {
    const seen = await engine.txn(async (tx) => {
      tx.setAttr(11n, { ...fileAttr, length: 5 });
      return engine.read((inner) => inner.getAttr(11n));
    });
    expect(seen?.length).toBe(engine.name === 'sqlite3' ? 5 : fileAttr.length);
  });

  it('listEntriesPlus pages like listEntries, with each node joined in (none for a dangling entry)', async () => {
    await engine.txn(async (tx) => {
      for (let i = 0; i < 5; i++) {
        tx.setAttr(BigInt(20 + i), { ...fileAttr, length: i });
        tx.setEntry(10n, Buffer.from(`n${i}`), BigInt(20 + i), NodeType.File);
      }
    });
    const plain: Array<{ name: string; ino: bigint }> = [];
    const plus: Array<{ name: string; ino: bigint; length: number | undefined }> = [];
    await engine.txn(async (tx) => {
      let cursor: string | undefined;
      do {
        const page = await tx.listEntries(10n, cursor, 3);
        plain.push(...page.entries.map((e) => ({ name: e.name.toString(), ino: e.ino })));
        cursor = page.cursor;
      } while (cursor !== undefined);
      do {
        const page = await tx.listEntriesPlus!(10n, cursor, 3);
        plus.push(...page.entries.map((e) => ({ name: e.name.toString(), ino: e.ino, length: e.attr?.length })));
        cursor = page.cursor;
      } while (cursor !== undefined);
    });
    expect(plus.map(({ name, ino }) => ({ name, ino }))).toEqual(plain);
    expect(plus).toEqual([
      { name: 'dangling', ino: 99n, length: undefined },
      { name: 'f', ino: 11n, length: fileAttr.length },
      ...[0, 1, 2, 3, 4].map((i) => ({ name: `n${i}`, ino: BigInt(20 + i), length: i })),
    ]);
  });
});
