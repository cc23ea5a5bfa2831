import fs from 'node:fs';

/**
 * Local files (a `file` bucket, the disk cache) up to this size are written with synchronous
 * calls on the event loop. Each async fs call is a round trip through libuv's thread pool, about
 * 50 µs here: a 128 KiB put (open, write, close, rename) took 272 µs that way and 76 µs directly,
 * because the calls only touch the page cache. Bigger writes stay on the pool: the copy then
 * costs more than the hops, and the loop must not stall.
 *
 * Reads always go through the pool (only open, fstat and close are direct): a read may have to
 * wait for the disk, and on the loop that wait would hold up every other request. Measured with
 * `pnpm bench:fuse`, direct reads were no faster than pooled ones: 378 against 375 small-file
 * reads/s at 1 thread, 543 against 576 at 4.
 */
export const DEFAULT_DIRECT_WRITE_BELOW = 256 * 1024;

/** One pread on the thread pool. */
function pread(fd: number, out: Buffer, at: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, out, at, out.length - at, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Fills `out` from `fd` at `position` with as few preads as the kernel allows; cut short at the end of the file. */
export async function readFully(fd: number, out: Buffer, position: number): Promise<Buffer> {
  let got = 0;
  while (got < out.length) {
    const n = await pread(fd, out, got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === out.length ? out : out.subarray(0, got);
}
