import { randomBytes } from 'node:crypto';
import { createStorage, withPrefix } from '@juicefs/chunk';
import { fsError, hasCode, type ObjectStorage } from '@juicefs/core';
import type { Argv } from 'yargs';
import { runPool } from '../control/handler.js';
import { printJson, renderGrid } from '../output.js';
import { parseSizeFlag } from '../size-flag.js';

const PREFIX = '__juicefs_benchmark__/';

interface Check {
  category: string;
  test: string;
  result: string;
}

/** The functional checks of `juicefs objbench`: each either passes or says what went wrong. */
async function functionalChecks(s: ObjectStorage): Promise<Check[]> {
  const out: Check[] = [];
  const run = async (category: string, test: string, fn: () => Promise<void | string>) => {
    try {
      const note = await fn();
      out.push({ category, test, result: note ?? 'pass' });
    } catch (err) {
      out.push({ category, test, result: `failed: ${(err as Error).message}` });
    }
  };
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw new Error(what);
  };
  const body = Buffer.from('hello juicefs objbench');
  await run('basic', 'create a bucket', () => s.create());
  await run('basic', 'put an object', () => s.put('test', body));
  await run('basic', 'get an object', async () => expect((await s.get('test')).equals(body), 'content differs from what was put'));
  await run('basic', 'get a non-exist', async () => {
    try {
      await s.get('not-exist');
    } catch (err) {
      expect(hasCode(err, 'ENOENT'), `expected ENOENT, got ${(err as Error).message}`);
      return;
    }
    throw new Error('got an object that does not exist');
  });
  await run('basic', 'get partial object', async () => {
    expect((await s.get('test', 6)).equals(body.subarray(6)), 'offset read differs');
    expect((await s.get('test', 6, 7)).equals(body.subarray(6, 13)), 'range read differs');
    expect((await s.get('test', 0, 5)).equals(body.subarray(0, 5)), 'prefix read differs');
  });
  await run('basic', 'head an object', async () => expect((await s.head('test')).size === body.length, 'wrong size'));
  await run('basic', 'list objects', async () => {
    for (const k of ['list/a', 'list/b', 'list/c']) await s.put(k, body);
    const all = (await s.list('list/')).map((o) => o.key);
    expect(JSON.stringify(all) === JSON.stringify(['list/a', 'list/b', 'list/c']), `listed ${all.join(',')}`);
    const after = (await s.list('list/', { startAfter: 'list/a', limit: 1 })).map((o) => o.key);
    expect(JSON.stringify(after) === JSON.stringify(['list/b']), `startAfter/limit listed ${after.join(',')}`);
    for (const k of ['list/a', 'list/b', 'list/c']) await s.delete(k);
  });
  await run('basic', 'special key', async () => {
    const key = 'a b+c/ä=1&x';
    await s.put(key, body);
    expect((await s.get(key)).equals(body), 'content differs');
    await s.delete(key);
  });
  await run('basic', 'delete an object', async () => {
    await s.delete('test');
    await s.delete('test'); // deleting a missing key is not an error
    const left = await s.list('test');
    expect(!left.some((o) => o.key === 'test'), 'still listed after delete');
  });
  await run('basic', 'put a big object', async () => {
    const big = randomBytes(5 << 20);
    await s.put('big', big);
    expect((await s.get('big', 1 << 20, 100)).equals(big.subarray(1 << 20, (1 << 20) + 100)), 'range of a big object differs');
    await s.delete('big');
  });
  await run('sync', 'multipart upload', async () => {
    if (!s.createMultipartUpload || !s.uploadPart || !s.completeUpload) return 'not support';
    const up = await s.createMultipartUpload('multi');
    const p1 = randomBytes(Math.max(up.minPartSize, 5 << 20));
    const p2 = randomBytes(1000);
    const parts = [await s.uploadPart('multi', up.uploadId, 1, p1), await s.uploadPart('multi', up.uploadId, 2, p2)];
    await s.completeUpload('multi', up.uploadId, parts);
    expect((await s.get('multi')).equals(Buffer.concat([p1, p2])), 'content differs');
    await s.delete('multi');
  });
  return out;
}

interface PerfRow {
  item: string;
  value: string;
  cost: string;
}

