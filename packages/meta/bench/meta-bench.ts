import { defaultFormat, ROOT_CONTEXT, ROOT_INODE, type Ino } from '@juicefs/core';
import { openMeta } from '../src/open.js';
import { postgresTarget, redisTarget, sqliteTarget, type BenchTarget } from './targets.js';

// Metadata operations through BaseMeta on each engine, next to the raw server's own single-key
// read measured in the same run, so the table shows what our layer costs on top of the server.
// Run: pnpm --filter @juicefs/meta bench   (needs scripts/services/redis.sh and postgres.sh)

const DIR_ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10_000);
const OPS = Number(process.env.BENCH_OPS ?? 2_000);
const ctx = ROOT_CONTEXT;

interface Row {
  engine: string;
  op: string;
  opsPerSec: number;
  rawPerSec: number;
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return n / seconds;
}

async function benchEngine(target: BenchTarget): Promise<Row[]> {
  const meta = await openMeta(target.url);
  try {
    await meta.init({ ...defaultFormat('bench', '22222222-2222-4222-8222-222222222222', '/tmp/bench'), TrashDays: 0 });
    await meta.load();
    await meta.newSession();
    const dir = await meta.mkdir(ctx, ROOT_INODE, 'big', 0o755, 0);
    const inos: Ino[] = [];
    for (let i = 0; i < DIR_ENTRIES; i++) {
      const f = await meta.mknod(ctx, dir.ino, `file-${i}`, 1, 0o644, 0);
      inos.push(f.ino);
    }
    const pick = (i: number) => (i * 7919) % DIR_ENTRIES;
    const raw = await target.raw();
    const rawPerSec = await timed(OPS, (i) => raw.read(inos[pick(i)]!));
    await raw.close();
    const rows: Row[] = [];
    const add = (op: string, opsPerSec: number) => rows.push({ engine: target.name, op, opsPerSec, rawPerSec });
    add('lookup', await timed(OPS, (i) => meta.lookup(ctx, dir.ino, `file-${pick(i)}`)));
    add('getattr', await timed(OPS, (i) => meta.getAttr(ctx, inos[pick(i)]!)));
    add(
      'create+unlink',
      await timed(Math.max(1, OPS / 4), async (i) => {
        const f = await meta.create(ctx, ROOT_INODE, `tmp-${i}`, 0o644, 0, 0);
        await meta.close(ctx, f.ino);
        await meta.unlink(ctx, ROOT_INODE, `tmp-${i}`);
      }),
    );
    const listings = 5;
    const perListing = await timed(listings, async () => {
      let cursor: string | undefined;
      let seen = 0;
      do {
        const page = await meta.readdir(ctx, dir.ino, cursor === undefined ? { plus: true } : { plus: true, cursor });
        seen += page.entries.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      if (seen !== DIR_ENTRIES) throw new Error(`readdir saw ${seen} of ${DIR_ENTRIES} entries`);
    });
    add(`readdirplus entries (${DIR_ENTRIES}-entry dir)`, perListing * DIR_ENTRIES);
    await meta.closeSession();
    return rows;
  } finally {
    await meta.shutdown();
    await target.cleanup();
  }
}

function printTable(rows: Row[]): void {
  const header = ['engine', 'operation', 'ops/s', 'raw read ops/s', 'ratio'];
  const body = rows.map((r) => [
    r.engine,
    r.op,
    r.opsPerSec.toFixed(0),
    r.rawPerSec.toFixed(0),
    `${((r.opsPerSec / r.rawPerSec) * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ENGINES?.split(',');
  const makers: Array<[string, () => Promise<BenchTarget> | BenchTarget]> = [
    ['sqlite3', sqliteTarget],
    ['postgres', postgresTarget],
    ['redis', redisTarget],
  ];
  const rows: Row[] = [];
  for (const [name, make] of makers) {
    if (only && !only.includes(name)) continue;
    process.stderr.write(`benchmarking ${name} (${DIR_ENTRIES} entries, ${OPS} ops)...\n`);
    rows.push(...(await benchEngine(await make())));
  }
  printTable(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  console.error('(servers: bash scripts/services/redis.sh and bash scripts/services/postgres.sh)');
  process.exitCode = 1;
});
