import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { EngineStore } from '../src/base/store.js';
import { dumpMeta, engineExtras, loadMeta } from '../src/dump/index.js';
import { createRedisEngine } from '../src/redis/index.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget } from '../src/sql/test-targets.js';
import type { TestTarget } from '../src/sql/test-targets.js';

// Load /work/shared/fixtures/metadata.sample into real SQLite, Redis and PostgreSQL engines, dump it
// back, and check the tree comes back as dumped; then carry it SQLite -> Redis -> PostgreSQL.

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const sample = fs.readFileSync(path.join(fixtures, 'metadata.sample'), 'utf8');
const redisBase = process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390';

function extrasOf(store: EngineStore) {
  const extras = engineExtras(store);
  if (!extras) throw new Error(`engine ${store.name} has no quota/ACL access for dump/load`);
  return { extras };
}

async function dumpToString(store: EngineStore, options: Parameters<typeof dumpMeta>[2] = {}): Promise<string> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  await dumpMeta(store, out, { ...extrasOf(store), ...options });
  out.end();
  return Buffer.concat(parts).toString('utf8');
}

/** From the FSTree member to the end: the trees, which load must reproduce byte for byte. */
function trees(dump: string): string {
  return dump.slice(dump.indexOf('\n  "FSTree": {'));
}

function header(dump: string): Record<string, unknown> {
  return JSON.parse(`${dump.slice(0, dump.indexOf('\n  "FSTree": {') - 1)}\n}`) as Record<string, unknown>;
}


interface Opened {
  store: EngineStore;
  cleanup(): Promise<void>;
}

const redisDbs = [41, 42, 43];
let nextRedisDb = 0;

async function openRedis(): Promise<Opened> {
  const db = redisDbs[nextRedisDb++ % redisDbs.length]!;
  const url = `${redisBase.replace(/\/\d*$/, '')}/${db}`;
  let store: EngineStore;
  try {
    store = await createRedisEngine(url);
  } catch (err) {
    throw new Error(`Redis test server not reachable at ${url} (${(err as Error).message}): run bash scripts/services/redis.sh`);
  }
  await store.reset();
  return { store, cleanup: async () => { await store.reset(); await store.close(); } };
}

async function openSql(target: TestTarget): Promise<Opened> {
  const store = await createSqlEngine(target.url);
  return { store, cleanup: async () => { await store.close(); await target.cleanup(); } };
}

const engines: Array<[string, () => Promise<Opened>]> = [
  ['sqlite3', () => openSql(freshSqliteTarget())],
  ['redis', openRedis],
  ['postgres', async () => openSql(await freshPgTarget())],
  ['mysql', async () => openSql(await freshMysqlTarget())],
];

const input = sample;

describe.each(engines)('dump/load on %s', (_name, open) => {
  let db: Opened;
  beforeEach(async () => { db = await open(); });
  afterEach(async () => { await db.cleanup(); });

  it('loads metadata.sample and dumps the same tree back', async () => {
    const result = await loadMeta(db.store, input, extrasOf(db.store));
    expect(result.nodes).toBe(16);
    const out = await dumpToString(db.store);
    expect(trees(out)).toBe(trees(input));
  });

  it('recomputes counters from the tree and keeps settings, deleted files and redaction', async () => {
    const result = await loadMeta(db.store, input, extrasOf(db.store));
    // 14 nodes besides root and trash root; 16 distinct slice ids up to 8; inodes up to 34.
    expect(result.counters).toEqual({ usedSpace: 115392512 - 0, usedInodes: 14, nextInode: 35, nextChunk: 9, nextSession: 0, nextTrash: 1, lastChangelog: 0 });
    expect(result.skipped).toEqual([]);
    const h = header(await dumpToString(db.store));
    const expected = header(sample);
    expect(h['Setting']).toEqual(expected['Setting']);
    expect(h['Counters']).toEqual(expected['Counters']);
    expect(h['DelFiles']).toEqual(expected['DelFiles']);
    expect(h['Sustained']).toEqual([]);
    for (const k of ['Quotas', 'UserQuotas', 'GroupQuotas']) expect(h[k]).toEqual(expected[k]);
  });

  it('loads a stream line by line, split anywhere, and a minified dump whole, to the same result', async () => {
    // 7-byte pieces split lines and multi-byte characters (the GBK and UTF-8 names) alike.
    const bytes = Buffer.from(input, 'utf8');
    const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const result = await loadMeta(db.store, Readable.from(pieces), extrasOf(db.store));
    expect(result.nodes).toBe(16);
    const out = await dumpToString(db.store);
    expect(trees(out)).toBe(trees(input));
    const other = await open();
    try {
      const minified = Readable.from([Buffer.from(input.replace(/\n\s*/g, ''), 'utf8')]);
      await loadMeta(other.store, minified, extrasOf(other.store));
      expect(await dumpToString(other.store)).toBe(out);
    } finally {
      await other.cleanup();
    }
  });

  it('names the place of a broken tree line', async () => {
    const broken = input.replace('"symlink": "d"', '"symlink" "d"');
    await expect(loadMeta(db.store, Readable.from([broken]), extrasOf(db.store))).rejects.toThrow(/expected a member.*"symlink" "d"/);
  });

  it('refuses to load into a database that is not empty', async () => {
    await loadMeta(db.store, input, extrasOf(db.store));
    await expect(loadMeta(db.store, input)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('SQLite -> Redis -> PostgreSQL', () => {
  const opened: Opened[] = [];
  afterAll(async () => { for (const o of opened) await o.cleanup(); });

  it('loses nothing on the way', async () => {
    let text = input;
    for (const [, open] of engines) {
      const db = await open();
      opened.push(db);
      await loadMeta(db.store, text, extrasOf(db.store));
      const out = await dumpToString(db.store);
      expect(trees(out)).toBe(trees(input));
      expect(header(out)).toEqual(header(text));
      text = out;
    }
  });
});
