import { defaultFormat, ROOT_CONTEXT, type Format } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import type { EngineStore } from '../src/base/store.js';
import { MemoryEngine } from '../src/memory/index.js';
import { createRedisEngine } from '../src/redis/index.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';
import { claimRedisDb, type ClaimedDb } from './redis-claim.js';

export const ROOT = ROOT_CONTEXT;

/** A formatted, loaded in-memory volume with a session; `format` overrides defaults (trash off). */
export async function memoryVolume(format: Partial<Format> = {}): Promise<{ meta: BaseMeta; engine: MemoryEngine }> {
  const engine = new MemoryEngine();
  const meta = new BaseMeta(engine);
  await meta.init({ ...defaultFormat('test', '00000000-0000-4000-8000-000000000000', '/tmp/bucket'), TrashDays: 0, ...format });
  await meta.load();
  await meta.newSession();
  return { meta, engine };
}

export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** A volume that several clients open: each `open()` is a new store on it; `cleanup` closes them and drops it. */
export interface SharedVolume {
  open(): Promise<EngineStore>;
  cleanup(): Promise<void>;
}

/** What a test of several clients on one volume holds: the volume, and every client it opened. */
export interface VolumeUnderTest {
  volume: SharedVolume;
  clients: BaseMeta[];
}

/**
 * Registers the per-test life of a shared volume: a fresh one from `makeVolume` before each test;
 * after it, every client the test put in `clients` closes its session and shuts down, and the
 * volume is dropped.
 */
export function volumePerTest(makeVolume: () => Promise<SharedVolume>): VolumeUnderTest {
  const t: VolumeUnderTest = { volume: { open: () => Promise.reject(new Error('no volume outside a test')), cleanup: async () => {} }, clients: [] };
  beforeEach(async () => {
    t.volume = await makeVolume();
    t.clients = [];
  });
  afterEach(async () => {
    for (const c of t.clients) await c.closeSession().catch(() => undefined);
    for (const c of t.clients) await c.shutdown().catch(() => undefined);
    await t.volume.cleanup();
  });
  return t;
}

/** A SQL test database opened by as many clients as a test asks for. */
export function sqlVolume(target: TestTarget): SharedVolume {
  const stores: EngineStore[] = [];
  return {
    open: async () => {
      const s = await createSqlEngine(target.url);
      stores.push(s);
      return s;
    },
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
      await target.cleanup();
    },
  };
}

/**
 * Every engine, each as a factory of fresh shared volumes, for describe.each: memory, SQLite,
 * Redis (one claimed database, reset between volumes), PostgreSQL and MySQL. Call `release` in
 * afterAll to give the Redis database back.
 */
export function everyEngine(): { engines: Array<[string, () => Promise<SharedVolume>]>; release(): Promise<void> } {
  let claimed: ClaimedDb | undefined;
  const redis = async (): Promise<SharedVolume> => {
    claimed ??= await claimRedisDb();
    await claimed.reset();
    const db = claimed;
    const stores: EngineStore[] = [];
    return {
      open: async () => {
        const s = await createRedisEngine(db.url);
        stores.push(s);
        return s;
      },
      cleanup: async () => {
        await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
        await db.reset();
      },
    };
  };
  return {
    engines: [
      ['memory', async () => {
        const engine = new MemoryEngine();
        return { open: async () => engine, cleanup: async () => undefined };
      }],
      ['sqlite3', async () => sqlVolume(freshSqliteTarget())],
      ['redis', redis],
      ['postgres', async () => sqlVolume(await freshPgTarget())],
      ['mysql', async () => sqlVolume(await freshMysqlTarget())],
    ],
    release: async () => claimed?.release(),
  };
}
