// Throughput and metadata latency through FUSE mounts served by this package, against the raw
// local disk and a bindfs mount (the cost of FUSE itself on this machine), all in one run.
// Mounts are served by child processes (test/helpers/mount-child.ts), as `juicefs mount` is.
// Run: pnpm --filter @juicefs/fuse bench   (as root; BENCH_MB sets the file size, default 64)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMountPoint, runCommand } from '../src/index.js';
import { startChildMount, type ChildMount } from '../test/helpers/child-mount.js';

const MB = Number(process.env.BENCH_MB ?? 64);
const CHUNK = 1 << 20;
const FILES = 500;

interface Result {
  target: string;
  writeMBs: number;
  readMBs: number;
  createUs: number;
  statUs: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function measure(target: string, dir: string): Promise<Result> {
  const buf = Buffer.alloc(CHUNK, 0x5a);
  const file = path.join(dir, 'seq.bin');
  const writeS = await timed(async () => {
    const h = await fs.open(file, 'w');
    for (let i = 0; i < MB; i++) await h.write(buf, 0, CHUNK, i * CHUNK);
    await h.sync();
    await h.close();
  });
  const readS = await timed(async () => {
    const h = await fs.open(file, 'r');
    for (let i = 0; i < MB; i++) await h.read(buf, 0, CHUNK, i * CHUNK);
    await h.close();
  });
  const small = path.join(dir, 'small');
  await fs.mkdir(small);
  const createS = await timed(async () => {
    for (let i = 0; i < FILES; i++) await fs.writeFile(path.join(small, `f${i}`), '');
  });
  const statS = await timed(async () => {
    for (let i = 0; i < FILES; i++) await fs.stat(path.join(small, `f${i}`));
  });
  await fs.rm(small, { recursive: true });
  await fs.rm(file);
  return { target, writeMBs: MB / writeS, readMBs: MB / readS, createUs: (createS / FILES) * 1e6, statUs: (statS / FILES) * 1e6 };
}

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-bench-'));
  const children: ChildMount[] = [];
  const mounts: string[] = [];
  try {
    const raw = path.join(tmp, 'raw');
    await fs.mkdir(raw);
    const results: Result[] = [await measure('local disk', raw)];

    const bind = path.join(tmp, 'bindfs');
    await fs.mkdir(bind);
    mounts.push(bind);
    const b = await runCommand('bindfs', [raw, bind]);
    if (b.code === 0) results.push(await measure('bindfs (libfuse)', bind));
    else console.log(`bindfs unavailable (${b.stderr.trim()}); skipping that baseline`);

    for (const kind of ['memfs', 'vfs'] as const) {
      const mp = path.join(tmp, kind);
      await fs.mkdir(mp);
      mounts.push(mp);
      children.push(await startChildMount(mp, kind));
      results.push(await measure(kind === 'memfs' ? '@juicefs/fuse + in-memory handler' : '@juicefs/fuse + VFS (memory meta/store)', mp));
    }

    const base = results[0]!;
    console.log(`file ${MB} MiB in 1 MiB requests, ${FILES} creates and stats; ratio = target / local disk`);
    console.log('target'.padEnd(44), 'write MB/s', ' read MB/s', ' create us', '   stat us');
    for (const r of results) {
      console.log(
        r.target.padEnd(44),
        `${r.writeMBs.toFixed(0)} (${(r.writeMBs / base.writeMBs).toFixed(2)}x)`.padStart(10),
        `${r.readMBs.toFixed(0)} (${(r.readMBs / base.readMBs).toFixed(2)}x)`.padStart(10),
        `${r.createUs.toFixed(0)} (${(r.createUs / base.createUs).toFixed(1)}x)`.padStart(10),
        `${r.statUs.toFixed(0)} (${(r.statUs / base.statUs).toFixed(1)}x)`.padStart(10),
      );
    }
  } finally {
    for (const c of children) {
      c.child.kill('SIGTERM');
      await c.exited;
    }
    for (const mp of mounts) if (await isMountPoint(mp)) await runCommand('umount', ['-l', mp]);
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
