import fs from 'node:fs';
import { readFully } from '../object/direct-io.js';
import { crc32c } from './crc32c.js';
import { openIfPresent } from './files.js';

/**
 * The layout of a cache file, as JuiceFS 1.x writes it (pkg/chunk/disk_cache.go, flushPage and
 * openCacheFile), so a cache directory can pass between the Go client and this one:
 *
 *     [block bytes] [CRC-32C of each 32 KiB of them, 4 bytes big-endian each]?  [footer]?
 *
 * The checksums are there when the writer had `--verify-cache-checksum` other than `none`; newer
 * Go clients may append a footer to staged files (its length is then not a multiple of 4, or it
 * follows the checksums). The block's length is in its name; the file's size says the rest.
 */

/** `--verify-cache-checksum` levels, as JuiceFS names them. */
export const CHECKSUM_LEVELS = ['none', 'full', 'shrink', 'extend'] as const;
export type ChecksumLevel = (typeof CHECKSUM_LEVELS)[number];

/** Bytes covered by one checksum. */
export const CHECKSUM_BLOCK = 32 * 1024;

/** Bytes of checksums after a block of `length` bytes. */
export function checksumLength(length: number): number {
  return (Math.floor((length - 1) / CHECKSUM_BLOCK) + 1) * 4;
}

/** The checksums JuiceFS appends to a cached block. */
export function checksumsOf(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(checksumLength(data.length));
  for (let start = 0, i = 0; start < data.length; start += CHECKSUM_BLOCK, i += 4) {
    out.writeUInt32BE(crc32c(data, start, Math.min(data.length, start + CHECKSUM_BLOCK)), i);
  }
  return out;
}

/**
 * What a file of `fileSize` bytes holding a block of `length` bytes carries after the block:
 * `plain` (nothing, or only a footer), `checksummed`, or undefined when the size fits no layout
 * (a truncated or foreign file: never to be read).
 */
export function layoutOf(fileSize: number, length: number): 'plain' | 'checksummed' | undefined {
  const extra = fileSize - length;
  if (extra < 0) return undefined;
  if (extra === 0) return 'plain';
  if (extra % 4 !== 0) return 'plain'; // a footer alone
  return extra >= checksumLength(length) ? 'checksummed' : undefined;
}

/** The result of reading a range of a cache file. */
export type CachedRange = { data: Buffer } | { bad: string };

/**
 * `size` bytes at `offset` of the block in the open file `fd`, checked against its checksums as
 * `level` asks (JuiceFS's meanings): `full` checks only reads of the whole block; `shrink` checks
 * the 32 KiB pieces wholly inside the range; `extend` reads whole pieces around the range and
 * checks them all. A mismatch comes back as `bad`: the caller drops the file.
 */
export async function readChecked(fd: number, length: number, offset: number, size: number, level: ChecksumLevel): Promise<CachedRange> {
  if (level === 'none' || (level === 'full' && (offset !== 0 || size !== length))) {
    return { data: await readFully(fd, Buffer.allocUnsafe(size), offset) };
  }
  let from = offset;
  let to = offset + size;
  if (level === 'extend') {
    from = Math.floor(offset / CHECKSUM_BLOCK) * CHECKSUM_BLOCK;
    to = Math.min(length, Math.ceil(to / CHECKSUM_BLOCK) * CHECKSUM_BLOCK);
  }
  const read = await readFully(fd, Buffer.allocUnsafe(to - from), from);
  if (read.length !== to - from) return { bad: `short read: ${read.length} of ${to - from} bytes at ${from}` };
  // The pieces to check: whole ones inside [from, to), and a block's last (short) piece.
  const first = Math.ceil(from / CHECKSUM_BLOCK);
  const endPiece = to === length ? Math.ceil(length / CHECKSUM_BLOCK) : Math.floor(to / CHECKSUM_BLOCK);
  if (endPiece > first) {
    const sums = await readFully(fd, Buffer.allocUnsafe((endPiece - first) * 4), length + first * 4);
    if (sums.length !== (endPiece - first) * 4) return { bad: 'checksums cut short' };
    for (let p = first; p < endPiece; p++) {
      const start = p * CHECKSUM_BLOCK - from;
      const end = Math.min(length, (p + 1) * CHECKSUM_BLOCK) - from;
      const want = sums.readUInt32BE((p - first) * 4);
      const got = crc32c(read, start, end);
      if (got !== want) return { bad: `checksum of bytes ${start + from}-${end + from} is ${got.toString(16)}, stored ${want.toString(16)}` };
    }
  }
  const data = from === offset && to === offset + size ? read : Buffer.from(read.subarray(offset - from, offset - from + size));
  return { data };
}

/** Opens a cache file for reading, with its size and link count; undefined when it is missing. */
export function openCacheFile(file: string): { fd: number; size: number; links: number } | undefined {
  const fd = openIfPresent(file);
  if (fd === undefined) return undefined;
  try {
    const st = fs.fstatSync(fd);
    return { fd, size: st.size, links: st.nlink };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}
