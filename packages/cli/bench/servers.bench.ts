import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createStorage } from '@juicefs/chunk';
import type { ObjectStorage } from '@juicefs/core';
import { createGatewayServer } from '../src/gateway/server.js';
import { openServiceVolume, type ServiceClientArgs } from '../src/volume-service.js';
import { startDavServer } from '../src/webdav/server.js';

// What the servers over a volume cost: the same objects put and got through `juicefs gateway`
// and `juicefs webdav` (each in this process, over a SQLite + local-directory volume), against,
// in the same run, the path API they are built on (no HTTP at all) and a plain S3 server on this
// machine (s3rver from scripts/services/s3.sh, when it answers). One client for every HTTP
// target (this project's ObjectStorage over OpenDAL), so only the server differs. A benchmark,
// not a test:
//
//   pnpm bench:servers [--objects 300] [--object-size 128] [--big-size 256] [--concurrency 4]
//
// Sizes: KiB for the small objects, MiB for the big one.

const argv = process.argv.slice(2);
const arg = (flag: string, def: number): number => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const OBJECTS = arg('--objects', 300);
const OBJECT_SIZE = arg('--object-size', 128) * 1024;
const BIG_SIZE = arg('--big-size', 256) * 1024 * 1024;
const CONCURRENCY = arg('--concurrency', 4);
const S3_URL = process.env['JFS_TEST_S3_URL'] ?? 'http://127.0.0.1:9000';
const S3_KEY = process.env['JFS_TEST_S3_ACCESS_KEY'] ?? 'S3RVER';
const S3_SECRET = process.env['JFS_TEST_S3_SECRET_KEY'] ?? 'S3RVER';

/** put/get of whole objects, whatever is behind them. */
interface Target {
  name: string;
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
}

interface Figures {
  smallPut: number;
  smallGet: number;
  bigPut: number;
  bigGet: number;
}

const storageTarget = (name: string, s: ObjectStorage): Target => ({ name, put: (k, d) => s.put(k, d), get: (k) => s.get(k) });

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** `n` jobs, `concurrency` at a time. */
async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await job(next++);
  }));
}

async function measure(t: Target, small: Buffer, big: Buffer): Promise<Figures> {
  const key = (i: number) => `bench/${t.name.replace(/\W+/g, '-')}/small-${i}`;
  const smallPut = OBJECTS / (await seconds(() => pool(OBJECTS, CONCURRENCY, (i) => t.put(key(i), small))));
  const smallGet = OBJECTS / (await seconds(() => pool(OBJECTS, CONCURRENCY, async (i) => {
    const got = await t.get(key(i));
    if (got.length !== small.length) throw new Error(`${t.name}: small object ${i} came back with ${got.length} bytes`);
  })));
  const bigKey = `bench/${t.name.replace(/\W+/g, '-')}/big`;
  const bigPut = big.length / 2 ** 20 / (await seconds(() => t.put(bigKey, big)));
  let back: Buffer | undefined;
  const bigGet = big.length / 2 ** 20 / (await seconds(async () => (back = await t.get(bigKey))));
  if (!back?.equals(big)) throw new Error(`${t.name}: the big object came back different`);
  return { smallPut, smallGet, bigPut, bigGet };
}

function table(rows: Array<{ name: string; f: Figures }>, baseline: Figures): string {
  const cell = (v: number, b: number, unit: string) => `${v.toFixed(1)} ${unit} (${(v / b).toFixed(2)}x)`;
  const head = ['target', `small put (${OBJECTS} x ${OBJECT_SIZE >> 10} KiB)`, 'small get', `big put (${BIG_SIZE >> 20} MiB)`, 'big get'];
  const lines = rows.map(({ name, f }) => [
    name, cell(f.smallPut, baseline.smallPut, 'obj/s'), cell(f.smallGet, baseline.smallGet, 'obj/s'), cell(f.bigPut, baseline.bigPut, 'MiB/s'), cell(f.bigGet, baseline.bigGet, 'MiB/s'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n');
}

async function s3rverTarget(): Promise<Target | undefined> {
  const bucket = `jfs-bench-servers-${process.pid}`;
  const s = createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET);
  try {
    await s.create();
    return storageTarget('s3rver (plain S3 server)', s);
  } catch (err) {
    process.stderr.write(`s3rver at ${S3_URL} did not answer (${(err as Error).message}); run bash scripts/services/s3.sh for that baseline\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-bench-servers-'));
  const meta = `sqlite3://${work}/meta.db`;
  const cli = path.resolve(__dirname, '../test/support/juicefs-from-source.cjs');
  const f = spawnSync(process.execPath, [cli, 'format', meta, 'benchvol', '--bucket', path.join(work, 'bucket'), '--trash-days', '0'], { encoding: 'utf8' });
  if (f.status !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
  const args: ServiceClientArgs = {
    'read-only': false, 'cache-dir': 'memory', 'buffer-size': 300, 'heartbeat': 12, 'attr-cache': 1, 'entry-cache': 1, 'dir-entry-cache': 1,
    'no-bgjob': true, 'backup-meta': '0', 'backup-skip-trash': false, 'metrics': '',
  };
  const v = await openServiceVolume(meta, 'bench', args);
  const credentials = { accessKey: 'benchadmin', secretKey: 'bench-secret' };
  const gateway: Server = createGatewayServer(v.fs, {
    bucket: 'benchvol', multiBuckets: false, keepEtag: false, objectTag: false, objectMeta: false, headDir: false, hideDirObject: false, readOnly: false, domains: [], credentials,
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const dav = await startDavServer(
    { address: '127.0.0.1:0', fs: v.fs, root: '/', gzip: false, disallowList: false, enableProppatch: false, threads: 4 },
    { debug: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) },
  );
  try {
    await v.fs.mkdir('/dav', { recursive: true });
    const gwUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const pathApi: Target = {
      name: 'path API (no HTTP)',
      put: async (k, d) => {
        await v.fs.mkdir(path.posix.dirname(`/api/${k}`), { recursive: true });
        await v.fs.writeFile(`/api/${k}`, d);
      },
      get: (k) => v.fs.readFile(`/api/${k}`),
    };
    const targets: Target[] = [
      pathApi,
      ...[await s3rverTarget()].filter((t): t is Target => t !== undefined),
      storageTarget('juicefs gateway', createStorage('s3', `${gwUrl}/benchvol`, credentials.accessKey, credentials.secretKey)),
      storageTarget('juicefs webdav', createStorage('webdav', `${dav.url}/dav/`)),
    ];
    const small = randomBytes(OBJECT_SIZE);
    const big = randomBytes(BIG_SIZE);
    const rows: Array<{ name: string; f: Figures }> = [];
    for (const t of targets) {
      process.stderr.write(`${t.name}...\n`);
      rows.push({ name: t.name, f: await measure(t, small, big) });
    }
    process.stdout.write(`${table(rows, rows[0]!.f)}\n(ratios are against the path API in the same process: what HTTP and the server add; ${CONCURRENCY} requests at a time for small objects)\n`);
  } finally {
    await dav.close(0);
    await new Promise<void>((resolve) => {
      gateway.close(() => resolve());
      gateway.closeAllConnections();
    });
    await v.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
