// The "use it from a Node service" example of the README, run for real: the VFS and the path API
// of @juicefs/core over the real SQLite/Redis/PostgreSQL engines and the real chunk store on a local
// directory. Core's own VFS tests use in-memory parts; this is where the real ones meet.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { defaultFormat, JuiceFS, Vfs, type Meta } from '@juicefs/core';
import { openMeta } from '@juicefs/meta';
import { chunkStoreOptionsFor, openChunkStore, openVolumeStorage } from '@juicefs/chunk';
import { Redis } from 'ioredis';
import { Client } from 'pg';

const REDIS = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const PG = process.env.JFS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';

interface Target {
  name: string;
  /** A fresh, empty metadata URL, and how to drop it afterwards. */
  prepare(dir: string): Promise<{ url: string; drop(): Promise<void> }>;
}

const targets: Target[] = [
  { name: 'sqlite3', prepare: async (dir) => ({ url: `sqlite3://${dir}/meta.db`, drop: async () => undefined }) },
  {
    name: 'redis',
    prepare: async () => {
      // 10..13: databases no other test file uses (41..43 are dump-engines', 40 tools-gc-fsck's).
      const db = 10 + (Number(process.env.JEST_WORKER_ID ?? 0) % 4);
      const raw = new Redis(`${REDIS}/${db}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await raw.connect().catch((err: Error) => {
        throw new Error(`Redis at ${REDIS} is not reachable (${err.message}): run bash scripts/services/redis.sh`);
      });
      await raw.flushdb();
      return { url: `${REDIS}/${db}`, drop: async () => void (await raw.flushdb(), raw.disconnect()) };
    },
  },
  {
    name: 'postgres',
    prepare: async () => {
      const schema = `svc_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const admin = new Client({ connectionString: PG });
      await admin.connect().catch((err: Error) => {
        throw new Error(`PostgreSQL at ${PG} is not reachable (${err.message}): run bash scripts/services/postgres.sh`);
      });
      await admin.query(`CREATE SCHEMA ${schema}`);
      return {
        url: `${PG}?search_path=${schema}`,
        drop: async () => {
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  },
];

describe.each(targets)('a Node service on $name metadata and a local-directory bucket', (target) => {
  let dir: string;
  let drop: () => Promise<void>;
  let meta: Meta;
  let fs: JuiceFS;
  let vfs: Vfs;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jfs-service-'));
    const prepared = await target.prepare(dir);
    drop = prepared.drop;
    // The README example, step by step: format, open the session, wire the data layer, use paths.
    meta = await openMeta(prepared.url);
    // TrashDays 0: with the trash on, JuiceFS moves an unlinked hard link into .trash and the
    // link count keeps counting it, which is not what the POSIX checks below expect.
    const format = { ...defaultFormat('svc', randomUUID(), `${dir}/bucket/`), BlockSize: 64, TrashDays: 0 };
    await meta.init(format);
    await meta.newSession();
    const store = await openChunkStore(openVolumeStorage(format), chunkStoreOptionsFor(format, { cacheDir: 'memory' }));
    meta.onSliceDelete((id, size) => store.remove(id, size));
    vfs = new Vfs({ meta, store, format });
    fs = new JuiceFS(vfs);
    close = async () => {
      await vfs.close();
      await store.close();
      await meta.closeSession();
      await meta.shutdown();
    };
  });

  afterAll(async () => {
    await close?.();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes files through the path API and reads them back byte for byte', async () => {
    await fs.mkdir('/docs/2026', { recursive: true });
    const body = Buffer.alloc(300 * 1024 + 17); // several 64 KiB blocks and a short tail
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) & 0xff;
    await fs.writeFile('/docs/2026/report.bin', body);
    expect((await fs.readFile('/docs/2026/report.bin')).equals(body)).toBe(true);
    expect((await fs.stat('/docs/2026/report.bin')).size).toBe(body.length);
    expect(await fs.readdir('/docs')).toEqual(['2026']);
  });

  it('stores the blocks under the JuiceFS object names in the bucket directory', async () => {
    const chunks = path.join(dir, 'bucket', 'svc', 'chunks');
    const names = readdirSync(chunks, { recursive: true }).map(String).filter((n) => /_\d+_\d+$/.test(n));
    // 300 KiB + 17 B in 64 KiB blocks: four full blocks and a 45,073-byte tail (FORMAT.md 7.2 naming).
    expect(names.filter((n) => n.endsWith('_65536'))).toHaveLength(4);
    expect(names.some((n) => /_4_45073$/.test(n))).toBe(true);
  });

  it('renames, links and removes as POSIX says, with the right errno on mistakes', async () => {
    await fs.rename('/docs/2026/report.bin', '/docs/report.bin');
    await fs.link('/docs/report.bin', '/docs/hard');
    expect((await fs.stat('/docs/hard')).nlink).toBe(2);
    await expect(fs.rmdir('/docs')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await expect(fs.readFile('/docs/2026/report.bin')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.unlink('/docs/hard');
    expect((await fs.stat('/docs/report.bin')).nlink).toBe(1);
  });
});
