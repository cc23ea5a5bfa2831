import { PassThrough, Readable } from 'node:stream';
import { context, defaultFormat, encodeFormat, LockType, ROOT_CONTEXT, type Format } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { parseChangeLogLine, unescapeChangeLogBytes, type ParsedChangeLogLine } from '../src/base/changelog.js';
import type { EngineStore } from '../src/base/store.js';
import { dumpMeta, dumpMetaBinary, loadMeta, loadMetaBinary } from '../src/dump/index.js';
import type { RedisEngine } from '../src/redis/engine.js';
import type { SqlEngine } from '../src/sql/engine.js';
import { everyEngine, volumePerTest } from './base-helpers.js';

// JuiceFS 1.4's change log on every engine: with ChangeLog in the format each committed change
// appends one line in its own transaction (a failed operation none), versions count up from 1,
// the lines sit where Go keeps them (Redis txnLog/txnLastLog, SQL jfs_change_log), retention
// trims them, and dumps carry the last version over to the loaded volume.

const root = ROOT_CONTEXT;
const alice = context(1000, 1000);

const { engines, release } = everyEngine();
afterAll(release);

function volumeFormat(extra: Partial<Format> = {}): Format {
  return { ...defaultFormat('clog', '0f7a5e55-0000-4000-8000-00000000c10a', '/tmp/clog/'), TrashDays: 0, ...extra };
}

async function lines(meta: BaseMeta, after = 0): Promise<Array<ParsedChangeLogLine & { version: number }>> {
  return (await meta.readChangeLog(after, 10_000)).map((e) => {
    const parsed = parseChangeLogLine(e.entry);
    if (!parsed) throw new Error(`line ${e.version} is not in the change log's shape: ${e.entry}`);
    return { ...parsed, version: e.version };
  });
}

