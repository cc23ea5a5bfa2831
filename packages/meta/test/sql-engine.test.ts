import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { TxStore } from '../src/base/store.js';
import { encodeSlices } from '../src/codec/slice.js';
import { createSqlEngine, parseSqlUrl, type SqlEngine } from '../src/sql/index.js';
import { openEngine } from '../src/open.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, testMysqlUrl, type TestTarget } from '../src/sql/test-targets.js';

/** URLs, connection errors, transactions under concurrent writers, Go-written values. */

describe('SQL meta URLs', () => {
  it('resolves sqlite3 paths, relative and absolute, and the table prefix', () => {
    expect(parseSqlUrl('sqlite3:///var/lib/jfs/meta.db?_journal=WAL')).toEqual({
      dialect: 'sqlite3', filename: '/var/lib/jfs/meta.db', prefix: 'jfs_', busyTimeout: 5000,
    });
    expect(parseSqlUrl('sqlite3://meta.db?table_prefix=X&_timeout=250')).toEqual({
      dialect: 'sqlite3', filename: path.resolve('meta.db'), prefix: 'jfs_X_', busyTimeout: 250,
    });
  });

  it('strips JuiceFS-only options from PostgreSQL URLs and takes the schema from search_path', () => {
    const t = parseSqlUrl(
      'postgresql://u:secret@db.example:6543/vol?sslmode=disable&max_open_conns=9&max_idle_conns=1&max_idle_time=5&max_life_time=6&table_prefix=p1&search_path=s1',
    );
    expect(t).toEqual({
      dialect: 'postgres',
      connectionString: 'postgresql://u:secret@db.example:6543/vol?sslmode=disable',
      address: 'db.example:6543/vol',
      schema: 's1',
      prefix: 'jfs_p1_',
    });
    expect(parseSqlUrl('postgres://h/db')).toMatchObject({ address: 'h:5432/db', schema: undefined, prefix: 'jfs_' });
  });

  it('refuses malformed options and other schemes with EINVAL', () => {
    expect(() => parseSqlUrl('postgres://h/db?search_path=a,b')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => parseSqlUrl('sqlite3://x.db?table_prefix=a;drop')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => parseSqlUrl('redis://h/1')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => parseSqlUrl('sqlite3://')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => parseSqlUrl('sqlite3://x.db?_timeout=soon')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('MySQL meta URLs', () => {
  const base = { dialect: 'mysql', host: '127.0.0.1', port: 3306, socketPath: undefined, user: 'root', password: 'pw', database: 'jfs', connectTimeout: 10000, prefix: 'jfs_' };

  it("reads Go's DSN form, the URL form, tcp() and unix()", () => {
    expect(parseSqlUrl('mysql://root:pw@(127.0.0.1:3306)/jfs')).toEqual({ ...base, address: '127.0.0.1:3306/jfs' });
    expect(parseSqlUrl('mysql://root:pw@tcp(db.example:3310)/jfs')).toEqual({ ...base, host: 'db.example', port: 3310, address: 'db.example:3310/jfs' });
    expect(parseSqlUrl('mysql://root:pw@db.example:3311/jfs')).toEqual({ ...base, host: 'db.example', port: 3311, address: 'db.example:3311/jfs' });
    expect(parseSqlUrl('mysql://root:pw@db.example/jfs')).toMatchObject({ host: 'db.example', port: 3306 });
    expect(parseSqlUrl('mysql://u@unix(/run/mysqld/mysqld.sock)/jfs')).toEqual({
      ...base, user: 'u', password: undefined, host: undefined, socketPath: '/run/mysqld/mysqld.sock', address: 'unix(/run/mysqld/mysqld.sock)/jfs',
    });
    expect(parseSqlUrl('mysql://(localhost:3306)/jfs')).toMatchObject({ user: 'root', password: undefined, host: 'localhost' });
  });

  it('keeps an @ in the password, decodes %-escapes, strips pool options, reads table_prefix and timeout', () => {
    expect(parseSqlUrl('mysql://u:p@ss@(h:1)/db')).toMatchObject({ user: 'u', password: 'p@ss', host: 'h', port: 1 });
    expect(parseSqlUrl('mysql://u:p%40ss@h:1/db')).toMatchObject({ password: 'p@ss' });
    expect(
      parseSqlUrl('mysql://u:p@(h:1)/db?charset=utf8mb4&parseTime=true&max_open_conns=9&max_idle_conns=1&max_idle_time=5&max_life_time=6&table_prefix=p1&timeout=2s'),
    ).toMatchObject({ prefix: 'jfs_p1_', connectTimeout: 2000, database: 'db' });
  });

  it('refuses a URL without a database, a bad port, an unknown option or a bad timeout with EINVAL, never echoing the password', () => {
    for (const url of [
      'mysql://u:secret@(h:1)/',
      'mysql://u:secret@(h:1)',
      'mysql://u:secret@h:99999/db',
      'mysql://u:secret@(h:1)/db?tls=custom',
      'mysql://u:secret@(h:1)/db?timeout=soon',
      'mysql://u:secret@(h:1)/db?table_prefix=a;drop',
      'mysql://u:sec@ret@(h:1)/',
    ]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        parseSqlUrl(url);
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code).toBe('EINVAL');
      expect(err?.message).not.toMatch(/secret|sec@ret|ret@/);
    }
  });
});

describe('opening SQL engines', () => {
  it('names the address and the fix when MySQL is unreachable (EIO, no hang)', async () => {
    const err = await createSqlEngine('mysql://root@(127.0.0.1:1)/nowhere').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('EIO');
    expect(err?.message).toContain('127.0.0.1:1/nowhere');
    expect(err?.message).toContain('check the meta URL and that the server runs');
  });

  it('says a MySQL password is wrong or a database unknown (EINVAL), never echoing the password', async () => {
    const t = parseSqlUrl(testMysqlUrl());
    if (t.dialect !== 'mysql') throw new Error('JFS_TEST_MYSQL_URL is not a mysql:// URL');
    const where = t.socketPath !== undefined ? `unix(${t.socketPath})` : `(${t.host}:${t.port})`;
    const wrong = await createSqlEngine(`mysql://${t.user}:not-the-password@${where}/${t.database}`).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(wrong?.code).toBe('EINVAL');
    expect(wrong?.message).toContain('access denied');
    expect(wrong?.message).not.toContain('not-the-password');
    const pass = t.password === undefined ? '' : `:${encodeURIComponent(t.password)}`;
    const unknown = await createSqlEngine(`mysql://${t.user}${pass}@${where}/jfs_no_such_db`).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(unknown?.code).toBe('EINVAL');
    expect(unknown?.message).toContain('unknown database');
  });

  it('names the address and the fix when PostgreSQL is unreachable', async () => {
    const err = await createSqlEngine('postgres://postgres@127.0.0.1:1/nowhere').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('ECONNREFUSED');
    expect(err?.message).toContain('127.0.0.1:1/nowhere');
    expect(err?.message).toContain('check the meta URL and that the server runs');
  });

  it('refuses a SQLite file in a directory that does not exist', async () => {
    const missing = path.join(os.tmpdir(), `jfs-missing-${process.pid}-${Date.now()}`, 'meta.db');
    await expect(createSqlEngine(`sqlite3://${missing}`)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(path.dirname(missing)),
    });
  });

  it('with create: false, finds a missing SQLite file not formatted and leaves no file behind; an existing one opens', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-nocreate-'));
    try {
      const file = path.join(dir, 'typo.db');
      await expect(openEngine(`sqlite3://${file}`, { create: false })).rejects.toMatchObject({
        code: 'ENOENT',
        message: `ENOENT: database sqlite3://${file} is not formatted: run juicefs format sqlite3://${file} NAME first (there is no file ${file}; check the path if the volume is elsewhere)`,
      });
      expect(fs.readdirSync(dir)).toEqual([]);
      const made = await openEngine(`sqlite3://${file}`);
      await made.close();
      const again = await openEngine(`sqlite3://${file}`, { create: false });
      expect(await again.getFormat()).toBeUndefined();
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a relative SQLite file in the working directory, in WAL mode', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-rel-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const e = await createSqlEngine('sqlite3://rel.db');
      await e.initSchema();
      const [mode] = await e.query('PRAGMA journal_mode');
      await e.close();
      expect(fs.existsSync(path.join(dir, 'rel.db'))).toBe(true);
      expect(mode?.['journal_mode']).toBe('wal');
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the search_path schema and keeps volumes of different schemas apart', async () => {
    const a = await freshPgTarget();
    const b = await freshPgTarget();
    const ea = await createSqlEngine(a.url);
    const eb = await createSqlEngine(b.url);
    try {
      await ea.initSchema();
      await eb.initSchema();
      await ea.setFormat('{"Name":"a"}');
      expect(await ea.getFormat()).toBe('{"Name":"a"}');
      expect(await eb.getFormat()).toBeUndefined();
    } finally {
      await ea.close();
      await eb.close();
      await a.cleanup();
      await b.cleanup();
    }
  });
});

const dialects: Array<[string, () => Promise<TestTarget>]> = [
  ['sqlite3', async () => freshSqliteTarget()],
  ['postgres', () => freshPgTarget()],
  ['mysql', () => freshMysqlTarget()],
];

/** A read-modify-write that loses updates unless transactions are serialisable. */
async function bump(tx: TxStore): Promise<void> {
  const v = Number((await tx.getXattr(1n, 'user.n'))?.toString() ?? '0');
  tx.setXattr(1n, 'user.n', Buffer.from(String(v + 1)));
}

describe.each(dialects)('%s transactions', (_name, fresh) => {
  let target: TestTarget;
  let a: SqlEngine;
  let b: SqlEngine;

  beforeEach(async () => {
    target = await fresh();
    a = await createSqlEngine(target.url);
    await a.initSchema();
    b = await createSqlEngine(target.url);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await target.cleanup();
  });

  it('two clients racing read-modify-write transactions lose no update', async () => {
    const runs = 15;
    await Promise.all([
      ...Array.from({ length: runs }, () => a.txn(bump)),
      ...Array.from({ length: runs }, () => b.txn(bump)),
    ]);
    expect((await a.txn((tx) => tx.getXattr(1n, 'user.n')))?.toString()).toBe(String(2 * runs));
  });

  it('usage counters from many transactions all arrive (each client sees its own at once)', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).txn(async (tx) => {
          tx.addCounter('usedSpace', 4096);
          tx.addCounter('totalInodes', 1);
        }),
      ),
    );
    const usage = (e: SqlEngine) => e.txn(async (tx) => [await tx.getCounter('usedSpace'), await tx.getCounter('totalInodes')]);
    expect((await usage(a))[0]).toBeGreaterThanOrEqual(40960);
    // PostgreSQL buffers usage deltas for about a second, like the Go client; close() flushes too.
    await b.flush();
    expect(await usage(a)).toEqual([81920, 20]);
    await a.flush();
    const [row] = await a.query(`SELECT "value" FROM "jfs_counter" WHERE "name"='usedSpace'`);
    expect(Number(row?.['value'])).toBe(81920);
  });

  it('engine calls made inside a transaction complete instead of waiting on it', async () => {
    const got = await a.txn(async (tx) => {
      tx.setXattr(5n, 'user.k', Buffer.from('v'));
      const first = await a.allocInodes(10);
      const counter = await a.txn((inner) => inner.getCounter('nextInode'));
      return { first, counter };
    });
    expect(got.counter).toBe(Number(got.first) + 10);
    expect((await b.txn((tx) => tx.getXattr(5n, 'user.k')))?.toString()).toBe('v');
  });

  it('counter increments from two clients never hand out the same range', async () => {
    const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocInodes(1024)));
    expect(new Set(firsts).size).toBe(20);
  });
});