async function performance(s: ObjectStorage, o: { blockSize: number; bigSize: number; smallSize: number; smallCount: number; threads: number }): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  const time = async (jobs: Array<() => Promise<void>>) => {
    const t0 = process.hrtime.bigint();
    await runPool(jobs, o.threads);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const block = randomBytes(o.blockSize);
  const nBlocks = Math.ceil(o.bigSize / o.blockSize);
  const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
  const mib = (n: number, secs: number) => `${((n / (1 << 20)) / secs).toFixed(2)} MiB/s`;
  const perObj = (n: number, secs: number) => `${((secs * 1000) / Math.max(1, n)).toFixed(2)} ms/object`;
  if (nBlocks > 0) {
    const up = await time(idx(nBlocks).map((i) => () => s.put(`big/${i}`, block)));
    rows.push({ item: 'upload objects', value: mib(nBlocks * o.blockSize, up), cost: perObj(nBlocks, up) });
    const down = await time(idx(nBlocks).map((i) => async () => {
      const got = await s.get(`big/${i}`);
      if (got.length !== block.length) throw fsError('EIO', `big/${i} came back with ${got.length} bytes, not ${block.length}`);
    }));
    rows.push({ item: 'download objects', value: mib(nBlocks * o.blockSize, down), cost: perObj(nBlocks, down) });
  }
  const small = randomBytes(o.smallSize);
  const n = o.smallCount;
  const rate = (secs: number) => `${(n / secs).toFixed(1)} objects/s`;
  const put = await time(idx(n).map((i) => () => s.put(`small/${i}`, small)));
  rows.push({ item: 'put small objects', value: rate(put), cost: perObj(n, put) });
  const get = await time(idx(n).map((i) => async () => void (await s.get(`small/${i}`))));
  rows.push({ item: 'get small objects', value: rate(get), cost: perObj(n, get) });
  let listed = 0;
  const list = await time([async () => void (listed = (await s.list('small/')).length)]);
  if (listed !== n) throw fsError('EIO', `listed ${listed} small objects, expected ${n}`);
  rows.push({ item: 'list objects', value: `${(n / list).toFixed(1)} objects/s`, cost: `${(list * 1000).toFixed(2)} ms/op` });
  const head = await time(idx(n).map((i) => async () => void (await s.head(`small/${i}`))));
  rows.push({ item: 'head objects', value: rate(head), cost: perObj(n, head) });
  const del = await time([...idx(n).map((i) => () => s.delete(`small/${i}`)), ...idx(nBlocks).map((i) => () => s.delete(`big/${i}`))]);
  rows.push({ item: 'delete objects', value: `${((n + nBlocks) / del).toFixed(1)} objects/s`, cost: perObj(n + nBlocks, del) });
  return rows;
}

export function objbenchCommand(y: Argv): Argv {
  return y.command(
    'objbench BUCKET',
    'Check that an object store works as JuiceFS needs, then measure its put/get/list/head/delete throughput',
    (c) =>
      c
        .positional('BUCKET', { type: 'string', demandOption: true, describe: 'the bucket (a directory for --storage file)' })
        .option('storage', { type: 'string', default: 'file', describe: 'object storage type (file, s3, minio, ...)' })
        .option('access-key', { type: 'string', default: process.env['ACCESS_KEY'] ?? '', describe: 'access key (env ACCESS_KEY)' })
        .option('secret-key', { type: 'string', default: process.env['SECRET_KEY'] ?? '', describe: 'secret key (env SECRET_KEY)' })
        .option('block-size', { type: 'string', default: '4M', describe: 'size of each big-object block: KiB, or with a unit K, M (e.g. 4M)' })
        .option('big-object-size', { type: 'string', default: '1G', describe: 'size of the big object: MiB, or with a unit M, G' })
        .option('small-object-size', { type: 'string', default: '128K', describe: 'size of each small object: KiB, or with a unit K, M' })
        .option('small-objects', { type: 'number', default: 100, describe: 'number of small objects' })
        .option('threads', { alias: 'p', type: 'number', default: 4, describe: 'number of concurrent requests' })
        .option('skip-functional-tests', { type: 'boolean', default: false, describe: 'only measure performance' })
        .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' }),
    async (a) => {
      // As JuiceFS reads them (ParseBytes): bare numbers in KiB, MiB and KiB; `4M`, `1G`, `128K`.
      // Read before anything runs, so a bad value costs no bucket calls.
      const sizes = {
        blockSize: Math.max(1, parseSizeFlag('block-size', a['block-size'], 'K')),
        bigSize: parseSizeFlag('big-object-size', a['big-object-size'], 'M'),
        smallSize: Math.max(1, parseSizeFlag('small-object-size', a['small-object-size'], 'K')),
      };
      let base: ObjectStorage;
      try {
        base = createStorage(a.storage, String(a.BUCKET), a['access-key'], a['secret-key']);
        await base.create();
      } catch (err) {
        throw fsError('EIO', `cannot open or create bucket ${String(a.BUCKET)} (${a.storage}): ${(err as Error).message}; check --storage, BUCKET and the keys`, err);
      }
      const s = withPrefix(base, PREFIX);
      let checks: Check[] = [];
      if (!a['skip-functional-tests']) {
        if (!a.json) process.stdout.write('Start Functional Testing ...\n');
        checks = await functionalChecks(s);
        if (!a.json) process.stdout.write(renderGrid(['CATEGORY', 'TEST', 'RESULT'], checks.map((c) => [c.category, c.test, c.result])));
      }
      if (!a.json) process.stdout.write('Start Performance Testing ...\n');
      const perf = await performance(s, {
        ...sizes,
        smallCount: Math.max(1, Math.floor(a['small-objects'])),
        threads: Math.max(1, Math.floor(a.threads)),
      });
      if (a.json) printJson({ Functional: checks, Performance: perf });
      else process.stdout.write(renderGrid(['ITEM', 'VALUE', 'COST'], perf.map((r) => [r.item, r.value, r.cost])));
      const failed = checks.filter((c) => c.result.startsWith('failed'));
      if (failed.length > 0) throw fsError('EIO', `${failed.length} functional checks failed (${failed.map((c) => c.test).join(', ')}): this storage will not work well as a JuiceFS bucket`);
    },
  );
}
