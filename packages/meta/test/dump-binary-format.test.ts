import { PassThrough, Readable } from 'node:stream';
import { BackupWriter, encodeSegment, readBackup } from '../src/dump/backup-file.js';
import { decodeBatch, encodeBatch } from '../src/dump/backup-pb.js';
import { PbWriter, pbFields, pbRepeatedInts, varint } from '../src/dump/protobuf.js';

// Byte-level checks against bytes worked out by hand from the protobuf wire format and upstream's
// file layout (pkg/meta/backup.go): segment = type u32 BE, length u64 BE, protobuf bytes; after the
// last segment the magic 0x747083 as u32 BE, the Footer message, and its length as u64 BE.

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

describe('protobuf wire codec', () => {
  it('writes varints as base-128 groups, negatives as 10-byte two\'s complement', () => {
    expect(hex(varint(0n))).toBe('00');
    expect(hex(varint(1n))).toBe('01');
    expect(hex(varint(150n))).toBe('96 01');
    expect(hex(varint(300n))).toBe('ac 02');
    expect(hex(varint(0x747083n))).toBe('83 e1 d1 03');
    expect(hex(varint(-1n))).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(() => varint(1n << 64n)).toThrow(/64 bits/);
  });

  it('writes fields in the order given, leaving proto3 defaults out', () => {
    const w = new PbWriter();
    w.int(1, 150);
    w.int(3, 0); // zero: omitted
    w.bytes(2, 'testing');
    w.bytes(4, Buffer.alloc(0)); // empty: omitted
    w.packed(5, [3, 270]);
    expect(hex(w.finish())).toBe('08 96 01 12 07 74 65 73 74 69 6e 67 2a 03 03 8e 02');
  });

  it('reads fields back, packed and unpacked repeated values alike', () => {
    const fields = [...pbFields(Buffer.from('0896011207746573746' + '96e672a03038e022803', 'hex'), 'test')];
    expect(fields.map((f) => f.field)).toEqual([1, 2, 5, 5]);
    expect(fields[0]!.int).toBe(150n);
    expect(fields[1]!.bytes.toString()).toBe('testing');
    expect(pbRepeatedInts(fields[2]!, 'test')).toEqual([3n, 270n]);
    expect(pbRepeatedInts(fields[3]!, 'test')).toEqual([3n]);
    expect(() => [...pbFields(Buffer.from('0a05ab', 'hex'), 'test')]).toThrow(/runs past its end/);
  });
});

describe('binary backup layout', () => {
  it('frames a counter Batch segment as upstream: type 2, u64 length, Batch field 13', () => {
    const seg = encodeSegment({ kind: 'counter', list: [{ key: 'nextInode', value: 2 }] });
    expect(hex(seg)).toBe([
      '00 00 00 02', // segTypeCounter
      '00 00 00 00 00 00 00 0f', // 15 bytes follow
      '6a 0d', // Batch.counters (13, length-delimited), 13 bytes
      '0a 09 6e 65 78 74 49 6e 6f 64 65', // Counter.key = "nextInode"
      '10 02', // Counter.value = 2
    ].join(' '));
  });

  it('encodes a Node as inode plus the attribute record, an Edge with its raw name', () => {
    const node = encodeBatch({ kind: 'node', list: [{ inode: 300n, data: Buffer.from([0xaa, 0xbb]) }] });
    expect(hex(node)).toBe('0a 07 08 ac 02 12 02 aa bb');
    const edge = encodeBatch({ kind: 'edge', list: [{ parent: 1n, inode: 2n, name: Buffer.from([0xff, 0x41]), type: 1 }] });
    expect(hex(edge)).toBe('12 0a 08 01 10 02 1a 02 ff 41 20 01');
    expect(decodeBatch('edge', edge)).toEqual({ kind: 'edge', list: [{ parent: 1n, inode: 2n, name: Buffer.from([0xff, 0x41]), type: 1 }] });
    const neg = encodeBatch({ kind: 'quota', list: [{ inode: 1n, maxSpace: -1, maxInodes: 0, usedSpace: 0, usedInodes: 0 }] });
    expect(decodeBatch('quota', neg)).toEqual({ kind: 'quota', list: [{ inode: 1n, maxSpace: -1, maxInodes: 0, usedSpace: 0, usedInodes: 0 }] });
  });

  it('writes a whole file: format segment, end mark, footer and its length', async () => {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (b: Buffer) => parts.push(b));
    const w = new BackupWriter(out);
    await w.write({ kind: 'format', json: '{}' });
    await w.finish();
    const file = Buffer.concat(parts);
    expect(hex(file)).toBe([
      '00 00 00 01', '00 00 00 00 00 00 00 04', '0a 02 7b 7d', // Format { data: "{}" }
      '00 74 70 83', // end of segments: the magic
      '08 83 e1 d1 03', '10 01', // Footer.magic, Footer.version = 1
      '1a 0f 0a 06 66 6f 72 6d 61 74', // infos entry, key "format"
      '12 05 0a 01 00 10 01', // SegInfo { offset: [0], num: 1 }
      '00 00 00 00 00 00 00 18', // footer length 24
    ].join(' '));
    const reader = readBackup(Readable.from([file]));
    const first = await reader.next();
    expect(first.value).toEqual({ kind: 'format', json: '{}' });
    const end = await reader.next();
    expect(end.done).toBe(true);
    expect(end.value).toEqual({ magic: 0x747083, version: 1, infos: new Map([['format', { offsets: [0n], num: 1 }]]) });
  });

  it('rejects unknown segment types and a file that does not start with the format', async () => {
    const bad = Buffer.concat([encodeSegment({ kind: 'format', json: '{}' }), Buffer.from('000000630000000000000000', 'hex')]);
    const r = readBackup(Readable.from([bad]));
    await r.next();
    await expect(r.next()).rejects.toThrow(/unknown segment type 99/);
    const counterFirst = encodeSegment({ kind: 'counter', list: [] });
    await expect(readBackup(Readable.from([counterFirst])).next()).rejects.toThrow(/does not start with a format segment/);
  });
});
