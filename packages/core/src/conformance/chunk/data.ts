/** Deterministic bytes that differ by position and seed (and compress somewhat, like real data). */
export function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    if ((i & 15) === 0) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
    }
    out[i] = (x >>> ((i & 3) * 8)) & (i & 64 ? 0x0f : 0xff);
  }
  return out;
}

/** The key JuiceFS gives block `index` (of uncompressed `len` bytes) of slice `id` (FORMAT.md 7.2). */
export function expectedKey(id: number, index: number, len: number, hashPrefix: boolean): string {
  const name = `${id}_${index}_${len}`;
  if (hashPrefix) return `chunks/${(id % 256).toString(16).toUpperCase().padStart(2, '0')}/${Math.floor(id / 1e6)}/${name}`;
  return `chunks/${Math.floor(id / 1e6)}/${Math.floor(id / 1e3)}/${name}`;
}

/** First differing offset of two buffers, or -1 (a readable failure instead of a megabyte diff). */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