/**
 * Two engines on one fresh database each read a counter, then both write it: the transaction
 * that loses the conflict must be run again by the engine (3 runs in all) and the counter end
 * at 2. `awaitWrite`: read the row back after writing, so a queued write reaches the server
 * inside the transaction (MySQL's deadlock shows only then).
 */
async function expectConflictRetried(freshTarget: () => Promise<TestTarget>, awaitWrite: boolean): Promise<void> {
  const target = await freshTarget();
  const a = await createSqlEngine(target.url);
  await a.initSchema();
  const b = await createSqlEngine(target.url);
  try {
    await a.txn(async (tx) => tx.setXattr(1n, 'user.n', Buffer.from('0')));
    let readers = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const racer = (e: SqlEngine) =>
      e.txn(async (tx) => {
        calls++;
        const v = Number((await tx.getXattr(1n, 'user.n'))?.toString());
        if (++readers === 2) release();
        await bothRead;
        tx.setXattr(1n, 'user.n', Buffer.from(String(v + 1)));
        if (awaitWrite) await tx.getXattr(1n, 'user.n');
      });
    const before = a.txRestarts + b.txRestarts;
    const timed = a.txDurations.total + b.txDurations.total;
    await Promise.all([racer(a), racer(b)]);
    expect(calls).toBe(3);
    expect(a.txDurations.total + b.txDurations.total - timed).toBe(2); // two transactions, one re-run inside
    // The re-run is what juicefs_transaction_restart counts.
    expect(a.txRestarts + b.txRestarts - before).toBe(1);
    expect((await a.txn((tx) => tx.getXattr(1n, 'user.n')))?.toString()).toBe('2');
  } finally {
    await a.close();
    await b.close();
    await target.cleanup();
  }
}

