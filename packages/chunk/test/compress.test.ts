import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { codecFor, contentSizeOf } from '../src/compress/index.js';
import { tempDir } from './services.js';

/** An independent LZ4 *block* decoder (the format's spec, written out), to check our framing. */
function lz4BlockDecode(src: Buffer, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let s = 0;
  let d = 0;
  for (;;) {
    const token = src[s++] ?? 0;
    let lit = token >> 4;
    if (lit === 15) for (let b = 255; b === 255; ) lit += b = src[s++] ?? 0;
    src.copy(out, d, s, s + lit);
    s += lit;
    d += lit;
    if (s >= src.length) break; // the last sequence has literals only
    const offset = (src[s] ?? 0) | ((src[s + 1] ?? 0) << 8);
    s += 2;
    let len = token & 15;
    if (len === 15) for (let b = 255; b === 255; ) len += b = src[s++] ?? 0;
    len += 4;
    for (let i = 0; i < len; i++, d++) out[d] = out[d - offset] ?? 0;
  }
  if (d !== outLen) throw new Error(`decoded ${d} bytes, expected ${outLen}`);
  return out;
}

function sample(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i % 251) ^ ((i >> 10) & 0xff);
  return b;
}

describe('codecs', () => {
  test('none keeps the block as it is and checks its length', async () => {
    const c = codecFor('');
    const raw = sample(1000);
    expect(await c.compress(raw)).toBe(raw);
    await expect(c.decompress(raw.subarray(1), 1000)).rejects.toMatchObject({ code: 'EIO' });
  });

  test.each([0, 1, 100, 65536, 4 << 20])('lz4 writes one bare LZ4 block of %i bytes (no frame, no size prefix)', async (n) => {
    const c = codecFor('LZ4');
    const raw = sample(n);
    const packed = await c.compress(raw);
    if (packed.length >= 4) expect(packed.readUInt32LE(0)).not.toBe(0x184d2204); // not an LZ4 frame
    if (n > 0) expect(lz4BlockDecode(packed, n).equals(raw)).toBe(true);
    expect((await c.decompress(packed, n)).equals(raw)).toBe(true);
  });

  test('lz4 rejects a block that does not decompress to the length in its name', async () => {
    const c = codecFor('lz4');
    const packed = await c.compress(sample(5000));
    await expect(c.decompress(packed, 4999)).rejects.toMatchObject({ code: 'EIO' });
    await expect(c.decompress(packed.subarray(0, packed.length - 3), 5000)).rejects.toMatchObject({ code: 'EIO' });
  });

  test.each([0, 1, 300, 70000, 4 << 20])('zstd writes a single frame of %i bytes with the content size, readable by the zstd tool', async (n) => {
    const c = codecFor('zstd');
    const raw = sample(n);
    const packed = await c.compress(raw);
    expect(contentSizeOf(packed)).toBe(n);
    expect((await c.decompress(packed, n)).equals(raw)).toBe(true);
    const t = tempDir('zstd');
    try {
      const f = path.join(t.dir, 'block.zst');
      writeFileSync(f, packed);
      // The reference implementation must read it back, and see one frame with a known size.
      expect(execFileSync('zstd', ['-d', '-c', f], { maxBuffer: 8 << 20 }).equals(raw)).toBe(true);
      const info = execFileSync('zstd', ['-lv', f]).toString();
      expect(info).toMatch(/# Zstandard Frames:\s+1/);
      expect(info).toMatch(/Decompressed Size:/);
    } finally {
      t.remove();
    }
  });

  test('unknown compressions are refused', () => {
    expect(() => codecFor('brotli')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
