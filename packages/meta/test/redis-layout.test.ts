import { Redis } from 'ioredis';
import { claimRedisDb, CLAIM_KEY, type ClaimedDb } from './redis-claim.js';
import { CHUNK_SIZE, NodeType, ROOT_CONTEXT, TRASH_INODE, align4K, defaultFormat, type Slice } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { createRedisEngine } from '../src/redis/index.js';
import { decodeAttr, encodeAttr } from '../src/codec/attr.js';
import { encodeEntry } from '../src/codec/entry.js';
import { encodeSlice } from '../src/codec/slice.js';

// What BaseMeta over the Redis engine writes for a small tree, read back with a raw client and
// compared with the JuiceFS 1.x key catalogue (FORMAT.md 4.2) byte for byte. Real server from
// scripts/services/redis.sh; a database of its own, claimed with a NX key (shared range 16..39).

/** Every top-level key name of the catalogue (and the test's own claim key). */
const CATALOGUE = new RegExp(
  '^(setting|[idpsx]\\d+|c\\d+_\\d+|lock[fp]\\d+|locked\\d+|allSessions|sessionInfos|session\\d+|delfiles|delSlices|' +
    'sliceRef|detachedNodes|dir(DataLength|UsedSpace|UsedInodes|Quota|QuotaUsedSpace|QuotaUsedInodes)|' +
    'nextinode|nextchunk|nextsession|nextTrash|usedSpace|totalInodes|lastCleanup\\w+|nextCleanupSlices|' +
    CLAIM_KEY + ')$',
);

let claimed: ClaimedDb;
let raw: Redis;
let url: string;

beforeAll(async () => {
  claimed = await claimRedisDb();
  ({ raw, url } = claimed);
  await claimed.reset();
});

afterAll(() => claimed.release());

it('writes a small tree under exactly the JuiceFS 1.x keys and bytes', async () => {
  const meta = new BaseMeta(await createRedisEngine(url));
  try {
    const fmt = { ...defaultFormat('layout', '11111111-2222-3333-4444-555555555555', '/tmp/jfs-layout/'), TrashDays: 0 };
    await meta.init(fmt);
    await meta.load(true);
    const sid = await meta.newSession();
    const ctx = ROOT_CONTEXT;

    const d = await meta.mkdir(ctx, 1n, 'd', 0o755, 0);
    const f = await meta.mknod(ctx, d.ino, 'f', NodeType.File, 0o644, 0);
    const id = await meta.newSlice();
    const slice: Slice = { pos: 0, id, size: 5000, off: 0, len: 5000 };
    await meta.write(ctx, f.ino, 0, slice);
    const s = await meta.symlink(ctx, 1n, 's', 'd/f');
    await meta.link(ctx, f.ino, 1n, 'l');
    await meta.setXattr(ctx, f.ino, 'user.k', Buffer.from('v\u0000'), 0);
    const g = await meta.mknod(ctx, 1n, 'g', NodeType.File, 0o600, 0);
    await meta.write(ctx, g.ino, 1, { pos: 0, id: await meta.newSlice(), size: 10, off: 0, len: 10 });
    await meta.unlink(ctx, 1n, 'g');

    const keys = (await raw.keys('*')).sort();
    const unknown = keys.filter((k) => !CATALOGUE.test(k));
    expect(unknown).toEqual([]);

    expect(JSON.parse((await raw.get('setting'))!)).toMatchObject({ Name: 'layout', UUID: fmt.UUID });
    // a fresh volume: one inode batch of 1024 (1..1024, skipping 1) and one slice batch
    expect(await raw.get('nextinode')).toBe('1024');
    expect(await raw.get('nextchunk')).toBe('4096');
    expect(await raw.get('nextsession')).toBe(String(sid));
    expect(await raw.zscore('allSessions', String(sid))).not.toBeNull();
    expect(JSON.parse((await raw.hget('sessionInfos', String(sid)))!)).toHaveProperty('Version');

    // attributes: what meta reports is what is stored, in the 72-byte form
    for (const ino of [1n, d.ino, f.ino, s.ino]) {
      const bytes = (await raw.getBuffer(`i${ino}`))!;
      expect(bytes.length).toBe(72);
      expect(bytes.equals(encodeAttr(await meta.getAttr(ctx, ino)))).toBe(true);
    }
    const fa = decodeAttr((await raw.getBuffer(`i${f.ino}`))!);
    expect(fa).toMatchObject({ type: NodeType.File, mode: 0o644, nlink: 2, length: 5000, parent: 0n });
    expect(decodeAttr((await raw.getBuffer(`i${d.ino}`))!)).toMatchObject({ type: NodeType.Directory, nlink: 2, length: 4096, parent: 1n });
    expect(await raw.exists(`i${TRASH_INODE}`, `i${g.ino}`)).toBe(0);

    // entries: raw name bytes -> type byte + inode
    const entry = async (dir: bigint, name: string) => (await raw.hgetBuffer(`d${dir}`, name))?.toString('hex');
    expect(await entry(1n, 'd')).toBe(encodeEntry(NodeType.Directory, d.ino).toString('hex'));
    expect(await entry(1n, 's')).toBe(encodeEntry(NodeType.Symlink, s.ino).toString('hex'));
    expect(await entry(1n, 'l')).toBe(encodeEntry(NodeType.File, f.ino).toString('hex'));
    expect(await entry(d.ino, 'f')).toBe(encodeEntry(NodeType.File, f.ino).toString('hex'));
    expect((await raw.hkeys('d1')).sort()).toEqual(['d', 'l', 's']);

    // a hard-linked file: parent 0 and the parents hash
    expect(await raw.hgetall(`p${f.ino}`)).toEqual({ [String(d.ino)]: '1', '1': '1' });
    expect(await raw.get(`s${s.ino}`)).toBe('d/f');
    expect(await raw.hgetBuffer(`x${f.ino}`, 'user.k')).toEqual(Buffer.from('v\u0000'));
    expect(await raw.lrangeBuffer(`c${f.ino}_0`, 0, -1)).toEqual([encodeSlice(slice)]);

    // the unlinked file is queued for data deletion as <ino>:<length>; its chunk stays until then
    const [member] = await raw.zrange('delfiles', 0, -1);
    expect(member).toBe(`${g.ino}:${CHUNK_SIZE + 10}`); // its slice is in chunk 1
    expect(await raw.llen(`c${g.ino}_1`)).toBe(1);

    // statistics: d, f, s (g is gone); per-directory stats of d hold f
    expect(await raw.get('totalInodes')).toBe('3');
    expect(await raw.get('usedSpace')).toBe(String(4096 + align4K(5000) + 4096));
    expect(await raw.hget('dirUsedInodes', String(d.ino))).toBe('1');
    expect(await raw.hget('dirDataLength', String(d.ino))).toBe('5000');
    expect(await raw.hget('dirUsedSpace', String(d.ino))).toBe(String(align4K(5000)));
  } finally {
    await meta.shutdown();
  }
});
