import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDriver } from '../src/sql/sqlite-driver.js';
import { WalCheckpointer } from '../src/sql/wal-checkpointer.js';

/** SQLite's checkpoints on a thread of their own, against real database files. */

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-ckpt-'));
  file = path.join(dir, 'meta.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function insertRows(driver: SqliteDriver, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    // Two pages of data a transaction, as a small file's create writes a few pages.
    await driver.txn(async (c) => {
      c.write('INSERT INTO t (k, v) VALUES (?, ?)', [i, Buffer.alloc(3000, i)]);
      c.write('INSERT INTO t (k, v) VALUES (?, ?)', [-i - 1, Buffer.alloc(3000, i)]);
    });
  }
}

async function openWithTable(options: Parameters<typeof SqliteDriver.open>[2]): Promise<SqliteDriver> {
  const driver = await SqliteDriver.open(file, 5000, options);
  await driver.txn(async (c) => void (await c.run('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)')));
  return driver;
}

async function autocheckpoint(driver: SqliteDriver): Promise<number> {
  const [row] = await driver.txn((c) => c.all('PRAGMA wal_autocheckpoint'));
  return Number(row?.['wal_autocheckpoint']);
}

/** Frames in the write-ahead log (its file keeps its largest length). */
const logFrames = (): number => Math.floor(fs.statSync(`${file}-wal`).size / (4096 + 24));

/** Rows of table t in the database file `dbFile`, read by a connection of its own. */
function rowsIn(dbFile: string): number {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const waitUntil = async (check: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

describe('WAL checkpoints on a thread', () => {
  it('start after some commits, with the writer\'s own checkpoints turned off, and copy the log into the database', async () => {
    const driver = await openWithTable({ startAfter: 20, every: 16, idleMs: 50 });
    try {
      await insertRows(driver, 0, 19);
      expect(driver.checkpointer?.running).toBe(false); // short-lived engines never start the thread
      expect(await autocheckpoint(driver)).toBe(1000);
      await insertRows(driver, 19, 400);
      expect(driver.checkpointer?.running).toBe(true);
      expect(await autocheckpoint(driver)).toBe(0);
      expect(await waitUntil(() => (driver.checkpointer?.checkpoints ?? 0) > 0, 5000)).toBe(true);
      // After the idle timeout everything committed is in the database file: a copy of that file
      // alone (without its -wal) holds every row.
      const copy = path.join(dir, 'copy.db');
      const rowsInFile = (): number => {
        fs.copyFileSync(file, copy);
        try {
          return rowsIn(copy);
        } catch {
          return -1; // copied while a checkpoint was writing pages: try again
        }
      };
      expect(await waitUntil(() => rowsInFile() === 838, 5000)).toBe(true);
    } finally {
      await driver.close();
    }
    // The thread's connection closed first, so the writer's close removed the log.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(rowsIn(file)).toBe(838);
  });

  it('start the log over while writes go on, so it does not grow without end', async () => {
    const driver = await openWithTable({ startAfter: 1, every: 8, idleMs: 1000, restartFrames: 64 });
    try {
      // 3000 commits without a pause as long as the idle timeout: their log reached 23751 frames
      // without the restarts (measured with restartFrames out of reach), at most 1701 with them.
      await insertRows(driver, 0, 3000);
      expect(driver.checkpointer?.running).toBe(true);
      expect(driver.checkpointer!.restarts).toBeGreaterThan(0);
      // The log file keeps its largest length.
      expect(logFrames()).toBeLessThan(6000);
    } finally {
      await driver.close();
    }
    expect(rowsIn(file)).toBe(6000);
  });

  it('a long log copied while no one wrote is started over by the next write, without holding it', async () => {
    // `every` out of reach: only the idle timeout checkpoints, between the bursts.
    const driver = await openWithTable({ startAfter: 1, every: 1_000_000, idleMs: 50, restartFrames: 64 });
    try {
      // Commit until the thread has started and taken over (the writer sees it at a commit).
      for (let k = 10_000; !driver.checkpointer!.running && k < 10_500; k++) {
        await insertRows(driver, k, 1);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(driver.checkpointer!.running).toBe(true);
      for (let burst = 0; burst < 5; burst++) {
        await insertRows(driver, burst * 100, 100); // ~800 frames, far past restartFrames
        const done = driver.checkpointer!.checkpoints;
        expect(await waitUntil(() => driver.checkpointer!.checkpoints > done, 5000)).toBe(true);
      }
      expect(driver.checkpointer?.running).toBe(true);
      expect(driver.checkpointer!.restarts).toBe(0);
      expect(driver.checkpointer!.restartAsked).toBe(false);
      // Each burst wrote the log from its start again: it never held more than about one burst.
      expect(logFrames()).toBeLessThan(2 * 800);
    } finally {
      await driver.close();
    }
  });

  it('inline (false) leaves checkpoints to SQLite, as before', async () => {
    const driver = await openWithTable(false);
    try {
      expect(driver.checkpointer).toBeUndefined();
      await insertRows(driver, 0, 300);
      expect(await autocheckpoint(driver)).toBe(1000);
    } finally {
      await driver.close();
    }
  });

  it('a thread that cannot open the database leaves checkpoints to SQLite and says why', async () => {
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    const missing = path.join(dir, 'gone.db');
    const ck = new WalCheckpointer(missing, db, { startAfter: 1 });
    try {
      ck.committed(); // starts the thread, which fails to open `missing`
      expect(await waitUntil(() => ck.lastError !== undefined, 5000)).toBe(true);
      expect(ck.lastError).toMatch(/gone\.db|unable to open|does not exist/i);
      for (let i = 0; i < 10; i++) ck.committed();
      expect(ck.running).toBe(false);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      await ck.close();
      db.close();
    }
  });
});
