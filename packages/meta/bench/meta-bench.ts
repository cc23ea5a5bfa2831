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

/** Rounds per measurement; the best round counts (the others absorb warm-up, GC and server noise). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * An operation and the raw read measured alternately, round by round, so both see the same
 * server state and load; each keeps its best round. Same keys, one request in flight for both.
 */
async function paired(
  n: number,
  raw: (i: number) => Promise<unknown>,
  op: (round: number, i: number) => Promise<unknown>,
): Promise<{ opsPerSec: number; rawPerSec: number }> {
  let best = 0;
  let bestRaw = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestRaw = Math.max(bestRaw, await timed(n, raw));
    best = Math.max(best, await timed(n, (i) => op(round, i)));
  }
  return { opsPerSec: best, rawPerSec: bestRaw };
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
    const rawRead = (i: number) => raw.read(inos[pick(i)]!);
    const rows: Row[] = [];
    const add = (op: string, r: { opsPerSec: number; rawPerSec: number }) => rows.push({ engine: target.name, op, ...r });
    add('lookup', await paired(OPS, rawRead, (_, i) => meta.lookup(ctx, dir.ino, `file-${pick(i)}`)));
    add('getattr', await paired(OPS, rawRead, (_, i) => meta.getAttr(ctx, inos[pick(i)]!)));
    add(
      'create+unlink',
      await paired(Math.max(1, OPS / 4), rawRead, async (round, i) => {
        const name = `tmp-${round}-${i}`;
        const f = await meta.create(ctx, ROOT_INODE, name, 0o644, 0, 0);
        await meta.close(ctx, f.ino);
        await meta.unlink(ctx, ROOT_INODE, name);
      }),
    );
    // Listing rate in entries/s next to the raw read rate (reads of one record each).
    const listing = await paired(1, rawRead, async () => {
      let cursor: string | undefined;
      let seen = 0;
      do {
        const page = await meta.readdir(ctx, dir.ino, cursor === undefined ? { plus: true } : { plus: true, cursor });
        seen += page.entries.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      if (seen !== DIR_ENTRIES) throw new Error(`readdir saw ${seen} of ${DIR_ENTRIES} entries`);
    });
    const rawForListing = await paired(OPS, rawRead, () => Promise.resolve());
    add(`readdirplus entries (${DIR_ENTRIES}-entry dir)`, {
      opsPerSec: listing.opsPerSec * DIR_ENTRIES,
      rawPerSec: rawForListing.rawPerSec,
    });
    await raw.close();
    await meta.closeSession();
    return rows;
  } finally {
    await meta.shutdown();
    await target.cleanup();
  }
}

function printTable(rows: Row[]): void {
  const header = ['engine', 'operation', 'ops/s', 'raw read ops/s', 'ops/raw'];
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
  console.log(`(best of ${ROUNDS} rounds each; raw = the server's own single-record read by primary key / GET, measured alternately with each operation)`);
}

main().catch((err: unknown) => {
  console.error(err);
  console.error('(servers: bash scripts/services/redis.sh and bash scripts/services/postgres.sh)');
  process.exitCode = 1;
});
