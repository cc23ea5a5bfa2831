import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

// The `juicefs bench` workload (BEHAVIOUR.md 3.1), run against any directory: per thread one big
// file written then read in block-size calls, then small files written, read and stat'ed, with
// the page cache dropped between phases. "Threads" are concurrent async workers in this process
// (libuv's pool runs their system calls in parallel).

export interface WorkloadOptions {
  blockSize: number;
  bigFileSize: number;
  smallFileSize: number;
  /** Small files per thread, as juicefs bench counts them. */
  smallFileCount: number;
  threads: number;
  /** Flush and drop the page cache between phases (a no-op when not possible). */
  dropCaches: () => Promise<void>;
}

export interface WorkloadResult {
  bigWriteMiBps: number;
  bigReadMiBps: number;
  smallWriteFilesPerSec: number;
  smallReadFilesPerSec: number;
  statFilesPerSec: number;
}

const MiB = 1024 * 1024;

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function eachThread(threads: number, fn: (t: number) => Promise<void>): Promise<void> {
  return Promise.all(Array.from({ length: threads }, (_, t) => fn(t))).then(() => undefined);
}

async function writeBig(file: string, o: WorkloadOptions): Promise<void> {
  const buf = randomBytes(o.blockSize);
  const h = await fs.open(file, 'w', 0o644);
  try {
    for (let done = 0; done < o.bigFileSize; done += o.blockSize) await h.write(buf, 0, o.blockSize);
  } finally {
    await h.close();
  }
}

async function readBig(file: string, o: WorkloadOptions): Promise<void> {
  const buf = Buffer.alloc(o.blockSize);
  const h = await fs.open(file, 'r');
  try {
    for (let done = 0; done < o.bigFileSize; done += o.blockSize) {
      const { bytesRead } = await h.read(buf, 0, o.blockSize, null);
      if (bytesRead !== o.blockSize) throw new Error(`short read of ${file} at ${done}: ${bytesRead} of ${o.blockSize} bytes`);
    }
  } finally {
    await h.close();
  }
}

async function readSmall(file: string, size: number, buf: Buffer): Promise<void> {
  const h = await fs.open(file, 'r');
  try {
    const { bytesRead } = await h.read(buf, 0, size, 0);
    if (bytesRead !== size) throw new Error(`short read of ${file}: ${bytesRead} of ${size} bytes`);
  } finally {
    await h.close();
  }
}

/** Run the workload in a fresh directory under `root` and remove it afterwards. */
export async function runWorkload(root: string, o: WorkloadOptions): Promise<WorkloadResult> {
  // juicefs bench rounds the big file up to whole blocks.
  const opts = { ...o, bigFileSize: Math.ceil(o.bigFileSize / o.blockSize) * o.blockSize };
  const dir = path.join(root, `__juicefs_benchmark_${process.hrtime.bigint()}__`);
  await fs.mkdir(dir);
  const big = (t: number) => path.join(dir, `bigfile.${t}.0`);
  const small = (t: number, i: number) => path.join(dir, `smallfile.${t}.${i}`);
  try {
    const bigWrite = await timed(() => eachThread(o.threads, (t) => writeBig(big(t), opts)));
    await o.dropCaches();
    const bigRead = await timed(() => eachThread(o.threads, (t) => readBig(big(t), opts)));
    const smallWrite = await timed(() =>
      eachThread(o.threads, async (t) => {
        const buf = randomBytes(o.smallFileSize);
        for (let i = 0; i < o.smallFileCount; i++) await fs.writeFile(small(t, i), buf, { mode: 0o644 });
      }),
    );
    await o.dropCaches();
    const smallRead = await timed(() =>
      eachThread(o.threads, async (t) => {
        const buf = Buffer.alloc(o.smallFileSize);
        for (let i = 0; i < o.smallFileCount; i++) await readSmall(small(t, i), o.smallFileSize, buf);
      }),
    );
    await o.dropCaches();
    const stat = await timed(() =>
      eachThread(o.threads, async (t) => {
        for (let i = 0; i < o.smallFileCount; i++) await fs.stat(small(t, i));
      }),
    );
    const bigMiB = (opts.bigFileSize / MiB) * o.threads;
    const files = o.smallFileCount * o.threads;
    return {
      bigWriteMiBps: bigMiB / bigWrite,
      bigReadMiBps: bigMiB / bigRead,
      smallWriteFilesPerSec: files / smallWrite,
      smallReadFilesPerSec: files / smallRead,
      statFilesPerSec: files / stat,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
