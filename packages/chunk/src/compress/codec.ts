import { compress as lz4Compress, uncompress as lz4Uncompress } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { fsError } from '@juicefs/core';
import { withContentSize } from './zstd-header.js';

/** Block framing in object storage (FORMAT.md 7.3). */
export interface Codec {
  readonly name: 'none' | 'lz4' | 'zstd';
  compress(raw: Buffer): Promise<Buffer>;
  /** Restores a block whose uncompressed length is `length`; EIO when it does not come out exactly. */
  decompress(data: Buffer, length: number): Promise<Buffer>;
}

const none: Codec = {
  name: 'none',
  compress: async (raw) => raw,
  decompress: async (data, length) => {
    if (data.length !== length) throw fsError('EIO', `block is ${data.length} bytes, its name says ${length}`);
    return data;
  },
};

// lz4-napi speaks LZ4's block format with a 4-byte little-endian length in front (lz4_flex's
// "prepend size"); JuiceFS stores the bare block, so the prefix is cut off and put back.
const lz4: Codec = {
  name: 'lz4',
  compress: async (raw) => (await lz4Compress(raw)).subarray(4),
  decompress: async (data, length) => {
    const framed = Buffer.allocUnsafe(data.length + 4);
    framed.writeUInt32LE(length, 0);
    data.copy(framed, 4);
    let out: Buffer;
    try {
      out = await lz4Uncompress(framed);
    } catch (err) {
      throw fsError('EIO', `corrupt lz4 block (${data.length} bytes, expected ${length} after decompression)`, err);
    }
    if (out.length !== length) throw fsError('EIO', `lz4 block decompressed to ${out.length} bytes, expected ${length}`);
    return out;
  },
};

const zstd: Codec = {
  name: 'zstd',
  compress: async (raw) => withContentSize(await zstdCompress(raw, 1), raw.length),
  decompress: async (data, length) => {
    let out: Buffer;
    try {
      out = await zstdDecompress(data);
    } catch (err) {
      throw fsError('EIO', `corrupt zstd block (${data.length} bytes)`, err);
    }
    if (out.length !== length) throw fsError('EIO', `zstd block decompressed to ${out.length} bytes, expected ${length}`);
    return out;
  },
};

/** The codec for a format's `Compression` value (case-insensitive; empty means none). */
export function codecFor(name: string | undefined): Codec {
  switch ((name ?? '').toLowerCase()) {
    case '':
    case 'none':
      return none;
    case 'lz4':
      return lz4;
    case 'zstd':
      return zstd;
    default:
      throw fsError('EINVAL', `unknown compression "${name}": use none, lz4 or zstd`);
  }
}
