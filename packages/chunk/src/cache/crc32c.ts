/**
 * CRC-32C (Castagnoli), the checksum JuiceFS stores with cached blocks. Node has no built-in
 * for this polynomial (zlib's crc32 is the IEEE one), so it is computed here, eight bytes per
 * step through eight tables ("slicing-by-8"): about eight times faster than a byte at a time.
 */
const POLY = 0x82f63b78; // reflected Castagnoli polynomial

const TABLES: Uint32Array[] = (() => {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  const t0 = t[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t0[i]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t0[c & 0xff]!;
      t[k]![i] = c >>> 0;
    }
  }
  return t;
})();

/** Words can be read as little-endian 32-bit integers (true on every platform Node runs on but s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The CRC-32C of `data[start, end)`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0xffffffff;
  let i = start;
  if (LITTLE_ENDIAN) {
    // Up to a 4-byte boundary a byte at a time, then two words per step: a quarter faster than
    // assembling the words from bytes.
    for (; i < end && ((data.byteOffset + i) & 3) !== 0; i++) crc = (crc >>> 8) ^ t0[(crc ^ data[i]!) & 0xff]!;
    const pairs = Math.max(0, (end - i) >>> 3);
    // (No view at all when the range ended before reaching a boundary.)
    const w = pairs > 0 ? new Int32Array(data.buffer, data.byteOffset + i, pairs * 2) : new Int32Array(0);
    for (let j = 0; j < w.length; j += 2) {
      const x = crc ^ w[j]!;
      const y = w[j + 1]!;
      crc =
        t7[x & 0xff]! ^ t6[(x >>> 8) & 0xff]! ^ t5[(x >>> 16) & 0xff]! ^ t4[x >>> 24]! ^
        t3[y & 0xff]! ^ t2[(y >>> 8) & 0xff]! ^ t1[(y >>> 16) & 0xff]! ^ t0[y >>> 24]!;
    }
    i += pairs * 8;
  } else {
    for (; i + 8 <= end; i += 8) {
      const a = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
      crc =
        t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
        t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!;
    }
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t0[(crc ^ data[i]!) & 0xff]!;
  return (crc ^ 0xffffffff) >>> 0;
}
