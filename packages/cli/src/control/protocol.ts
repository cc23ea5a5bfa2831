import { fsError } from '@juicefs/core';

/**
 * The `.control` wire format JuiceFS's CLI and mount speak (pkg/vfs/internal.go): a request is
 * cmd u32 BE, size u32 BE, payload; the mount answers with 17-byte progress frames
 * (0xFE, u64 count, u64 bytes), then either one errno byte (0 = success) or a data frame
 * (0xFF, u32 length, JSON).
 */
export const ControlCode = {
  DeleteSlice: 1000,
  CompactChunk: 1001,
  Rmr: 1002,
  LegacyInfo: 1003,
  FillCache: 1004,
  InfoV2: 1005,
  Clone: 1006,
  OpSummary: 1007,
  CompactPath: 1008,
  /**
   * Ours, not JuiceFS's (Go's `juicefs debug` reads pprof from the mount's HTTP agent instead):
   * the mount takes a CPU profile of itself for a u32 number of seconds, root only.
   */
  CpuProfile: 1100,
} as const;

export const CPROGRESS = 0xfe;
export const CDATA = 0xff;

/** FillCache actions (vfs.CacheAction). */
export const CacheAction = { Warmup: 0, Evict: 1, Check: 2 } as const;
export type CacheAction = (typeof CacheAction)[keyof typeof CacheAction];

export function frameRequest(cmd: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(cmd, 0);
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

export function progressFrame(count: number, bytes: number): Buffer {
  const b = Buffer.alloc(17);
  b[0] = CPROGRESS;
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(count))), 1);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(bytes))), 9);
  return b;
}

/**
 * A data frame of `value` as JSON. A bigint goes out as its exact digits, as Go encodes a uint64:
 * the trash's inodes lie above 2^53, where a JS number would change them (9223372032828243968
 * became ...244000). Placeholders mark them on the way through JSON.stringify.
 */
export function dataFrame(value: unknown): Buffer {
  const text = JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000bigint:${x}` : x));
  const json = Buffer.from(text.replace(/"\\u0000bigint:(\d+)"/g, '$1'));
  const head = Buffer.alloc(5);
  head[0] = CDATA;
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

/** A reader over a request payload that tells whether optional trailing fields are present. */
export class PayloadReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  hasMore(): boolean {
    return this.off < this.buf.length;
  }
  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }
  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }
  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }
  u64(): bigint {
    return this.buf.readBigUInt64BE(this.take(8));
  }
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  private take(n: number): number {
    if (this.off + n > this.buf.length) throw fsError('EINVAL', 'short .control message: the client and the mount disagree on the request layout');
    const at = this.off;
    this.off += n;
    return at;
  }
}

/** A builder for request payloads. */
export class PayloadWriter {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** What a control request ended with: an errno (0 = success) or a JSON document. */
export type ControlResult = { errno: number } | { data: unknown };

/**
 * Parses the reply stream of a request incrementally: feed it bytes as reads return them;
 * `progress` is called per progress frame; `result` is set once the final answer arrived.
 */
export class ReplyParser {
  private buf = Buffer.alloc(0);
  result: ControlResult | undefined;
  constructor(private readonly progress: (count: number, bytes: number) => void) {}

  feed(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.result === undefined && this.buf.length > 0) {
      const tag = this.buf[0]!;
      if (tag === CPROGRESS) {
        if (this.buf.length < 17) return;
        this.progress(Number(this.buf.readBigUInt64BE(1)), Number(this.buf.readBigUInt64BE(9)));
        this.buf = this.buf.subarray(17);
      } else if (tag === CDATA) {
        if (this.buf.length < 5) return;
        const n = this.buf.readUInt32BE(1);
        if (this.buf.length < 5 + n) return;
        this.result = { data: JSON.parse(this.buf.subarray(5, 5 + n).toString('utf8')) as unknown };
      } else {
        this.result = { errno: tag };
      }
    }
  }
}
