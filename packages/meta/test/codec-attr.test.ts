import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasCode, type Attr, type NodeType } from '@juicefs/core';
import { decodeAttr, encodeAttr } from '../src/codec/attr.js';
import { decodeEntry, encodeEntry } from '../src/codec/entry.js';
import { decodeQuota, encodeQuota } from '../src/codec/quota.js';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');

interface Vector<F> {
  name: string;
  fields: F;
  length: number;
  hex: string;
}
type Num = number | string;
interface AttrFields {
  flags: number; type: number; mode: number; uid: number; gid: number;
  atime: Num; atimensec: number; mtime: Num; mtimensec: number; ctime: Num; ctimensec: number;
  nlink: number; length: Num; rdev: number; parent: Num; accessAcl: number; defaultAcl: number; tier: number;
}
interface Golden {
  attr: Array<Vector<AttrFields>>;
  dirEntry: Array<Vector<{ type: number; inode: Num }>>;
  extra: { quotaValueRedis: Array<{ description: string; hex: string }> };
}

const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden-vectors.json'), 'utf8')) as Golden;

function toAttr(f: AttrFields): Attr {
  return {
    flags: f.flags, type: f.type as NodeType, mode: f.mode, uid: f.uid, gid: f.gid,
    atime: Number(f.atime), atimensec: f.atimensec, mtime: Number(f.mtime), mtimensec: f.mtimensec,
    ctime: Number(f.ctime), ctimensec: f.ctimensec, nlink: f.nlink, length: Number(f.length), rdev: f.rdev,
    parent: BigInt(f.parent), accessACL: f.accessAcl, defaultACL: f.defaultAcl, tier: f.tier,
  };
}

describe('attribute record (FORMAT 3.1)', () => {
  it('has golden vectors for all four record lengths', () => {
    expect(new Set(golden.attr.map((v) => v.length))).toEqual(new Set([72, 73, 80, 81]));
  });

  for (const v of golden.attr) {
    it(`encodes ${v.name} byte for byte (${v.length} bytes)`, () => {
      const bytes = encodeAttr(toAttr(v.fields));
      expect(bytes.length).toBe(v.length);
      expect(bytes.toString('hex')).toBe(v.hex);
    });
    it(`decodes ${v.name}`, () => {
      expect(decodeAttr(Buffer.from(v.hex, 'hex'))).toEqual(toAttr(v.fields));
    });
  }

  const base = toAttr(golden.attr[0]!.fields);

  it('preserves unknown flag bits (flags 128 as in metadata.sample)', () => {
    const a = { ...base, flags: 128 | 1 };
    const round = decodeAttr(encodeAttr(a));
    expect(round.flags).toBe(129);
    expect(encodeAttr(round).equals(encodeAttr(a))).toBe(true);
  });

  it('reads a record without parent (63 bytes) with parent 0', () => {
    const short = encodeAttr({ ...base, parent: 7n }).subarray(0, 63);
    const a = decodeAttr(short);
    expect(a.parent).toBe(0n);
    expect(a.length).toBe(base.length);
  });

  it('accepts an explicit all-zero ACL pair and a zero tier byte', () => {
    const b = Buffer.concat([encodeAttr(base).subarray(0, 71), Buffer.alloc(10)]);
    expect(b.length).toBe(81);
    expect(decodeAttr(b)).toEqual(base);
  });

  it('keeps inodes above 2^53 exactly', () => {
    const parent = 0x7fffffff10000003n;
    expect(decodeAttr(encodeAttr({ ...base, parent })).parent).toBe(parent);
  });

  it('rejects lengths above 2^53 with EOVERFLOW', () => {
    const b = encodeAttr(base);
    b.writeBigUInt64BE(2n ** 53n + 1n, 51);
    expect(() => decodeAttr(b)).toThrow(expect.objectContaining({ code: 'EOVERFLOW' }));
  });

  it('reads negative times (before 1970)', () => {
    expect(decodeAttr(encodeAttr({ ...base, mtime: -86400 })).mtime).toBe(-86400);
  });

  it('refuses a truncated record with EIO', () => {
    let err: unknown;
    try {
      decodeAttr(Buffer.alloc(40));
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'EIO')).toBe(true);
  });
});

describe('directory entry value (FORMAT 3.2)', () => {
  for (const v of golden.dirEntry) {
    it(`round-trips ${v.name}`, () => {
      const bytes = encodeEntry(v.fields.type as NodeType, BigInt(v.fields.inode));
      expect(bytes.toString('hex')).toBe(v.hex);
      expect(decodeEntry(Buffer.from(v.hex, 'hex'))).toEqual({ type: v.fields.type, ino: BigInt(v.fields.inode) });
    });
  }
  it('refuses values that are not 9 bytes', () => {
    expect(() => decodeEntry(Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'EIO' }));
  });
});

describe('quota pair (FORMAT 3.4)', () => {
  const [limited, unlimited] = golden.extra.quotaValueRedis;
  it('encodes 1 GiB / 100 inodes', () => {
    expect(encodeQuota({ maxSpace: 1073741824, maxInodes: 100 }).toString('hex')).toBe(limited!.hex);
    expect(decodeQuota(Buffer.from(limited!.hex, 'hex'))).toEqual({ maxSpace: 1073741824, maxInodes: 100 });
  });
  it('encodes unlimited as -1/-1', () => {
    expect(encodeQuota({ maxSpace: -1, maxInodes: -1 }).toString('hex')).toBe(unlimited!.hex);
    expect(decodeQuota(Buffer.from(unlimited!.hex, 'hex'))).toEqual({ maxSpace: -1, maxInodes: -1 });
  });
});
