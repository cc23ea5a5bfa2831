// Throughput of the chunk store on the `file` backend against plain `fs` on the same disk, in
// the same run. `pnpm --filter @juicefs/chunk bench` (JFS_BENCH_SIZE_MIB changes the 1 GiB).
import { mkdtempSync, rmSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createStorage, withPrefix } from '../src/object/index.js';
import { openChunkStore, type JuiceChunkStore } from '../src/store/index.js';

const MiB = 1 << 20;
const TOTAL = Number(process.env.JFS_BENCH_SIZE_MIB ?? 1024) * MiB;
const BLOCK = 4 * MiB;
const CHUNK = 64 * MiB;
const IO = 1 * MiB; // the size of each write/read call, like FUSE's large requests
const RANDOM_OPS = 20_000;

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

async function readStore(store: JuiceChunkStore): Promise<void> {
  for (let c = 0; c * CHUNK < TOTAL; c++) {
    const len = Math.min(CHUNK, TOTAL - c * CHUNK);
    const r = store.newReader(c + 1, len);
    for (let off = 0; off < len; off += IO) await r.readAt(off, IO);
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

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(process.env.JFS_BENCH_DIR ?? tmpdir(), 'jfs-chunk-bench-'));
  const data = payload();
  try {
    const storage = withPrefix(createStorage('file', path.join(dir, 'bucket')), 'bench/');
    await storage.create();
    // Warm-cache reads: memory cache large enough for the whole working set (the readahead fills it).
    const store = await openChunkStore(storage, { blockSize: BLOCK, memoryCacheSize: TOTAL + CHUNK, cacheDir: path.join(dir, 'cache'), cacheSize: 0 });
    const plain = path.join(dir, 'plain.bin');
    const rows: Array<[string, number, number, string]> = [];
    const fsWrite = await timed(() => writeFs(plain, data));
    const jfsWrite = await timed(() => writeStore(store, data));
    rows.push(['sequential write 1 MiB calls', TOTAL / MiB / jfsWrite, TOTAL / MiB / fsWrite, 'MiB/s']);
    await store.evictCache(0, 0);
    const cold = await openChunkStore(storage, { blockSize: BLOCK, memoryCacheSize: 256 * MiB, readahead: Number(process.env.JFS_BENCH_READAHEAD ?? 4) });
    const jfsRead = await timed(() => readStore(cold));
    const fsRead = await timed(() => readFs(plain));
    rows.push(['sequential read (cold store cache)', TOTAL / MiB / jfsRead, TOTAL / MiB / fsRead, 'MiB/s']);
    await cold.close();

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
    rows.push(['random 4 KiB read (warm cache)', RANDOM_OPS / jfsRandom, RANDOM_OPS / fsRandom, 'ops/s']);
    await store.close();

    console.log(`chunk store on file backend vs plain fs, ${TOTAL / MiB} MiB, block ${BLOCK / MiB} MiB, in ${dir}`);
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
