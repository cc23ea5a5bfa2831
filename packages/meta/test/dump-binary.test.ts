import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { EngineStore } from '../src/base/store.js';
import { readCounters, writeCounters } from '../src/dump/counters.js';
import { dumpMeta, dumpMetaBinary, engineExtras, loadMeta, loadMetaBinary, readBackup } from '../src/dump/index.js';
import { BAK_MAGIC, encodeSegment } from '../src/dump/backup-file.js';
import type { Segment } from '../src/dump/backup-file.js';
import { encodeFooter } from '../src/dump/backup-pb.js';
import { createRedisEngine } from '../src/redis/index.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget } from '../src/sql/test-targets.js';
import type { TestTarget } from '../src/sql/test-targets.js';
import { claimRedisDb } from './redis-claim.js';
import type { ClaimedDb } from './redis-claim.js';

// A volume with files, directories, a hard link, symlinks, xattrs, ACLs, a directory quota, trash
// entries, a deleted file with data and a sustained (open but unlinked) file is dumped to binary,
// loaded into a fresh engine of each kind and compared through the JSON dump; binary -> load ->
// binary must give the same bytes.

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
// User and group quotas have no place in upstream's binary format (its Quota message is per inode).
const sample = fs.readFileSync(path.join(fixtures, 'metadata.sample'), 'utf8')
  .replace(/ {2}"UserQuotas": \{[\s\S]*?\n {2}\},\n {2}"GroupQuotas": \{[\s\S]*?\n {2}\},\n/, '');

interface Opened { store: EngineStore; cleanup(): Promise<void> }

async function openSql(target: TestTarget): Promise<Opened> {
  const store = await createSqlEngine(target.url);
  return { store, cleanup: async () => { await store.close(); await target.cleanup(); } };
}

async function openRedis(): Promise<Opened> {
  let claim: ClaimedDb;
  try {
    claim = await claimRedisDb();
  } catch (err) {
    throw new Error(`Redis test server not reachable (${(err as Error).message}): run bash scripts/services/redis.sh`);
  }
  const store = await createRedisEngine(claim.url);
  await claim.reset();
  return { store, cleanup: async () => { await store.close(); await claim.release(); } };
}

const engines: Array<[string, () => Promise<Opened>]> = [
  ['sqlite3', () => openSql(freshSqliteTarget())],
  ['redis', openRedis],
  ['postgres', async () => openSql(await freshPgTarget())],
  ['mysql', async () => openSql(await freshMysqlTarget())],
];

function extrasOf(store: EngineStore) {
  const extras = engineExtras(store);
  if (!extras) throw new Error(`engine ${store.name} has no quota/ACL access`);
  return { extras };
}

async function collect(write: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  await write(out);
  out.end();
  return Buffer.concat(parts);
}

const jsonDump = async (store: EngineStore) => (await collect((o) => dumpMeta(store, o, extrasOf(store)))).toString('utf8');
const binDump = (store: EngineStore, batch?: number, threads?: number) =>
  collect((o) => dumpMetaBinary(store, o, { ...extrasOf(store), keepSecretKey: true, ...(batch ? { batch } : {}), ...(threads ? { threads } : {}) }));

/** The sample plus what JSON cannot show: a sustained file (inode 35, slice 9) and data of deleted inode 23 (slice 10). */
async function buildVolume(store: EngineStore): Promise<void> {
  await loadMeta(store, sample, extrasOf(store));
  const sid = await store.newSessionId();
  await store.setSession(sid, 2000000000, undefined);
  const root = await store.txn((tx) => tx.getAttr(1n));
  await store.txn(async (tx) => {
    tx.setAttr(35n, { ...root!, type: 1, mode: 0o644, nlink: 0, length: 100, parent: 0n, accessACL: 0, defaultACL: 0 });
    tx.setChunk(35n, 0, [{ id: 9, pos: 0, size: 4096, off: 0, len: 100 }]);
    tx.newSliceRef(9, 4096);
    tx.addSustained(sid, 35n);
    tx.setChunk(23n, 0, [{ id: 10, pos: 0, size: 8192, off: 0, len: 8192 }]);
    tx.newSliceRef(10, 8192);
  });
  const c = await readCounters(store);
  await writeCounters(store, { ...c, usedInodes: c.usedInodes + 1, usedSpace: c.usedSpace + 4096, nextInode: 36, nextChunk: 11 });
}

