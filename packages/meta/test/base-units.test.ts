import fc from 'fast-check';
import { LockType, type PosixLockRecord } from '@juicefs/core';
import { IdAllocator } from '../src/base/alloc.js';
import { checkName, checkSymlinkTarget } from '../src/base/names.js';
import { applyLock, LOCK_EOF } from '../src/base/plock-ranges.js';
import { parseTrashHour, trashEntryName, trashHourName } from '../src/base/trash.js';

// Pure pieces of BaseMeta: POSIX lock range arithmetic, id batches, trash names, name rules.

const rec = (type: LockType, start: bigint, end: bigint, pid = 1): PosixLockRecord => ({ type, pid, start, end });

describe('applyLock (one owner\'s POSIX record list)', () => {
  it('splits a range when the middle is unlocked and merges adjacent equal ranges', () => {
    let r = applyLock([], rec(LockType.Write, 0n, 99n));
    r = applyLock(r, rec(LockType.Unlock, 10n, 19n));
    expect(r).toEqual([rec(LockType.Write, 0n, 9n), rec(LockType.Write, 20n, 99n)]);
    r = applyLock(r, rec(LockType.Write, 10n, 19n));
    expect(r).toEqual([rec(LockType.Write, 0n, 99n)]);
  });

  it('changes the type of part of a range (read inside write) and keeps records sorted', () => {
    const r = applyLock([rec(LockType.Write, 0n, LOCK_EOF)], rec(LockType.Read, 100n, 199n));
    expect(r).toEqual([rec(LockType.Write, 0n, 99n), rec(LockType.Read, 100n, 199n), rec(LockType.Write, 200n, LOCK_EOF)]);
  });

  it('matches a byte-by-byte model for random request sequences', () => {
    const op = fc.record({
      type: fc.constantFrom<LockType>(LockType.Read, LockType.Write, LockType.Unlock),
      start: fc.integer({ min: 0, max: 40 }),
      len: fc.integer({ min: 1, max: 15 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const model = new Array<LockType>(64).fill(LockType.Unlock);
        let records: PosixLockRecord[] = [];
        for (const o of ops) {
          for (let i = o.start; i < o.start + o.len; i++) model[i] = o.type;
          records = applyLock(records, rec(o.type, BigInt(o.start), BigInt(o.start + o.len - 1)));
        }
        const seen = new Array<LockType>(64).fill(LockType.Unlock);
        for (const r of records) for (let i = Number(r.start); i <= Number(r.end); i++) seen[i] = r.type;
        expect(seen).toEqual(model);
        records.forEach((r, i) => {
          expect(r.type).not.toBe(LockType.Unlock);
          const next = records[i + 1];
          if (next) {
            expect(r.end < next.start).toBe(true); // sorted, disjoint
            expect(r.type === next.type && r.end + 1n === next.start).toBe(false); // merged
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('IdAllocator', () => {
  it('reserves batches, skips ids at or below the floor and never repeats under concurrency', async () => {
    let counter = 0;
    const reserves: number[] = [];
    const alloc = new IdAllocator<bigint>(async (n) => {
      reserves.push(n);
      const first = counter;
      counter += n;
      return BigInt(first);
    }, 8, 1n);
    const ids = await Promise.all(Array.from({ length: 30 }, () => alloc.allocate()));
    expect(new Set(ids).size).toBe(30);
    expect(ids.every((i) => i > 1n)).toBe(true);
    expect(ids.sort((a, b) => Number(a - b))[0]).toBe(2n);
    expect(reserves.every((n) => n === 8)).toBe(true);
    expect(reserves.length).toBe(4); // 0..31 minus 0 and 1 = 30 ids
  });
});

describe('trash names', () => {
  it('names hour directories YYYY-MM-DD-HH in UTC and parses them back', () => {
    const d = new Date(Date.UTC(2021, 11, 2, 9, 59, 1));
    expect(trashHourName(d)).toBe('2021-12-02-09');
    expect(parseTrashHour('2021-12-02-09')).toBe(Date.UTC(2021, 11, 2, 9) / 1000);
    expect(parseTrashHour('not-a-date')).toBeUndefined();
  });

  it('names entries <parent>-<ino>-<name> cut to 255 bytes', () => {
    expect(trashEntryName(1n, 23n, Buffer.from('a.txt')).toString()).toBe('1-23-a.txt');
    const long = trashEntryName(9223372032828243969n, 123456n, Buffer.alloc(255, 0x61));
    expect(long.length).toBe(255);
    expect(long.toString().startsWith('9223372032828243969-123456-aaa')).toBe(true);
  });
});

describe('name rules', () => {
  it('accepts 1..255 bytes without / or NUL and reports each violation with its errno', () => {
    expect(() => checkName(Buffer.alloc(255, 0x62))).not.toThrow();
    expect(() => checkName(Buffer.alloc(256, 0x62))).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
    expect(() => checkName(Buffer.from('a/b'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => checkName(Buffer.from('a\0b'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => checkName(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => checkSymlinkTarget(Buffer.alloc(4097, 0x61))).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
    expect(() => checkSymlinkTarget(Buffer.alloc(4096, 0x61))).not.toThrow();
  });
});
