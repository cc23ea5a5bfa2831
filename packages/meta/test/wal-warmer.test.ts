import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { WalWarmer } from '../src/sql/wal-warmer.js';

/** Bytes of `file` in the page cache (util-linux fincore). */
function cachedBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
}

/** Write back and evict `file`'s pages, as drop_caches does for every file (GNU dd's nocache). */
function evict(file: string): void {
  execFileSync('dd', [`of=${file}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']);
}

describe('WalWarmer', () => {
  let dir: string;
  let db: BetterSqlite3.Database;
  let wal: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-walwarm-'));
    const file = path.join(dir, 'meta.db');
    wal = `${file}-wal`;
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // keep every frame in the log
    db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(4000, i));
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads an evicted log back into the page cache after three slow commits in a row', async () => {
    const size = fs.statSync(wal).size;
    expect(size).toBeGreaterThan(1 << 20);
    evict(wal);
    expect(cachedBytes(wal)).toBeLessThan(size / 4);

    const warmer = new WalWarmer(wal);
    expect(warmer.committed(40)).toBeUndefined();
    expect(warmer.committed(5000)).toBeUndefined(); // a checkpoint, most likely
    expect(warmer.committed(300)).toBeUndefined(); // and the commit starting the log over
    expect(warmer.committed(30)).toBeUndefined();
    expect(warmer.committed(400)).toBeUndefined();
    expect(warmer.committed(400)).toBeUndefined();
    expect(cachedBytes(wal)).toBeLessThan(size / 4);
    const warm = warmer.committed(400); // the third in a row
    expect(warm).toBeInstanceOf(Promise);
    expect(warmer.committed(400)).toBeUndefined(); // not while one runs
    await warm;
    expect(cachedBytes(wal)).toBeGreaterThanOrEqual(size - 4096);
  });

  it('waits between warm-ups and shrugs off a missing log', async () => {
    const warmer = new WalWarmer(path.join(dir, 'no-such-db-wal'));
    warmer.committed(400);
    warmer.committed(400);
    await expect(warmer.committed(400)).resolves.toBeUndefined();
    // Straight after one, slow commits do not start another.
    expect(warmer.committed(400)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(warmer.committed(400)).toBeInstanceOf(Promise); // still slow: the run goes on
  });
});
