import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { PosixLockRecord, Slice } from '@juicefs/core';
import { decodeSlice, decodeSlices, encodeSlice, encodeSlices } from '../src/codec/slice.js';
import { decodePlocks, encodePlocks } from '../src/codec/plock.js';
import { decodeDelSlices, encodeDelSlices } from '../src/codec/delslices.js';

interface Vector {
  name: string;
  fields: Slice;
  hex: string;
}
interface Golden {
  slice: Vector[];
  extra: Record<string, { hex: string }>;
}

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const golden = JSON.parse(fs.readFileSync(path.join(fixtures, 'golden-vectors.json'), 'utf8')) as Golden;
const extraHex = (name: string): string => {
  const v = golden.extra[name];
  if (!v) throw new Error(`golden-vectors.json has no extra.${name}`);
  return v.hex;
};

describe('slice record (FORMAT 3.3)', () => {
  it('has golden vectors to test against', () => {
    expect(golden.slice.length).toBeGreaterThanOrEqual(4);
  });

  for (const v of golden.slice) {
    it(`encodes and decodes ${v.name}`, () => {
      const fields: Slice = { pos: v.fields.pos, id: v.fields.id, size: v.fields.size, off: v.fields.off, len: v.fields.len };
      expect(encodeSlice(fields).toString('hex')).toBe(v.hex);
      expect(decodeSlice(Buffer.from(v.hex, 'hex'))).toEqual(fields);
    });
  }

  it('concatenates records in order, as jfs_chunk.slices holds them', () => {
    const all = golden.slice.map((v) => v.fields);
    const joined = golden.slice.map((v) => v.hex).join('');
    expect(encodeSlices(all).toString('hex')).toBe(joined);
    expect(decodeSlices(Buffer.from(joined, 'hex'))).toEqual(all);
    expect(encodeSlices([golden.slice[0]!.fields]).toString('hex')).toBe(extraHex('redisChunkListValue'));
  });

  it('rejects a list whose length is not a multiple of 24 with EIO', () => {
    expect(() => decodeSlices(Buffer.alloc(25))).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(() => decodeSlice(Buffer.alloc(23))).toThrow(expect.objectContaining({ code: 'EIO' }));
  });

  it('refuses slice ids above 2^53 with EOVERFLOW instead of rounding', () => {
    const buf = Buffer.alloc(24);
    buf.writeBigUInt64BE(2n ** 53n + 1n, 4);
    expect(() => decodeSlice(buf)).toThrow(expect.objectContaining({ code: 'EOVERFLOW' }));
  });

  it('round-trips any record', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const rec = fc.record({ pos: u32, id: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), size: u32, off: u32, len: u32 });
    fc.assert(fc.property(fc.array(rec, { maxLength: 20 }), (list) => {
      expect(decodeSlices(encodeSlices(list))).toEqual(list);
    }));
  });
});

describe('POSIX lock list (FORMAT 3.4)', () => {
  const records: PosixLockRecord[] = [
    { type: 1, pid: 4242, start: 0n, end: 99n },
    { type: 0, pid: 4242, start: 200n, end: 2n ** 63n - 1n },
  ];

  it('matches the golden plock records', () => {
    expect(encodePlocks(records).toString('hex')).toBe(extraHex('plockRecords'));
    expect(decodePlocks(Buffer.from(extraHex('plockRecords'), 'hex'))).toEqual(records);
  });

  it('keeps the full unsigned 64-bit range of start/end', () => {
    const max: PosixLockRecord[] = [{ type: 2, pid: 0xffffffff, start: 0n, end: 2n ** 64n - 1n }];
    expect(decodePlocks(encodePlocks(max))).toEqual(max);
  });

  it('rejects a truncated list with EIO', () => {
    expect(() => decodePlocks(Buffer.alloc(30))).toThrow(expect.objectContaining({ code: 'EIO' }));
  });
});

describe('delayed-slice list (FORMAT 3.4)', () => {
  const items = [
    { id: 5, size: 67108864 },
    { id: 6, size: 37748736 },
  ];

  it('matches the golden delayed slices', () => {
    expect(encodeDelSlices(items).toString('hex')).toBe(extraHex('delayedSlices'));
    expect(decodeDelSlices(Buffer.from(extraHex('delayedSlices'), 'hex'))).toEqual(items);
  });

  it('rejects a truncated list with EIO', () => {
    expect(() => decodeDelSlices(Buffer.alloc(13))).toThrow(expect.objectContaining({ code: 'EIO' }));
  });
});
