// Throughput of the chunk store on the `file` backend against plain `fs` on the same disk, in
// the same run. `pnpm --filter @juicefs/chunk bench` (JFS_BENCH_SIZE_MIB changes the 1 GiB,
// JFS_BENCH_ROUNDS the rounds (median reported), JFS_BENCH_VARIANTS which
// variants run, JFS_BENCH_READAHEAD a fixed readahead window for all).
//
// Fair baselines: before each cold read phase the page cache is dropped (when this process may
// write /proc/sys/vm/drop_caches, i.e. as root), so the store and plain fs both read from disk;
// the warm rows read the same files again with the page cache full, for both sides.
import { mkdtempSync, rmSync, promises as fsp } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ObjectStorage } from '@juicefs/core';
import { createStorage, withPrefix } from '../src/object/index.js';
import { openChunkStore, type JuiceChunkStore } from '../src/store/index.js';
import { dropPageCache } from './page-cache.js';

const MiB = 1 << 20;
const TOTAL = Number(process.env.JFS_BENCH_SIZE_MIB ?? 1024) * MiB;
const BLOCK = 4 * MiB;
const CHUNK = 64 * MiB;
const IO = 1 * MiB; // the size of each write/read call, like FUSE's large requests
const RANDOM_OPS = 20_000;
const FORCED_READAHEAD = process.env.JFS_BENCH_READAHEAD === undefined ? undefined : { readahead: Number(process.env.JFS_BENCH_READAHEAD) };

const ROUNDS = Math.max(1, Number(process.env.JFS_BENCH_ROUNDS ?? 3));

interface Variant {
  storage: (bucket: string) => ObjectStorage;
  /** Store options over the defaults (readahead). */
  options: { readahead?: number };
  /** Sequential reads fill a caller's buffer (`readInto`) rather than return a new one. */
  readInto: boolean;
}

/**
 * Before: the store as it was (OpenDAL's fs service, a fixed 4-block readahead, 4 fetches at a
 * time, `readAt`); after: node:fs storage, the default adaptive parallel readahead, `readInto`. JFS_BENCH_READAHEAD
 * forces one fixed window on both.
 */
const VARIANTS: Record<string, Variant> = {
  'before (opendal fs, readahead 4)': { storage: (b) => createStorage('file', b, '', '', { engine: 'opendal' }), options: { readahead: 4 }, readInto: false },
  'after (node:fs, adaptive)': { storage: (b) => createStorage('file', b), options: {}, readInto: true },
};

function payload(): Buffer {
  const b = Buffer.alloc(IO);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function writeStore(store: JuiceChunkStore, data: Buffer): Promise<void> {
  for (let c = 0; c * CHUNK < TOTAL; c++) {
    const w = store.newWriter(c + 1);
    const len = Math.min(CHUNK, TOTAL - c * CHUNK);
    for (let off = 0; off < len; off += IO) {
      await w.writeAt(data, off);
      await w.flushTo(off + IO);
    }
    await w.finish(len);
  }
}

/** Reads every slice in IO-sized calls: with `into`, into one reused buffer as plain fs does. */
async function readStore(store: JuiceChunkStore, into = false): Promise<void> {
  const buf = Buffer.alloc(IO);
  for (let c = 0; c * CHUNK < TOTAL; c++) {
    const len = Math.min(CHUNK, TOTAL - c * CHUNK);
    const r = store.newReader(c + 1, len);
    for (let off = 0; off < len; off += IO) {
      if (into) await r.readInto(off, IO, buf, 0);
      else await r.readAt(off, IO);
    }
  }
}

async function writeFs(file: string, data: Buffer): Promise<void> {
  const fh = await fsp.open(file, 'w');
  for (let off = 0; off < TOTAL; off += IO) await fh.write(data, 0, IO, off);
  await fh.close();
}

async function readFs(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r');
  const buf = Buffer.alloc(IO);
  for (let off = 0; off < TOTAL; off += IO) await fh.read(buf, 0, IO, off);
  await fh.close();
}

function randomOffsets(): number[] {
  let x = 12345;
  const out: number[] = [];
  for (let i = 0; i < RANDOM_OPS; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(Math.floor((x / 0x100000000) * (TOTAL / 4096)) * 4096);
  }
  return out;
}

type Row = [string, number, number, string];
const readaheads = new Map<string, string>();

/** The median of each cell over the rounds (the machine may be shared: one round can be noisy). */
function medianRows(rounds: Row[][]): Row[] {
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
  };
  return (rounds[0] ?? []).map(([name, , , unit], i) => [name, med(rounds.map((r) => r[i]?.[1] ?? 0)), med(rounds.map((r) => r[i]?.[2] ?? 0)), unit]);
}
const mibps = (secs: number): number => TOTAL / MiB / secs;