describe.each(engines)('binary dump from %s', (_name, open) => {
  let src: Opened;
  let bin: Buffer;
  let json: string;
  beforeAll(async () => {
    src = await open();
    await buildVolume(src.store);
    bin = await binDump(src.store);
    json = await jsonDump(src.store);
  });
  afterAll(async () => { await src.cleanup(); });

  it('holds the sustained file and the deleted file data', () => {
    expect(json).toContain('"Sustained": [\n    {\n      "sid": 1,\n      "inodes": [\n        35\n      ]');
  });

  it.each(engines)('loads into %s with the same JSON dump, and dumps back to the same bytes', async (_to, openTarget) => {
    const dst = await openTarget();
    try {
      // 5-byte pieces: segment framing split anywhere.
      const pieces = Array.from({ length: Math.ceil(bin.length / 5) }, (_, i) => bin.subarray(i * 5, i * 5 + 5));
      const result = await loadMetaBinary(dst.store, Readable.from(pieces), extrasOf(dst.store));
      expect(result.skipped).toEqual([]);
      expect(await jsonDump(dst.store)).toBe(json);
      expect((await binDump(dst.store)).equals(bin)).toBe(true);
      expect(await dst.store.listSustained(1)).toEqual([35n]);
      expect(await dst.store.txn((tx) => tx.getChunk(23n, 0))).toEqual([{ id: 10, pos: 0, size: 8192, off: 0, len: 8192 }]);
    } finally {
      await dst.cleanup();
    }
  });

  it('removes SecretKey, SessionToken and EncryptKey unless asked to keep them, as upstream does', async () => {
    const redacted = await collect((o) => dumpMetaBinary(src.store, o, extrasOf(src.store)));
    const format = await readBackup(Readable.from([redacted])).next();
    expect(format.value).toMatchObject({ kind: 'format' });
    const text = format.value && 'json' in format.value ? format.value.json : '';
    expect(text).toContain('"EncryptKey": "removed"');
    expect(text).toContain('"SecretKey": "removed"');
    expect(bin.toString('latin1')).toContain('"EncryptKey": "AQSttslKOSE/');
  });

  it('writes the same bytes with 4 threads reading ahead', async () => {
    expect((await binDump(src.store, undefined, 4)).equals(bin)).toBe(true);
  });

  it('splits records into batches of the given size without changing what loads', async () => {
    const small = await binDump(src.store, 3);
    const reader = readBackup(Readable.from([small]));
    const nodeSegments: number[] = [];
    for (;;) {
      const n = await reader.next();
      if (n.done) {
        expect(n.value.infos.get('node')?.num).toBe(17); // 16 in the tree + the sustained one
        break;
      }
      if (n.value.kind === 'node') nodeSegments.push(n.value.list.length);
    }
    expect(Math.max(...nodeSegments)).toBe(3);
    const dst = await open();
    try {
      await loadMetaBinary(dst.store, Readable.from([small]), extrasOf(dst.store));
      expect(await jsonDump(dst.store)).toBe(json);
    } finally {
      await dst.cleanup();
    }
  });
});

/**
 * The same records laid out as upstream's SQL dumper writes them: segments grouped by kind in its
 * order (format, counter, node, chunk, edge, parent, symlink, sustained, delFile, sliceRef, acl,
 * xattr, quota, stat), an empty segment (length 0) after each kind as its dumper leaves when a
 * list is empty, Redis's extra counter names, and a footer we do not check beyond its magic.
 */
async function upstreamLayout(bin: Buffer): Promise<Buffer> {
  const byKind = new Map<string, Segment[]>();
  const reader = readBackup(Readable.from([bin]));
  for (;;) {
    const n = await reader.next();
    if (n.done) break;
    const list = byKind.get(n.value.kind) ?? [];
    list.push(n.value);
    byKind.set(n.value.kind, list);
  }
  const parts: Buffer[] = [];
  for (const kind of ['format', 'counter', 'node', 'chunk', 'edge', 'parent', 'symlink', 'sustained', 'delFile', 'sliceRef', 'acl', 'xattr', 'quota', 'stat'] as const) {
    const segs = (byKind.get(kind) ?? []).slice().reverse(); // order within a kind does not matter either
    if (kind === 'counter') {
      const first = segs[0];
      if (first && first.kind === 'counter') first.list.push({ key: 'nextCleanupSlices', value: 7 }, { key: 'lastCleanupSessions', value: 1700000000 });
    }
    for (const s of segs) parts.push(encodeSegment(s));
    if (kind !== 'format') parts.push(encodeSegment({ kind, list: [] } as Segment));
  }
  const eos = Buffer.alloc(4);
  eos.writeUInt32BE(BAK_MAGIC, 0);
  const footer = encodeFooter({ magic: BAK_MAGIC, version: 1, infos: new Map() });
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(footer.length), 0);
  return Buffer.concat([...parts, eos, footer, len]);
}

describe('a binary dump in upstream\'s SQL layout', () => {
  it('loads to the same volume as ours', async () => {
    const src = await openSql(freshSqliteTarget());
    const dst = await openSql(freshSqliteTarget());
    try {
      await buildVolume(src.store);
      const ours = await binDump(src.store);
      const theirs = await upstreamLayout(ours);
      expect(theirs.equals(ours)).toBe(false);
      await loadMetaBinary(dst.store, Readable.from([theirs]), extrasOf(dst.store));
      expect(await jsonDump(dst.store)).toBe(await jsonDump(src.store));
      expect((await binDump(dst.store)).equals(ours)).toBe(true);
    } finally {
      await src.cleanup();
      await dst.cleanup();
    }
  });
});

describe('binary load refuses what is not a binary dump', () => {
  let db: Opened;
  beforeEach(async () => { db = await openSql(freshSqliteTarget()); });
  afterEach(async () => { await db.cleanup(); });

  it('says a JSON dump is JSON', async () => {
    await expect(loadMetaBinary(db.store, Readable.from([Buffer.from(sample)]))).rejects.toThrow(/not a JuiceFS binary dump.*looks like a JSON dump/);
  });

  it('rejects an empty file and a truncated one', async () => {
    await expect(loadMetaBinary(db.store, Readable.from([Buffer.alloc(0)]))).rejects.toThrow(/not a JuiceFS binary dump.*it is empty/);
    const src = await openSql(freshSqliteTarget());
    try {
      await buildVolume(src.store);
      const bin = await binDump(src.store);
      await expect(loadMetaBinary(db.store, Readable.from([bin.subarray(0, bin.length - 100)]))).rejects.toThrow(/invalid binary dump/);
    } finally {
      await src.cleanup();
    }
  });

  it('refuses a database that is not empty before reading', async () => {
    await loadMeta(db.store, sample, extrasOf(db.store));
    await expect(loadMetaBinary(db.store, Readable.from([Buffer.from([0, 0, 0, 1])]))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