describe('postgres conflict retry', () => {
  // Both transactions read before either writes: under SERIALIZABLE one of them must fail with
  // 40001 at its write or commit, and the engine must run it again.
  it('re-runs the transaction that loses a serialization conflict', () => expectConflictRetried(freshPgTarget, false));
});

describe('postgres write errors', () => {
  it('a failing pipelined write fails its transaction, and the connections stay usable', async () => {
    const target = await freshPgTarget();
    const e = await createSqlEngine(target.url);
    try {
      await e.initSchema();
      // uid is an INTEGER column: 2^31 does not fit (the Go client has the same limit).
      const attr = {
        flags: 0, type: 1 as const, mode: 0o644, uid: 2 ** 31, gid: 0, atime: 1, atimensec: 0, mtime: 1, mtimensec: 0,
        ctime: 1, ctimensec: 0, nlink: 1, length: 0, rdev: 0, parent: 1n, accessACL: 0, defaultACL: 0, tier: 0,
      };
      await expect(
        e.txn(async (tx) => {
          tx.setEntry(1n, Buffer.from('f'), 2n, 1);
          tx.setAttr(2n, attr);
          tx.setXattr(2n, 'user.after', Buffer.from('x'));
        }),
      ).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('22003') });
      for (let i = 0; i < 12; i++) {
        // more transactions than pooled connections, so every connection is reused
        expect(await e.txn((tx) => tx.getEntry(1n, Buffer.from('f')))).toBeUndefined();
      }
      await e.txn(async (tx) => tx.setAttr(2n, { ...attr, uid: 1000 }));
      expect((await e.txn((tx) => tx.getAttr(2n)))?.uid).toBe(1000);
    } finally {
      await e.close();
      await target.cleanup();
    }
  });
});

