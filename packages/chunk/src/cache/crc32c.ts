import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli), the checksum JuiceFS stores with cached blocks. Node has no built-in for
 * this polynomial (zlib's crc32 is the IEEE one). @node-rs/crc32 computes it with the CPU's CRC
 * instruction: 5.8 GiB/s here, against 740 MiB/s for a slicing-by-8 table loop in JavaScript,
 * which cost 167 µs of the event loop per 128 KiB block cached or read back (and 5 ms per 4 MiB
 * block). It is a prebuilt napi-rs module like lz4-napi, from the npm registry, with no install
 * script.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  if (end <= start) return 0;
  // A view, not a copy: the module takes Buffers only.
  const view = Buffer.isBuffer(data) && start === 0 && end === data.length ? data : Buffer.from(data.buffer, data.byteOffset + start, end - start);
  return nativeCrc32c(view) >>> 0;
}
