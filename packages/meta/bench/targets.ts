import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * One engine under test: the META-URL for openMeta, a raw single-key read on the same server
 * (the baseline), and cleanup. Servers come from scripts/services/*.sh.
 */
export interface BenchTarget {
  name: string;
  url: string;
  /** Open the raw client; returns a read of one node record by inode, and a closer. */
  raw(): Promise<{ read(ino: bigint): Promise<unknown>; close(): Promise<void> }>;
  cleanup(): Promise<void>;
}

const REDIS = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const PG = process.env.JFS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';
const CLAIM_KEY = '__jfs_test_claim'; // the same claim the Redis test files use (DBs 16..63)

export function sqliteTarget(): BenchTarget {
  const dir = mkdtempSync(path.join(tmpdir(), 'jfs-bench-'));
  const file = path.join(dir, 'meta.db');
  return {
    name: 'sqlite3',
    url: `sqlite3://${file}`,
    async raw() {
      const db = new Database(file, { readonly: true });
      const stmt = db.prepare('SELECT * FROM jfs_node WHERE inode = ?');
      return { read: async (ino) => stmt.get(ino), close: async () => void db.close() };
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresTarget(): BenchTarget {
  const schema = `jfs_bench_${process.pid}`;
  return {
    name: 'postgres',
    url: `${PG}?search_path=${schema}`,
    async raw() {
      const client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`SET search_path TO ${schema}`);
      const read = (ino: bigint) =>
        client.query({ name: 'bench-node', text: 'SELECT * FROM jfs_node WHERE inode = $1', values: [ino.toString()] });
      return { read, close: () => client.end() };
    },
    async cleanup() {
      const client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export async function redisTarget(): Promise<BenchTarget> {
  for (let db = 63; db >= 16; db--) {
    const probe = new Redis(`${REDIS}/${db}`, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    if ((await probe.set(CLAIM_KEY, `bench-${process.pid}`, 'EX', 1800, 'NX')) !== 'OK') {
      probe.disconnect();
      continue;
    }
    await probe.flushdb();
    await probe.set(CLAIM_KEY, `bench-${process.pid}`, 'EX', 1800);
    return {
      name: 'redis',
      url: `${REDIS}/${db}`,
      async raw() {
        const client = new Redis(`${REDIS}/${db}`);
        return { read: (ino) => client.getBuffer(`i${ino}`), close: async () => void client.disconnect() };
      },
      async cleanup() {
        await probe.flushdb();
        probe.disconnect();
      },
    };
  }
  throw new Error('no free Redis database in 16..63 for the benchmark');
}