describe.each(engines)('the change log on %s', (name, makeVolume) => {
  const t = volumePerTest(makeVolume);
  let store: EngineStore;

  async function client(format?: Format): Promise<BaseMeta> {
    store = await t.volume.open();
    const meta = new BaseMeta(store);
    if (format) await meta.init(format);
    await meta.load();
    await meta.newSession();
    t.clients.push(meta);
    return meta;
  }

  test('every committed change appends one line, in order, with its arguments; failures append none', async () => {
    const meta = await client(volumeFormat({ ChangeLog: true, ChangeLogMaxAge: 7200 }));
    const sid = meta.sid;
    const before = Math.floor(Date.now() / 1000);
    const dir = (await meta.mkdir(root, 1n, 'd', 0o777, 0)).ino;
    const file = (await meta.create(alice, dir, 'a b,c(d)|e:f%', 0o644, 0o022, 0)).ino;
    expect((await meta.create(alice, dir, 'a b,c(d)|e:f%', 0o644, 0, 0).catch((e: { code: string }) => e.code))).toBe('EEXIST');
    await meta.write(alice, file, 0, { pos: 0, id: 7, size: 4096, off: 0, len: 4096 });
    await meta.truncate(alice, file, 100);
    await meta.fallocate(alice, file, 0, 0, 8192);
    await meta.setAttr(alice, file, { mode: 0o600 });
    await meta.setXattr(alice, file, 'user.k', Buffer.from([0, 0x7c, 0x41]), 0);
    await meta.removeXattr(alice, file, 'user.k');
    await meta.link(alice, file, dir, 'hard');
    await meta.symlink(alice, dir, 'sym', 'target,1');
    await meta.rename(alice, dir, 'hard', dir, 'moved');
    await meta.flock(alice, file, 5n, 'W', false);
    await meta.setlk(alice, file, 5n, false, { type: LockType.Read, start: 0n, end: 9n, pid: 42 });
    await meta.unlink(alice, dir, 'moved');
    await meta.unlink(alice, dir, 'sym');
    await meta.unlink(alice, dir, 'a b,c(d)|e:f%');
    await meta.rmdir(root, 1n, 'd');

    const got = await lines(meta);
    expect(got.map((l) => l.op)).toEqual([
      'CREATE', 'CREATE', 'WRITE', 'TRUNCATE', 'FALLOCATE', 'SETATTR', 'SETXATTR', 'REMOVEXATTR', 'LINK', 'CREATE',
      'MOVE', 'FLOCK', 'SETLK', 'UNLINK', 'UNLINK', 'UNLINK', 'RMDIR',
    ]);
    expect(got.map((l) => l.version)).toEqual(got.map((_, i) => i + 1));
    expect(await meta.lastChangeLogVersion()).toBe(got.length);
    // One session, transaction numbers rising, times of this test.
    for (const l of got) {
      expect(l.sid).toBe(sid);
      expect(l.sec).toBeGreaterThanOrEqual(before);
      expect(l.sec).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    }
    expect(got.map((l) => l.txnId)).toEqual([...got.map((l) => l.txnId)].sort((a, b) => a - b));
    const [mkdir, create, write, truncate, , setattr, setxattr, , link, symlink, move] = got;
    expect(mkdir).toMatchObject({ args: ['1', 'd', '2', String(0o777), '0', '0'], result: String(dir) });
    // Separators in names are escaped, so the arguments split cleanly and come back whole.
    expect(create!.args).toHaveLength(6);
    expect(unescapeChangeLogBytes(create!.args[1]!).toString()).toBe('a b,c(d)|e:f%');
    expect(create!.result).toBe(String(file));
    expect(write).toMatchObject({ args: [String(file), '0', '0', '7', '4096', '0', '4096'], result: '4096' });
    expect(truncate!.args).toEqual([String(file), '100']);
    expect(setattr!.args.slice(0, 4)).toEqual([String(file), String(0o600), '1000', '1000']);
    expect(unescapeChangeLogBytes(setxattr!.args[2]!)).toEqual(Buffer.from([0, 0x7c, 0x41]));
    expect(link!.args).toEqual([String(file), String(dir), 'hard']);
    expect(unescapeChangeLogBytes(symlink!.args[6]!).toString()).toBe('target,1');
    expect(move!.args).toEqual([String(dir), 'hard', String(dir), 'moved', '0']);

    // Where the Go client keeps them.
    if (name === 'redis') {
      const r = store as RedisEngine;
      expect(await r.client.llen('txnLog')).toBe(got.length);
      expect(await r.client.get('txnLastLog')).toBe(String(got.length));
    }
    if (name === 'sqlite3' || name === 'postgres' || name === 'mysql') {
      const rows = await (store as SqlEngine).raw((c) => c.all('SELECT "id","entry" FROM "jfs_change_log" ORDER BY "id"'));
      expect(rows.map((r) => Number(r['id']))).toEqual(got.map((l) => l.version));
    }
    // Reading from a version returns only what follows it.
    expect((await lines(meta, got.length - 2)).map((l) => l.version)).toEqual([got.length - 1, got.length]);
    expect(await meta.readChangeLog(got.length, 10)).toEqual([]);
  });

  test('a volume without ChangeLog writes no lines; another client turning it on is picked up within a heartbeat', async () => {
    const meta = await client(volumeFormat());
    await meta.mkdir(root, 1n, 'quiet', 0o755, 0);
    expect(await meta.lastChangeLogVersion()).toBe(0);
    if (name !== 'sqlite3') return; // the pick-up below waits for a heartbeat: one engine shows it
    await meta.closeSession();
    await meta.newSession({ heartbeat: 1 });
    const raw = JSON.parse((await store.getFormat())!) as Format;
    await store.setFormat(encodeFormat({ ...raw, ChangeLog: true }));
    const deadline = Date.now() + 10_000;
    let n = 0;
    while (n === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      await meta.mkdir(root, 1n, `d${Date.now()}`, 0o755, 0);
      n = await meta.lastChangeLogVersion();
    }
    expect(n).toBeGreaterThan(0);
  }, 20_000);

  test('retention: the background job drops lines past ChangeLogMaxLines and older than ChangeLogMaxAge', async () => {
    const meta = await client(volumeFormat({ ChangeLog: true, ChangeLogMaxLines: 3 }));
    for (let i = 0; i < 5; i++) await meta.mkdir(root, 1n, `d${i}`, 0o755, 0);
    const now = Math.floor(Date.now() / 1000);
    expect(await meta.runBackgroundJobs(now)).toMatchObject({ changeLogLines: 2 });
    expect((await lines(meta)).map((l) => l.version)).toEqual([3, 4, 5]);
    // The job is shared: within its interval nobody runs it again.
    await meta.mkdir(root, 1n, 'd5', 0o755, 0);
    expect(await meta.runBackgroundJobs(now + 1)).toMatchObject({ changeLogLines: 0 });

    // By age: a client with a one-second window, a minute later, drops all but nothing newer.
    const raw = JSON.parse((await store.getFormat())!) as Format;
    await store.setFormat(encodeFormat({ ...raw, ChangeLogMaxLines: 0, ChangeLogMaxAge: 1 }));
    const other = await client();
    expect(await other.runBackgroundJobs(now + 60)).toMatchObject({ changeLogLines: 4 });
    expect(await other.readChangeLog(0)).toEqual([]);
    // Versions go on from where they were.
    await other.mkdir(root, 1n, 'after', 0o755, 0);
    expect((await lines(other)).map((l) => l.version)).toEqual([7]);
  });

  test('a dump records the last version; loading it makes the next line follow on', async () => {
    const meta = await client(volumeFormat({ ChangeLog: true, ChangeLogMaxAge: 7200 }));
    for (let i = 0; i < 4; i++) await meta.mkdir(root, 1n, `d${i}`, 0o755, 0);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    await dumpMeta(store, out);
    out.end();
    const json = Buffer.concat(chunks).toString('utf8');
    expect(JSON.parse(json).Counters.lastChangelog).toBe(4);
    const binary = new PassThrough();
    const pieces: Buffer[] = [];
    binary.on('data', (b: Buffer) => pieces.push(b));
    await dumpMetaBinary(store, binary);
    binary.end();

    // Into a fresh volume of the same engine (the source goes first: Redis tests share one database).
    for (const c of t.clients.splice(0)) await c.shutdown();
    await t.volume.cleanup();
    t.volume = await makeVolume();
    const target = await t.volume.open();
    await loadMeta(target, json);
    const loaded = new BaseMeta(target);
    await loaded.load();
    await loaded.newSession();
    t.clients.push(loaded);
    expect(await loaded.lastChangeLogVersion()).toBe(4);
    await loaded.mkdir(root, 1n, 'next', 0o755, 0);
    expect((await lines(loaded)).map((l) => l.version)).toEqual([5]);

    // The binary dump carries it as the counter lastChangelog.
    for (const c of t.clients.splice(0)) await c.shutdown();
    await t.volume.cleanup();
    t.volume = await makeVolume();
    const fromBinary = await t.volume.open();
    await loadMetaBinary(fromBinary, Readable.from([Buffer.concat(pieces)]));
    expect(await fromBinary.changeLog!.last()).toBe(4);
  });
});

