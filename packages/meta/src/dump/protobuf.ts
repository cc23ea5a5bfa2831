import { fsError } from '@juicefs/core';

/**
 * The few protobuf wire-format pieces the binary backup needs (proto3: varints, 64-bit two's
 * complement for negative int64, length-delimited bytes/strings/messages, packed repeated
 * varints). Written by hand so the bytes are exactly what Go's proto.Marshal produces for the
 * same values in ascending field order, without a code generator or dependency.
 */
export class PbWriter {
  private parts: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  /** Field key: field number and wire type (0 varint, 2 length-delimited). */
  private key(field: number, wire: 0 | 2): void {
    this.push(varint(BigInt(field * 8 + wire)));
  }

  /** An integer field (uint32/64, int32/64); proto3 leaves zero out. */
  int(field: number, v: number | bigint): void {
    if (v === 0 || v === 0n) return;
    this.key(field, 0);
    this.push(varint(BigInt(v)));
  }

  bool(field: number, v: boolean): void {
    if (v) this.int(field, 1);
  }

  /** bytes or string; proto3 leaves empty ones out. */
  bytes(field: number, v: Buffer | string): void {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    if (b.length === 0) return;
    this.key(field, 2);
    this.push(varint(BigInt(b.length)));
    this.push(b);
  }

  /** An embedded message: always written (an empty repeated element still counts). */
  message(field: number, m: PbWriter): void {
    this.key(field, 2);
    this.push(varint(BigInt(m.length)));
    for (const p of m.parts) this.push(p);
  }

  /** A packed repeated varint field (proto3's default for repeated scalars); nothing when empty. */
  packed(field: number, values: ReadonlyArray<number | bigint>): void {
    if (values.length === 0) return;
    const body = Buffer.concat(values.map((v) => varint(BigInt(v))));
    this.key(field, 2);
    this.push(varint(BigInt(body.length)));
    this.push(body);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** Base-128 varint; negatives as their 64-bit two's complement (10 bytes), as int64 encodes them. */
export function varint(v: bigint): Buffer {
  let x = v < 0n ? v + (1n << 64n) : v;
  if (x >= 1n << 64n) throw fsError('EOVERFLOW', `value ${v} does not fit in 64 bits`);
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) byte |= 0x80;
    out.push(byte);
  } while (x !== 0n);
  return Buffer.from(out);
}

export interface PbField {
  field: number;
  wire: number;
  /** The varint value (wire 0), unsigned. */
  int: bigint;
  /** The payload (wire 2). */
  bytes: Buffer;
}

/** Iterate a message's fields; unknown wire types other than 0/1/2/5 are corrupt input. */
export function* pbFields(buf: Buffer, what: string): Generator<PbField> {
  let at = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buf.length) throw fsError('EINVAL', `invalid binary dump: truncated varint in ${what}`);
      const b = buf[at++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw fsError('EINVAL', `invalid binary dump: varint too long in ${what}`);
    }
  };
  while (at < buf.length) {
    const k = readVarint();
    const field = Number(k >> 3n);
    const wire = Number(k & 7n);
    if (wire === 0) {
      yield { field, wire, int: readVarint(), bytes: EMPTY };
    } else if (wire === 2) {
      const len = Number(readVarint());
      if (at + len > buf.length) throw fsError('EINVAL', `invalid binary dump: field ${field} of ${what} runs past its end`);
      yield { field, wire, int: 0n, bytes: buf.subarray(at, at + len) };
      at += len;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4; // fixed-width fields: none in this format, skipped as protobuf allows
    } else {
      throw fsError('EINVAL', `invalid binary dump: wire type ${wire} in ${what}`);
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** A repeated varint field, packed (one wire-2 field) or not (one wire-0 field per value). */
export function pbRepeatedInts(f: PbField, what: string): bigint[] {
  if (f.wire === 0) return [f.int];
  const out: bigint[] = [];
  let at = 0;
  const b = f.bytes;
  while (at < b.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= b.length) throw fsError('EINVAL', `invalid binary dump: truncated packed varint in ${what}`);
      const c = b[at++]!;
      result |= BigInt(c & 0x7f) << shift;
      if ((c & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(result);
  }
  return out;
}

/** An int64 from its varint (two's complement above 2^63), as a number where exact. */
export function int64(v: bigint, what: string): number {
  const s = v >= 1n << 63n ? v - (1n << 64n) : v;
  if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw fsError('EOVERFLOW', `invalid binary dump: ${what} ${s} is beyond 2^53`);
  }
  return Number(s);
}
