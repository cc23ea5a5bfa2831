import { fsError } from '@juicefs/core';

/**
 * A little-endian cursor over a request body. Every read checks bounds: a short body is a
 * protocol error (EINVAL), never a silent zero.
 */
export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    if (this.pos + n > this.buf.length) {
      throw fsError('EINVAL', `truncated FUSE request: need ${n} bytes at ${this.pos}, body has ${this.buf.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u16(): number {
    return this.buf.readUInt16LE(this.need(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }

  i32(): number {
    return this.buf.readInt32LE(this.need(4));
  }

  u64(): bigint {
    return this.buf.readBigUInt64LE(this.need(8));
  }

  /** A u64 that must fit a JS number exactly (offsets, sizes); larger values are EOVERFLOW. */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fsError('EOVERFLOW', `value ${v} does not fit in 2^53`);
    return Number(v);
  }

  skip(n: number): void {
    this.need(n);
  }

  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** A NUL-terminated string, returned without the NUL as raw bytes. */
  cstring(): Buffer {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw fsError('EINVAL', `FUSE request name at ${this.pos} is not NUL-terminated`);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  rest(): Buffer {
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }
}

/** A little-endian writer into a fixed-size buffer (reply structs have fixed sizes). */
export class WireWriter {
  private pos = 0;
  readonly buf: Buffer;

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  get offset(): number {
    return this.pos;
  }

  u16(v: number): this {
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint | number): this {
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), this.pos);
    this.pos += 8;
    return this;
  }

  pad(n: number): this {
    this.pos += n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
}
