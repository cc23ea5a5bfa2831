import fs from 'node:fs';

/**
 * Local files (a `file` bucket, the disk cache) up to this size are read and written with
 * synchronous calls on the event loop. Each async fs call is a round trip through libuv's thread
 * pool, about 50 µs here: a 128 KiB put (open, write, close, rename) took 272 µs that way and
 * 76 µs synchronously, because the calls only touch the page cache. Past a few hundred KiB the
 * copy itself costs more than the hops and blocking the loop would stall other requests, so big
 * blocks stay on the pool.
 */
export const DEFAULT_SYNC_BELOW = 256 * 1024;

/** One pread on the thread pool, for reads too big to block the event loop with. */
function preadAsync(fd: number, out: Buffer, at: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, out, at, out.length - at, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * Fills `out` from `fd` at `position` with as few preads as the kernel allows, directly when
 * `direct`, else on the pool; returns `out`, cut short at the end of the file.
 */
export async function readFully(fd: number, out: Buffer, position: number, direct: boolean): Promise<Buffer> {
  let got = 0;
  while (got < out.length) {
    const n = direct ? fs.readSync(fd, out, got, out.length - got, position + got) : await preadAsync(fd, out, got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === out.length ? out : out.subarray(0, got);
}
