import { Redis } from 'ioredis';
import { CHUNK_SIZE, NodeType, type Attr, type Ino } from '@juicefs/core';
import { createRedisEngine, parseRedisUrl, type RedisEngine } from '../src/redis/index.js';
import { encodeAttr } from '../src/codec/attr.js';
import { encodeSlice } from '../src/codec/slice.js';
import { encodePlocks } from '../src/codec/plock.js';

// Real Redis from scripts/services/redis.sh. Each test claims a database of its own (a claim key
// set with NX inside it) so parallel test files never share one.
const BASE_URL = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const CLAIM_KEY = '__jfs_test_claim';
const DB_RANGE = [16, 40] as const; // other test files use fixed databases outside 16..39

let admin: Redis;
const claimed: number[] = [];

beforeAll(async () => {
  admin = new Redis(`${BASE_URL}/0`, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${BASE_URL}: run bash scripts/services/redis.sh first (${String(err)})`);
  }
});

afterAll(async () => {
  for (const db of claimed) {
    await admin.select(db);
    await admin.flushdb();
  }
  await admin.quit();
});

/** Claim a free database number, empty it, and return its URL. */
async function claimDb(): Promise<{ db: number; url: string; raw: Redis }> {
  const start = DB_RANGE[0] + Math.floor(Math.random() * (DB_RANGE[1] - DB_RANGE[0]));
  for (let i = 0; i < DB_RANGE[1] - DB_RANGE[0]; i++) {
    const db = DB_RANGE[0] + ((start - DB_RANGE[0] + i) % (DB_RANGE[1] - DB_RANGE[0]));
    await admin.select(db);
    if ((await admin.set(CLAIM_KEY, String(process.pid), 'EX', 600, 'NX')) !== 'OK') continue;
    await admin.flushdb();
    await admin.set(CLAIM_KEY, String(process.pid), 'EX', 600);
    claimed.push(db);
    const raw = new Redis(`${BASE_URL}/${db}`);
    return { db, url: `${BASE_URL}/${db}`, raw };
  }
  throw new Error('no free Redis test database in 16..39');
}

function attr(over: Partial<Attr> = {}): Attr {
  return {
    flags: 0, type: NodeType.File, mode: 0o644, uid: 1, gid: 2, atime: 10, atimensec: 1, mtime: 11,
    mtimensec: 2, ctime: 12, ctimensec: 3, nlink: 1, length: 0, rdev: 0, parent: 1n, accessACL: 0,
    defaultACL: 0, tier: 0, ...over,
  };
}

describe('Redis meta URL', () => {
  it('parses host, port, db, user and password', () => {
    const t = parseRedisUrl('redis://alice:s%40cret@example.com:6380/3?read-timeout=5s', {});
    expect(t).toMatchObject({ topology: 'standalone', db: 3, address: 'example.com:6380' });
    expect(t.options).toMatchObject({ host: 'example.com', port: 6380, db: 3, username: 'alice', password: 's@cret' });
  });
  it('defaults the scheme, port and db, and takes the password from the environment', () => {
    const t = parseRedisUrl('localhost', { REDIS_PASSWORD: 'pw' });
    expect(t.options).toMatchObject({ host: 'localhost', port: 6379, db: 0, password: 'pw' });
    expect(parseRedisUrl('redis://h', { META_PASSWORD: 'mp' }).options.password).toBe('mp');
  });
  it('parses rediss, unix sockets and Sentinel', () => {
    expect(parseRedisUrl('rediss://h:1/2', {}).options.tls).toEqual({});
    expect(parseRedisUrl('unix:///run/redis.sock?db=5', {})).toMatchObject({ topology: 'unix', db: 5, address: '/run/redis.sock' });
    const s = parseRedisUrl('redis://mymaster,s1,s2:26380/4', { SENTINEL_PASSWORD: 'sp' });
    expect(s.topology).toBe('sentinel');
    expect(s.options).toMatchObject({ name: 'mymaster', db: 4, sentinelPassword: 'sp', sentinels: [{ host: 's1', port: 26380 }, { host: 's2', port: 26380 }] });
  });
  it('refuses a bad database number', () => {
    expect(() => parseRedisUrl('redis://h/x', {})).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('Redis engine on a real server', () => {
  let db: { db: number; url: string; raw: Redis };

  /**
   * What the client sent to this test's database while `run` ran (lower-cased; `inScript`: what
   * Lua scripts ran inside the server), seen through MONITOR. monitor() resolves once the server
   * acknowledged it, and an ECHO after `run` marks the end, so nothing is missed either side.
   */
  /** Directory 1 holding `f` → inode 5 (a file with attr()); returns the directory's attributes. */
  const directoryWithFile = async (): Promise<Attr> => {
    const dir = attr({ type: NodeType.Directory, mode: 0o755, length: 4096 });
    await engine.txn(async (tx) => {
      tx.setAttr(1n, dir);
      tx.setAttr(5n, attr());
      tx.setEntry(1n, Buffer.from('f'), 5n, NodeType.File);
    });
    return dir;
  };

  const commandsOf = async <T>(run: () => Promise<T>): Promise<{ result: T; sent: string[]; inScript: string[] }> => {
    const monitor = await db.raw.monitor();
    const sent: string[] = [];
    const inScript: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
      if (database === String(db.db)) (source === 'lua' ? inScript : sent).push(args.join(' ').toLowerCase());
    });
    const result = await run();
    await db.raw.echo('done');
    for (let i = 0; i < 100 && !sent.includes('echo done'); i++) await new Promise((r) => setTimeout(r, 10));
    monitor.disconnect();
    return { result, sent: sent.filter((c) => c !== 'echo done'), inScript };
  };
  let engine: RedisEngine;

  beforeEach(async () => {
    db = await claimDb();
    engine = (await createRedisEngine(db.url)) as RedisEngine;
  });
  afterEach(async () => {
    await engine.close();
    db.raw.disconnect();
  });

  it('fails fast, naming the address, when the server is down', async () => {
    await expect(createRedisEngine('redis://127.0.0.1:1/0')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(/127\.0\.0\.1:1 .*Start the server or fix the meta URL/),
    });
  });

  it('stores the format record under `setting`', async () => {
    expect(await engine.getFormat()).toBeUndefined();
    await engine.setFormat('{"Name":"v"}');
    expect(await db.raw.get('setting')).toBe('{"Name":"v"}');
    expect(await engine.getFormat()).toBe('{"Name":"v"}');
  });

  it('allocates inodes from `nextinode` (last reserved) as the Go client does', async () => {
    expect(await engine.allocInodes(1024)).toBe(1n); // 1..1024; the caller skips 1 (the root)
    expect(await db.raw.get('nextinode')).toBe('1024');
    expect(await engine.allocInodes(1024)).toBe(1025n);
    expect(await db.raw.get('nextinode')).toBe('2048');
    expect(await engine.allocSlices(4096)).toBe(1);
    expect(await engine.allocSlices(4096)).toBe(4097);
    expect(await db.raw.get('nextchunk')).toBe('8192');
    expect(await engine.newSessionId()).toBe(1);
    expect(await db.raw.get('nextsession')).toBe('1');
    expect(await engine.incrCounter('nextTrash', 1)).toBe(1);
    expect(await db.raw.get('nextTrash')).toBe('1');
  });

  it('writes attributes, entries, symlinks, xattrs and parents under their JuiceFS keys', async () => {
    const name = Buffer.from([0x47, 0x42, 0x4b, 0xb9, 0xfb]); // not UTF-8
    await engine.txn(async (tx) => {
      tx.setAttr(5n, attr({ length: 12 }));
      tx.setEntry(1n, name, 5n, NodeType.File);
      tx.setSymlink(6n, Buffer.from('target'));
      tx.setXattr(5n, 'user.k', Buffer.from('v'));
      tx.addParent(5n, 1n, 1);
      tx.addParent(5n, 3n, 2);
      // reads inside the transaction see its own writes
      expect(await tx.getAttr(5n)).toEqual(attr({ length: 12 }));
      expect(await tx.getEntry(1n, name)).toEqual({ ino: 5n, type: NodeType.File });
      expect(await tx.getParents(5n)).toEqual(new Map([[1n, 1], [3n, 2]]));
    });
    expect(await db.raw.getBuffer('i5')).toEqual(encodeAttr(attr({ length: 12 })));
    expect((await db.raw.hgetBuffer('d1', name))?.toString('hex')).toBe('010000000000000005');
    expect(await db.raw.get('s6')).toBe('target');
    expect(await db.raw.hget('x5', 'user.k')).toBe('v');
    expect(await db.raw.hget('p5', '3')).toBe('2');
    await engine.txn(async (tx) => {
      expect(await tx.getAttrs([5n, 7n])).toEqual([attr({ length: 12 }), undefined]);
      expect(await tx.getSymlink(6n)).toEqual(Buffer.from('target'));
      expect(await tx.listXattr(5n)).toEqual(['user.k']);
      expect(await tx.getXattr(5n, 'user.k')).toEqual(Buffer.from('v'));
      expect(await tx.hasEntries(1n)).toBe(true);
      expect(await tx.hasEntries(2n)).toBe(false);
      tx.deleteEntry(1n, name);
      expect(await tx.hasEntries(1n)).toBe(false);
      tx.removeXattr(5n, 'user.k');
      tx.deleteSymlink(6n);
      tx.addParent(5n, 3n, -2);
      expect(await tx.getParents(5n)).toEqual(new Map([[1n, 1]]));
    });
    expect(await db.raw.exists('d1', 'x5', 's6')).toBe(0);
    await engine.txn(async (tx) => {
      tx.deleteAttr(5n);
      tx.deleteParents(5n);
      tx.deleteXattrs(5n);
    });
    expect(await db.raw.exists('i5', 'p5')).toBe(0);
  });

  it('appends 24-byte slice records to `c<ino>_<indx>` and lists chunks', async () => {
    const s1 = { pos: 0, id: 7, size: 100, off: 0, len: 100 };
    const s2 = { pos: 50, id: 0, size: 0, off: 0, len: 10 };
    await engine.txn(async (tx) => {
      tx.appendSlice(9n, 0, s1);
      tx.appendSlice(9n, 0, s2);
      tx.appendSlice(9n, 3, s1);
      expect(await tx.getChunk(9n, 0)).toEqual([s1, s2]);
    });
    expect(await db.raw.lrangeBuffer('c9_0', 0, -1)).toEqual([encodeSlice(s1), encodeSlice(s2)]);
    await db.raw.set('c99_0', 'x'); // another inode's chunk with a shared prefix
    await engine.txn(async (tx) => {
      expect(await tx.listChunks(9n)).toEqual([0, 3]);
      tx.setChunk(9n, 0, [s2]);
      tx.deleteChunk(9n, 3);
      expect(await tx.getChunk(9n, 0)).toEqual([s2]);
      expect(await tx.listChunks(9n)).toEqual([0]);
    });
    expect(await db.raw.lrangeBuffer('c9_0', 0, -1)).toEqual([encodeSlice(s2)]);
    expect(await db.raw.exists('c9_3')).toBe(0);
  });

  it('finds chunks by probing up to the length of the attribute or of the delfiles member', async () => {
    const s1 = { pos: 0, id: 7, size: 100, off: 0, len: 100 };
    await engine.txn(async (tx) => {
      tx.setAttr(11n, attr({ length: 3 * CHUNK_SIZE + 100 }));
      tx.appendSlice(11n, 0, s1);
      tx.appendSlice(11n, 3, s1);
    });
    expect(await engine.txn((tx) => tx.listChunks(11n))).toEqual([0, 3]);
    // removed file: the length comes from `delfiles`
    await engine.txn(async (tx) => {
      tx.deleteAttr(11n);
      tx.addDelFile(11n, 3 * CHUNK_SIZE + 100, 1700000000);
    });
    expect(await engine.txn((tx) => tx.listChunks(11n))).toEqual([0, 3]);
    // the transaction's own changes count
    await engine.txn(async (tx) => {
      tx.deleteChunk(11n, 0);
      tx.appendSlice(11n, 2, s1);
      expect(await tx.listChunks(11n)).toEqual([2, 3]);
    });
  });

  it('keeps slice reference counts as count - 1 in `sliceRef`', async () => {
    await engine.txn(async (tx) => {
      tx.newSliceRef(7, 100);
      expect(await tx.addSliceRef(7, 100, 1)).toBe(2);
    });
    expect(await db.raw.hget('sliceRef', 'k7_100')).toBe('1');
    await engine.txn(async (tx) => {
      expect(await tx.addSliceRef(7, 100, -1)).toBe(1);
      expect(await tx.addSliceRef(7, 100, -1)).toBe(0);
      expect(await tx.addSliceRef(8, 4096, -1)).toBe(0);
    });
    expect(await db.raw.hgetall('sliceRef')).toEqual({ k7_100: '-1', k8_4096: '-1' });
    expect(await engine.listPendingSlices(10)).toEqual(expect.arrayContaining([{ id: 7, size: 100 }, { id: 8, size: 4096 }]));
    await engine.removeSliceRef(7);
    expect(await db.raw.hgetall('sliceRef')).toEqual({ k8_4096: '-1' });
  });

  it('adds counters and directory statistics', async () => {
    await engine.txn(async (tx) => {
      tx.addCounter('usedSpace', 4096);
      tx.addCounter('totalInodes', 1);
      tx.initDirStat(3n);
      tx.addDirStat(3n, { length: 12, space: 4096, inodes: 1 });
      expect(await tx.getCounter('usedSpace')).toBe(4096);
      expect(await tx.getDirStat(3n)).toEqual({ length: 12, space: 4096, inodes: 1 });
      expect(await tx.getDirStat(4n)).toBeUndefined();
    });
    expect(await db.raw.mget('usedSpace', 'totalInodes')).toEqual(['4096', '1']);
    expect(await db.raw.hget('dirDataLength', '3')).toBe('12');
    expect(await db.raw.hget('dirUsedSpace', '3')).toBe('4096');
    expect(await db.raw.hget('dirUsedInodes', '3')).toBe('1');
    await engine.txn(async (tx) => tx.deleteDirStat(3n));
    expect(await db.raw.exists('dirDataLength', 'dirUsedSpace', 'dirUsedInodes')).toBe(0);
    // a directory whose stats are not tracked (e.g. made by a pre-1.1 client) stays untracked
    await engine.txn(async (tx) => {
      tx.addDirStat(4n, { length: 1, space: 4096, inodes: 1 });
      expect(await tx.getDirStat(4n)).toBeUndefined();
    });
    expect(await db.raw.exists('dirDataLength', 'dirUsedSpace', 'dirUsedInodes')).toBe(0);
  });

  it('queues deleted files in `delfiles` as <ino>:<length>', async () => {
    await engine.txn(async (tx) => tx.addDelFile(12n, 5000, 1700000000));
    expect(await db.raw.zrange('delfiles', 0, -1, 'WITHSCORES')).toEqual(['12:5000', '1700000000']);
    await db.raw.zadd('delfiles', 1700000001, '13'); // legacy member without a length
    expect(await engine.listDelFiles(10)).toEqual([
      { ino: 12n, length: 5000, expire: 1700000000 },
      { ino: 13n, length: 1 << 30, expire: 1700000001 },
    ]);
    await engine.removeDelFile(12n);
    await engine.removeDelFile(13n);
    expect(await db.raw.exists('delfiles')).toBe(0);
  });

  it('keeps sessions in allSessions, sessionInfos and session<sid>', async () => {
    const sid = await engine.newSessionId();
    await engine.setSession(sid, 1700000060, '{"Version":"1.4.0"}');
    expect(await db.raw.zscore('allSessions', String(sid))).toBe('1700000060');
    expect(await db.raw.hget('sessionInfos', String(sid))).toBe('{"Version":"1.4.0"}');
    await engine.txn(async (tx) => tx.addSustained(sid, 20n));
    expect(await db.raw.smembers(`session${sid}`)).toEqual(['20']);
    expect(await engine.listSustained(sid)).toEqual([20n]);
    expect(await engine.listSessions()).toEqual([{ sid, expire: 1700000060, info: '{"Version":"1.4.0"}' }]);
    await engine.txn(async (tx) => tx.removeSustained(sid, 20n));
    expect(await engine.listSustained(sid)).toEqual([]);
    await engine.deleteSession(sid);
    expect(await engine.listSessions()).toEqual([]);
    expect(await db.raw.exists('allSessions', 'sessionInfos')).toBe(0);
  });

  it('stores flocks and plocks per owner and tracks them in locked<sid>', async () => {
    const owner = 0xdeadbeefn;
    const records = [{ type: 1 as const, pid: 4242, start: 0n, end: 99n }];
    await engine.txn(async (tx) => {
      tx.setFlock(30n, 7, owner, 'W');
      tx.setPlock(31n, 7, owner, records);
      expect(await tx.getFlocks(30n)).toEqual([{ sid: 7, owner, type: 'W' }]);
    });
    expect(await db.raw.hgetall('lockf30')).toEqual({ '7_00000000DEADBEEF': 'W' });
    expect(await db.raw.hgetBuffer('lockp31', '7_00000000DEADBEEF')).toEqual(encodePlocks(records));
    expect((await db.raw.smembers('locked7')).sort()).toEqual(['lockf30', 'lockp31']);
    expect(await engine.listLockedInodes(7)).toEqual({ flock: [30n], plock: [31n] });
    await engine.txn(async (tx) => {
      expect(await tx.getPlocks(31n)).toEqual([{ sid: 7, owner, records }]);
      tx.setFlock(30n, 7, 5n, 'R'); // a second owner of the same session
      tx.setFlock(30n, 7, owner, undefined);
    });
    expect(await db.raw.smembers('locked7')).toContain('lockf30');
    await engine.txn(async (tx) => {
      tx.setFlock(30n, 7, 5n, undefined);
      tx.setPlock(31n, 7, owner, []);
    });
    expect(await db.raw.exists('lockf30', 'lockp31', 'locked7')).toBe(0);
  });

  it('serves a read-only view with plain commands: getattr is one GET', async () => {
    await engine.txn(async (tx) => tx.setAttr(5n, attr()));
    const { result, sent } = await commandsOf(() => engine.read((tx) => tx.getAttr(5n)));
    expect(result).toEqual(attr());
    expect(sent).toEqual(['get i5']);
    await expect(engine.read(async (tx) => tx.deleteAttr(5n))).rejects.toMatchObject({ code: 'EINVAL' });
    expect(await db.raw.exists('i5')).toBe(1);
  });

  it('looks up an entry and both attributes in one round trip in a read-only view', async () => {
    const dir = await directoryWithFile();
    const look = (parent: Ino, name: string) => engine.read((tx) => tx.lookupEntry!(parent, Buffer.from(name)));
    await look(1n, 'f'); // ioredis may load the script on first use
    const { result, sent, inScript } = await commandsOf(() => look(1n, 'f'));
    expect(result).toEqual({ pattr: dir, entry: { ino: 5n, type: NodeType.File }, attr: attr() });
    // One command from the client; the script's own reads run inside the server.
    expect(sent.map((c) => c.split(' ')[0])).toEqual(['evalsha']);
    expect(inScript).toEqual(['hget d1 f', 'get i1', 'get i5']);
    // A missing name, a missing directory, an entry whose inode has no attributes, a corrupt entry.
    expect(await look(1n, 'nope')).toEqual({ pattr: dir, entry: undefined, attr: undefined });
    expect(await look(77n, 'f')).toEqual({ pattr: undefined, entry: undefined, attr: undefined });
    await db.raw.hset('d1', 'ghost', Buffer.from([NodeType.File, 0, 0, 0, 0, 0, 0, 0, 99]));
    expect(await look(1n, 'ghost')).toEqual({ pattr: dir, entry: { ino: 99n, type: NodeType.File }, attr: undefined });
    await db.raw.hset('d1', 'bad', Buffer.from([NodeType.File, 0, 0, 5]));
    await expect(look(1n, 'bad')).rejects.toMatchObject({ code: 'EIO' });
  });

  it('in a transaction, watches and reads a directory\'s entry and attributes in one round trip; the child\'s only when there is one', async () => {
    const dir = await directoryWithFile();
    const { result: [found, missing], sent } = await commandsOf(async () => [
      await engine.txn((tx) => tx.lookupEntry!(1n, Buffer.from('f'))),
      await engine.txn(async (tx) => {
        // What the transaction wrote first is what it reads back, not the server's value.
        tx.setEntry(1n, Buffer.from('new'), 5n, NodeType.File);
        return [await tx.lookupEntry!(1n, Buffer.from('nope')), await tx.lookupEntry!(1n, Buffer.from('new'))];
      }),
    ]);
    expect(found).toEqual({ pattr: dir, entry: { ino: 5n, type: NodeType.File }, attr: attr() });
    expect(missing).toEqual([
      { pattr: dir, entry: undefined, attr: undefined },
      { pattr: dir, entry: { ino: 5n, type: NodeType.File }, attr: attr() },
    ]);
    const commands = sent.filter((c) => c !== 'unwatch');
    expect(commands).toEqual([
      // The found name: entry and directory watched and read together, then the child.
      'watch d1 i1', 'hget d1 f', 'get i1', 'watch i5', 'mget i5',
      // The missing name: one pipelined read. The name the transaction wrote itself is answered
      // from its writes (no HGET of it); only the child's attributes are fetched.
      'watch d1 i1', 'hget d1 nope', 'get i1', 'watch i5', 'mget i5',
      'multi', 'hset d1 new \\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05', 'exec',
    ]);
  });

  it('looks up with plain reads where the server refuses scripts', async () => {
    const user = `jfs_noscript_${process.pid}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
    const url = db.url.replace('redis://', `redis://${user}:pw@`);
    const limited = (await createRedisEngine(url)) as RedisEngine;
    try {
      const dir = attr({ type: NodeType.Directory, mode: 0o755, length: 4096 });
      await limited.txn(async (tx) => {
        tx.setAttr(1n, dir);
        tx.setAttr(6n, attr({ mode: 0o600 }));
        tx.setEntry(1n, Buffer.from('g'), 6n, NodeType.File);
      });
      for (let i = 0; i < 2; i++) {
        expect(await limited.read((tx) => tx.lookupEntry!(1n, Buffer.from('g')))).toEqual({
          pattr: dir,
          entry: { ino: 6n, type: NodeType.File },
          attr: attr({ mode: 0o600 }),
        });
      }
    } finally {
      await limited.close();
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  it('writes the root and trash nodes at initVolume', async () => {
    const root = attr({ type: NodeType.Directory, mode: 0o777, nlink: 2, length: 4096, parent: 1n });
    const trash: Attr = { ...root, mode: 0o555 };
    await engine.initVolume(root, trash);
    expect(await db.raw.getBuffer('i1')).toEqual(encodeAttr(root));
    expect(await db.raw.getBuffer('i9223372032828243968')).toEqual(encodeAttr(trash));
    await engine.reset();
    expect(await db.raw.dbsize()).toBe(0);
  });

  it('pages a large directory with HSCAN, returning each entry once', async () => {
    const names = Array.from({ length: 700 }, (_, i) => Buffer.from(`f${i}`));
    names.push(Buffer.from([0xff, 0x00, 0x01]));
    await engine.txn(async (tx) => {
      names.forEach((n, i) => tx.setEntry(2n, n, BigInt(i + 10), NodeType.File));
    });
    for (const limit of [1, 37, 128, 1000]) {
      const seen: Buffer[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await engine.txn((tx) => tx.listEntries(2n, cursor, limit));
        expect(page.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...page.entries.map((e) => e.name));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 2000);
      expect(seen.map((n) => n.toString('hex')).sort()).toEqual(names.map((n) => n.toString('hex')).sort());
    }
    // a small directory (listpack-encoded) paged inside a transaction that changed it
    await engine.txn(async (tx) => {
      tx.setEntry(3n, Buffer.from('a'), 50n, NodeType.File);
      tx.setEntry(3n, Buffer.from('b'), 51n, NodeType.Directory);
      tx.setEntry(3n, Buffer.from('c'), 52n, NodeType.Symlink);
    });
    await engine.txn(async (tx) => {
      tx.deleteEntry(3n, Buffer.from('b'));
      tx.setEntry(3n, Buffer.from('d'), 53n, NodeType.File);
      const first = await tx.listEntries(3n, undefined, 2);
      expect(first.entries.map((e) => e.name.toString())).toEqual(['a', 'c']);
      const second = await tx.listEntries(3n, first.cursor, 2);
      expect(second.entries.map((e) => [e.name.toString(), e.ino])).toEqual([['d', 53n]]);
      expect(second.cursor).toBeUndefined();
    });
  });
});

export type { Ino };
