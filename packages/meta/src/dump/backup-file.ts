import { fsError } from '@juicefs/core';
import { decodeBatch, decodeFooter, decodeFormatMsg, encodeBatch, encodeFooter, encodeFormatMsg } from './backup-pb.js';
import type { Batch, BatchKind, Footer } from './backup-pb.js';

/**
 * The file layout of JuiceFS's binary backup (upstream `pkg/meta/backup.go`, 1.3):
 *
 *   segment*   type: uint32 BE, length: uint64 BE, then `length` bytes of protobuf
 *              (type 1 is a Format message, every other type a Batch holding one list)
 *   EOS        uint32 BE 0x747083 (the magic, where the next segment type would be)
 *   footer     protobuf Footer {magic, version, per segment name: offsets and item count}
 *   length     uint64 BE, the footer's size
 *
 * There is no header: a reader goes segment by segment until it meets the magic.
 */
export const BAK_MAGIC = 0x747083;
export const BAK_VERSION = 1;

/** Upstream's segType* numbers; 0 is "unknown". */
export const SEG_TYPE = {
  format: 1, counter: 2, node: 3, edge: 4, chunk: 5, sliceRef: 6, symlink: 7, sustained: 8,
  delFile: 9, xattr: 10, acl: 11, stat: 12, quota: 13, parent: 14,
} as const;

export type SegName = keyof typeof SEG_TYPE;
const NAME_BY_TYPE = new Map<number, SegName>(Object.entries(SEG_TYPE).map(([k, v]) => [v, k as SegName]));

export type Segment = { kind: 'format'; json: string } | Batch;

/** Item count of a segment, as the footer and the progress bars count it. */
export function segmentItems(s: Segment): number {
  return s.kind === 'format' ? 1 : s.list.length;
}

/** One segment's bytes, framing included. */
export function encodeSegment(s: Segment): Buffer {
  const body = s.kind === 'format' ? encodeFormatMsg(s.json) : encodeBatch(s);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(SEG_TYPE[s.kind], 0);
  head.writeBigUInt64BE(BigInt(body.length), 4);
  return Buffer.concat([head, body]);
}

/**
 * Writes segments to a stream with backpressure, keeping the footer's offsets and counts, so a
 * dump is written as it is read instead of assembled in memory.
 */
export class BackupWriter {
  private pos = 0n;
  private readonly footer: Footer = { magic: BAK_MAGIC, version: BAK_VERSION, infos: new Map() };

  constructor(private readonly out: NodeJS.WritableStream) {}

  async write(s: Segment): Promise<void> {
    const bytes = encodeSegment(s);
    let info = this.footer.infos.get(s.kind);
    if (!info) {
      info = { offsets: [], num: 0 };
      this.footer.infos.set(s.kind, info);
    }
    info.offsets.push(this.pos);
    info.num += segmentItems(s);
    this.pos += BigInt(bytes.length);
    await this.put(bytes);
  }

  /** EOS, footer and its length: what makes the file complete. */
  async finish(): Promise<void> {
    const eos = Buffer.alloc(4);
    eos.writeUInt32BE(BAK_MAGIC, 0);
    const footer = encodeFooter(this.footer);
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(footer.length), 0);
    await this.put(Buffer.concat([eos, footer, len]));
  }

  private put(chunk: Buffer): Promise<void> {
    const out = this.out;
    return new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      out.once('error', onError);
      const ok = out.write(chunk, (err) => { if (err) reject(err); });
      const done = () => { out.removeListener('error', onError); resolve(); };
      if (ok) done();
      else out.once('drain', done);
    });
  }
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  /** `n` bytes, or fewer only at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.have < n && !this.done) {
      const next = await this.it.next();
      if (next.done) { this.done = true; break; }
      const b = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
      this.chunks.push(b);
      this.have += b.length;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.have);
    const got = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(got.length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    return got;
  }

  async rest(): Promise<Buffer> {
    return this.take(Number.MAX_SAFE_INTEGER);
  }
}

const NOT_BINARY = 'is not a JuiceFS binary dump (juicefs dump --binary)';

/**
 * Read a binary dump segment by segment (one segment in memory at a time), then check the
 * footer. Rejects input that does not start with a format segment, with a hint for JSON dumps.
 */
export async function* readBackup(input: AsyncIterable<Buffer | string>, what = 'the input'): AsyncGenerator<Segment, Footer> {
  const r = new ByteReader(input[Symbol.asyncIterator]());
  let first = true;
  for (;;) {
    const t = await r.take(4);
    if (t.length < 4) {
      if (first) throw fsError('EINVAL', `${what} ${NOT_BINARY}: it is empty`);
      throw fsError('EINVAL', `invalid binary dump: ${what} ends without the end-of-segments mark (truncated?)`);
    }
    const type = t.readUInt32BE(0);
    if (type === BAK_MAGIC && !first) break;
    const name = NAME_BY_TYPE.get(type);
    if (first && type !== SEG_TYPE.format) {
      const hint = t[0] === 0x7b ? ' (it looks like a JSON dump: load it without --binary)' : '';
      throw fsError('EINVAL', `${what} ${NOT_BINARY}: it does not start with a format segment${hint}`);
    }
    if (name === undefined) throw fsError('EINVAL', `invalid binary dump: unknown segment type ${type}`);
    const lenBytes = await r.take(8);
    if (lenBytes.length < 8) throw fsError('EINVAL', `invalid binary dump: truncated ${name} segment header`);
    const len = lenBytes.readBigUInt64BE(0);
    if (len > BigInt(0x7fffffff)) throw fsError('EINVAL', `invalid binary dump: ${name} segment of ${len} bytes is too large`);
    const body = await r.take(Number(len));
    if (body.length < Number(len)) throw fsError('EINVAL', `invalid binary dump: ${name} segment is truncated`);
    first = false;
    yield name === 'format' ? { kind: 'format', json: decodeFormatMsg(body) } : decodeBatch(name as BatchKind, body);
  }
  const tail = await r.rest();
  if (tail.length < 8) throw fsError('EINVAL', 'invalid binary dump: missing footer');
  const flen = Number(tail.readBigUInt64BE(tail.length - 8));
  if (flen !== tail.length - 8) throw fsError('EINVAL', `invalid binary dump: footer length ${flen} does not match the ${tail.length - 8} bytes after the end mark`);
  const footer = decodeFooter(tail.subarray(0, flen));
  if (footer.magic !== BAK_MAGIC) throw fsError('EINVAL', `invalid binary dump: footer magic ${footer.magic}, expected ${BAK_MAGIC}`);
  return footer;
}
