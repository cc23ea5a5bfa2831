import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { NodeType, ROOT_CONTEXT, defaultFormat } from '@juicefs/core';
import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { createRedisEngine, RedisEngine } from '../src/redis/index.js';
import { parseRedisUrl } from '../src/redis/url.js';
import { freePort } from './free-port.js';

// Redis Cluster (FORMAT.md 4.1): a one-node cluster started here from the redis-server binary
// (installed by scripts/setup.sh), on a free port in a temporary directory. Volumes share the
// cluster and are kept apart by their key prefix {N}, N being the URL's database number.
let server: ChildProcess | undefined;
let dir: string;
let port: number;
let raw: Redis;


async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the test Redis Cluster node never became ready: ${what}`);
}

beforeAll(async () => {
  port = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-redis-cluster-'));
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'),
      '--cluster-announce-ip', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    server!.once('spawn', resolve);
    server!.once('error', (err) => reject(new Error(`cannot start redis-server (run scripts/setup.sh to install it): ${err.message}`)));
  });
  await spawned;
  raw = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined);
  await until('ping', async () => {
    if (raw.status !== 'ready') await raw.connect();
    return (await raw.ping()) === 'PONG';
  });
  await raw.cluster('ADDSLOTSRANGE', 0, 16383);
  await until('cluster_state:ok', async () => String(await raw.cluster('INFO')).includes('cluster_state:ok'));
});

afterAll(async () => {
  raw?.disconnect();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

let nextVolume = 10;

describe('Redis Cluster', () => {
  it('parses several seed nodes as a cluster', () => {
    expect(parseRedisUrl('redis://a:7000,b:7001/5', {})).toMatchObject({
      topology: 'cluster', db: 5, nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }],
    });
  });

  it('detects a cluster node behind a single-host URL and prefixes every key with {N}', async () => {
    const engine = await createRedisEngine(`redis://127.0.0.1:${port}/3`);
    expect(engine).toBeInstanceOf(RedisEngine);
    expect((engine as RedisEngine).keys.prefix).toBe('{3}');
    const meta = new BaseMeta(engine);
    try {
      await meta.init({ ...defaultFormat('c3', '33333333-3333-3333-3333-333333333333', '/tmp/c3/'), TrashDays: 0 });
      await meta.load(true);
      const sid = await meta.newSession();
      const d = await meta.mkdir(ROOT_CONTEXT, 1n, 'd', 0o755, 0);
      const f = await meta.mknod(ROOT_CONTEXT, d.ino, 'f', NodeType.File, 0o644, 0);
      await meta.flock(ROOT_CONTEXT, f.ino, 1n, 'W', false);
      const keys = await raw.keys('*');
      expect(keys.filter((k) => !k.startsWith('{3}'))).toEqual([]);
      expect(keys).toEqual(expect.arrayContaining(['{3}setting', '{3}i1', `{3}d${d.ino}`, `{3}i${f.ino}`, '{3}nextinode']));
      // members of locked<sid> are full key names, prefix included
      expect(await raw.smembers(`{3}locked${sid}`)).toEqual([`{3}lockf${f.ino}`]);
      expect((await meta.readdir(ROOT_CONTEXT, d.ino)).entries.map((e) => e.name.toString())).toContain('f');
    } finally {
      await meta.shutdown();
    }
  });

  it('keeps the change log in {N}txnLog and {N}txnLastLog, read and trimmed by scripts on the cluster', async () => {
    const meta = new BaseMeta(await createRedisEngine(`redis://127.0.0.1:${port}/6`));
    try {
      await meta.init({ ...defaultFormat('c6', '66666666-6666-6666-6666-666666666666', '/tmp/c6/'), TrashDays: 0, ChangeLog: true, ChangeLogMaxLines: 2 });
      await meta.load();
      await meta.newSession();
      for (const name of ['a', 'b', 'c']) await meta.mkdir(ROOT_CONTEXT, 1n, name, 0o755, 0);
      expect([await raw.llen('{6}txnLog'), await raw.get('{6}txnLastLog')]).toEqual([3, '3']);
      const after1 = (await meta.readChangeLog(1)).map((e) => [e.version, e.entry.split('|')[1]!.replace(/:\d+$/, '')]);
      expect(after1).toEqual([[2, 'CREATE(1,b,2,493,0,0)'], [3, 'CREATE(1,c,2,493,0,0)']]);
      expect(await meta.runBackgroundJobs()).toMatchObject({ changeLogLines: 1 });
      expect((await meta.readChangeLog(0)).map((e) => e.version)).toEqual([2, 3]);
    } finally {
      await meta.shutdown();
    }
  });

  it('keeps volumes with different numbers apart, including reset', async () => {
    const a = new BaseMeta(await createRedisEngine(`redis://127.0.0.1:${port}/4`));
    const b = new BaseMeta(await createRedisEngine(`redis://127.0.0.1:${port},127.0.0.1:${port}/5`));
    try {
      await a.init({ ...defaultFormat('c4', '44444444-4444-4444-4444-444444444444', '/tmp/c4/'), TrashDays: 0 });
      await b.init({ ...defaultFormat('c5', '55555555-5555-5555-5555-555555555555', '/tmp/c5/'), TrashDays: 0 });
      expect((await a.load()).Name).toBe('c4');
      expect((await b.load()).Name).toBe('c5');
      await a.reset();
      expect(await raw.keys('{4}*')).toEqual([]);
      expect(await raw.exists('{5}setting')).toBe(1);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });
});

// The whole Meta conformance suite on the cluster, one prefix per volume.
metaConformance('redis cluster', async () => {
  const n = nextVolume++;
  const url = `redis://127.0.0.1:${port}/${n}`;
  return clientsEnv(
    async () => new BaseMeta(await createRedisEngine(url)),
    async () => {
      const keys = await raw.keys(`{${n}}*`);
      if (keys.length > 0) await raw.del(...keys);
    },
  );
});