/** A store with an empty memory cache and no disk cache: every block comes from the storage. */
const coldStore = (storage: ObjectStorage, extra: Variant['options']): Promise<JuiceChunkStore> =>
  openChunkStore(storage, { blockSize: BLOCK, memoryCacheSize: 256 * MiB, ...extra });

async function benchVariant(name: string, storage: ObjectStorage, extra: Variant['options'], into: boolean, plain: string, data: Buffer): Promise<{ rows: Row[]; dropped: boolean }> {
  await storage.create();
  const rows: Row[] = [];
  // Warm-cache random reads: a memory cache large enough for the whole working set.
  const store = await openChunkStore(storage, { blockSize: BLOCK, memoryCacheSize: TOTAL + CHUNK, ...extra });
  const fsWrite = await timed(() => writeFs(plain, data));
  const jfsWrite = await timed(() => writeStore(store, data));
  rows.push([`${name}: sequential write, 1 MiB calls`, mibps(jfsWrite), mibps(fsWrite), 'MiB/s']);

  // Cold: page cache dropped before each side reads.
  let dropped = await dropPageCache();
  let cold = await coldStore(storage, extra);
  readaheads.set(name, `${cold.options.adaptiveReadahead ? 'adaptive up to ' : ''}${cold.options.readahead} blocks`);
  const jfsCold = await timed(() => readStore(cold, into));
  await cold.close();
  dropped = (await dropPageCache()) && dropped;
  const fsCold = await timed(() => readFs(plain));
  if (dropped) rows.push([`${name}: sequential read, cold (from disk)`, mibps(jfsCold), mibps(fsCold), 'MiB/s']);

  // Warm page cache, cold store cache: both sides read files the kernel holds in memory.
  await readFs(plain);
  cold = await coldStore(storage, extra);
  await readStore(cold); // pulls every object into the page cache
  await cold.close();
  cold = await coldStore(storage, extra);
  const jfsWarm = await timed(() => readStore(cold, into));
  await cold.close();
  const fsWarm = await timed(() => readFs(plain));
  rows.push([`${name}: sequential read, page cache warm`, mibps(jfsWarm), mibps(fsWarm), 'MiB/s']);

  const offsets = randomOffsets();
  await readStore(store); // warm the memory cache
  const readers = new Map<number, ReturnType<JuiceChunkStore['newReader']>>();
  const jfsRandom = await timed(async () => {
    for (const off of offsets) {
      const c = Math.floor(off / CHUNK);
      let r = readers.get(c);
      if (!r) readers.set(c, (r = store.newReader(c + 1, Math.min(CHUNK, TOTAL - c * CHUNK))));
      await r.readAt(off - c * CHUNK, 4096);
    }
  });
  const fh = await fsp.open(plain, 'r');
  const small = Buffer.alloc(4096);
  const fsRandom = await timed(async () => {
    for (const off of offsets) await fh.read(small, 0, 4096, off);
  });
  await fh.close();
  rows.push([`${name}: random 4 KiB read, warm cache`, RANDOM_OPS / jfsRandom, RANDOM_OPS / fsRandom, 'ops/s']);
  await store.close();
  return { rows, dropped };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(process.env.JFS_BENCH_DIR ?? tmpdir(), 'jfs-chunk-bench-'));
  const data = payload();
  const wanted = process.env.JFS_BENCH_VARIANTS?.split(',');
  const rounds: Row[][] = [];
  let dropped = true;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const rows: Row[] = [];
      for (const [name, v] of Object.entries(VARIANTS)) {
        if (wanted && !wanted.some((w) => name.includes(w))) continue;
        const bucket = path.join(dir, name.replace(/\W+/g, '-'));
        const r = await benchVariant(name, withPrefix(v.storage(bucket), 'bench/'), FORCED_READAHEAD ?? v.options, v.readInto, path.join(dir, 'plain.bin'), data);
        rows.push(...r.rows);
        dropped &&= r.dropped;
        await fsp.rm(bucket, { recursive: true, force: true });
      }
      rounds.push(rows);
    }
    const rows = medianRows(rounds);
    console.log(`chunk store vs plain fs, ${TOTAL / MiB} MiB, block ${BLOCK / MiB} MiB, median of ${ROUNDS} rounds, in ${dir}`);
    for (const [name, ra] of readaheads) console.log(`readahead of ${name}: ${ra}`);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`);
    console.log(
      dropped
        ? 'page cache: dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each cold read, for both sides'
        : 'page cache: could NOT be dropped (not root or /proc/sys/vm/drop_caches not writable): cold rows omitted, only warm figures are fair',
    );
    const head = ['workload', 'chunk store', 'plain fs', 'unit', 'ratio'];
    const body = rows.map(([name, jfs, base, unit]) => [name, jfs.toFixed(1), base.toFixed(1), unit, (jfs / base).toFixed(2)]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of body) console.log(line(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