describe('mysql conflict retry', () => {
  // Both read the row (a shared lock under SERIALIZABLE) before either writes: each write then
  // waits for the other's lock, InnoDB rolls one back with 1213, and the engine re-runs it.
  it('re-runs the transaction that loses a deadlock', () => expectConflictRetried(freshMysqlTarget, true));
});

describe('mysql write errors and values', () => {
  let target: TestTarget;
  let e: SqlEngine;
  beforeEach(async () => {
    target = await freshMysqlTarget();
    e = await createSqlEngine(target.url);
    await e.initSchema();
  });
  afterEach(async () => {
    await e.close();
    await target.cleanup();
  });

  it('a failing queued write fails its transaction, runs nothing after it, and the connections stay usable', async () => {
    // uid is an INT column: 2^31 does not fit (the Go client has the same limit).
    const attr = {
      flags: 0, type: 1 as const, mode: 0o644, uid: 2 ** 31, gid: 0, atime: 1, atimensec: 0, mtime: 1, mtimensec: 0,
      ctime: 1, ctimensec: 0, nlink: 1, length: 0, rdev: 0, parent: 1n, accessACL: 0, defaultACL: 0, tier: 0,
    };
    await expect(
      e.txn(async (tx) => {
        tx.setEntry(1n, Buffer.from('f'), 2n, 1);
        tx.setAttr(2n, attr);
        tx.setXattr(2n, 'user.after', Buffer.from('x'));
      }),
    ).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('Out of range') });
    for (let i = 0; i < 12; i++) {
      // more transactions than pooled connections, so every connection is reused
      expect(await e.txn((tx) => tx.getEntry(1n, Buffer.from('f')))).toBeUndefined();
    }
    expect(await e.txn((tx) => tx.getXattr(2n, 'user.after'))).toBeUndefined();
    await e.txn(async (tx) => tx.setAttr(2n, { ...attr, uid: 1000 }));
    expect((await e.txn((tx) => tx.getAttr(2n)))?.uid).toBe(1000);
  });

  it('keeps 64-bit values exact and binary names as bytes', async () => {
    const big = 2n ** 62n + 1n;
    await e.query(`INSERT INTO "jfs_chunk_ref" ("chunkid","size","refs") VALUES (?,?,?)`, [big, 4, 1]);
    const [row] = await e.query(`SELECT "chunkid" FROM "jfs_chunk_ref" WHERE "chunkid"=?`, [big]);
    expect(BigInt(String(row?.['chunkid']))).toBe(big);
    const name = Buffer.from([0xff, 0x00, 0x41, 0xfe]);
    await e.txn(async (tx) => tx.setEntry(1n, name, big, 1));
    expect(await e.txn((tx) => tx.getEntry(1n, Buffer.from(name)))).toEqual({ ino: big, type: 1 });
    expect(await e.txn((tx) => tx.getEntry(1n, Buffer.from([0xff, 0x00, 0x61, 0xfe])))).toBeUndefined();
    // CONCAT() appends slices as bytes.
    const s1 = { pos: 0, id: 0xff00ff, size: 0x80, off: 0, len: 0x80 };
    const s2 = { pos: 0x80, id: 0xc3, size: 0xfe, off: 0, len: 0xfe };
    await e.txn(async (tx) => tx.appendSlice(9n, 0, s1));
    await e.txn(async (tx) => tx.appendSlice(9n, 0, s2));
    expect(await e.txn((tx) => tx.getChunk(9n, 0))).toEqual([s1, s2]);
    const [raw] = await e.query(`SELECT HEX("slices") AS "h" FROM "jfs_chunk" WHERE "inode"=9`);
    expect(raw?.['h']).toBe(encodeSlices([s1, s2]).toString('hex').toUpperCase());
  });
});

