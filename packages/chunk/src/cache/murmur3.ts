/**
 * MurmurHash3, x86 32-bit variant, seed 0: the hash JuiceFS places blocks among several cache
 * directories with (through its consistent-hash ring, cache-ring.ts). Written from the published
 * algorithm; checked against the reference vectors of the Go package JuiceFS uses.
 */
export function murmur3(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = data.length & 3;
  if (tail > 0) {
    // The last one to three bytes, little-endian, mixed like a block but without the rotate of h.
    let k = data[whole]!;
    if (tail > 1) k |= data[whole + 1]! << 8;
    if (tail > 2) k |= data[whole + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `murmur3` of a string's UTF-8 bytes. */
export function murmur3String(s: string): number {
  return murmur3(Buffer.from(s, 'utf8'));
}