describe('sqlite3 write lock held by another process', () => {
  it('is waited out on timers, so the rest of the process goes on, and the transaction then commits', async () => {
    // A connection outside the engine stands in for another process. A minute of busy timeout: SQLite's own (blocking) wait would hold this thread, the timer
    // that releases the lock could not fire, and the test would time out.
    const target = freshSqliteTarget('?_busy_timeout=60000');
    const e = await createSqlEngine(target.url);
    try {
      await e.initSchema();
      const holder = new BetterSqlite3(target.url.slice('sqlite3://'.length).replace(/\?.*$/, ''));
      holder.exec('BEGIN IMMEDIATE');
      const events: string[] = [];
      const ticker = setInterval(() => events.push('tick'), 5);
      setTimeout(() => {
        holder.exec('COMMIT');
        events.push('released');
      }, 300);
      const restartsBefore = e.txRestarts;
      await e.txn(async (tx) => {
        events.push('transaction');
        await bump(tx);
      });
      clearInterval(ticker);
      holder.close();
      const released = events.indexOf('released');
      expect(events.slice(0, released).filter((x) => x === 'tick').length).toBeGreaterThan(5);
      expect(events.indexOf('transaction')).toBeGreaterThan(released);
      expect(e.txRestarts - restartsBefore).toBe(1); // one operation that found the lock taken
      expect(await e.txn(async (tx) => (await tx.getXattr(1n, 'user.n'))?.toString())).toBe('1');
    } finally {
      await e.close();
      await target.cleanup();
    }
  });
});

describe('sqlite3 nesting across connections', () => {
  it('refuses a second connection to the same file inside a transaction (EDEADLK, not a hang)', async () => {
    const target = freshSqliteTarget();
    const a = await createSqlEngine(target.url);
    const b = await createSqlEngine(target.url);
    try {
      await a.initSchema();
      await expect(a.txn(() => b.listSessions())).rejects.toMatchObject({ code: 'EDEADLK' });
      expect(await b.listSessions()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await target.cleanup();
    }
  });
});

describe('sqlite3 values written by the Go client', () => {
  it('reads a chunk whose `||`-appended slices SQLite stored as TEXT, and appends to it', async () => {
    const target = freshSqliteTarget();
    const e = await createSqlEngine(target.url);
    try {
      await e.initSchema();
      const first = [{ pos: 0, id: 0xff00ff, size: 0x80, off: 0, len: 0x80 }];
      const more = { pos: 0x80, id: 0xc3, size: 0xfe, off: 0, len: 0xfe };
      await e.query(`INSERT INTO "jfs_chunk" ("inode","indx","slices") VALUES (9, 0, CAST(? AS TEXT))`, [encodeSlices(first)]);
      expect(await e.txn((tx) => tx.getChunk(9n, 0))).toEqual(first);
      await e.txn(async (tx) => tx.appendSlice(9n, 0, more));
      expect(await e.txn((tx) => tx.getChunk(9n, 0))).toEqual([...first, more]);
      const [raw] = await e.query(`SELECT typeof("slices") AS t, hex("slices") AS h FROM "jfs_chunk" WHERE "inode"=9`);
      expect(raw?.['h']).toBe(encodeSlices([...first, more]).toString('hex').toUpperCase());
    } finally {
      await e.close();
      await target.cleanup();
    }
  });
});
