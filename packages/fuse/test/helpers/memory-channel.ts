import type { FuseChannel } from '../../src/index.js';

export interface Reply {
  unique: bigint;
  /** The errno as a positive number (0 for success). */
  errno: number;
  payload: Buffer;
}

/** A channel for unit tests of the session: requests are pushed in, replies collected. */
export class MemoryChannel implements FuseChannel {
  readonly replies: Reply[] = [];
  private onRequest: ((buf: Buffer) => void) | undefined;
  private onEnd: ((reason: string) => void) | undefined;
  private waiters: Array<() => void> = [];
  closed = false;

  start(onRequest: (buf: Buffer) => void, onEnd: (reason: string) => void): void {
    this.onRequest = onRequest;
    this.onEnd = onEnd;
  }

  push(buf: Buffer): void {
    if (this.onRequest === undefined) throw new Error('session not started');
    this.onRequest(buf);
  }

  write(parts: readonly Uint8Array[]): void {
    const buf = Buffer.concat(parts);
    expect(buf.readUInt32LE(0)).toBe(buf.length);
    this.replies.push({ unique: buf.readBigUInt64LE(8), errno: Math.abs(buf.readInt32LE(4)), payload: buf.subarray(16) });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until at least `n` replies arrived. */
  async waitFor(n: number): Promise<Reply[]> {
    while (this.replies.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.replies;
  }

  /** The one reply for `unique` (fails if there is none or several). */
  replyTo(unique: bigint): Reply {
    const r = this.replies.filter((x) => x.unique === unique);
    expect(r).toHaveLength(1);
    return r[0]!;
  }

  end(reason: string): void {
    this.onEnd?.(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
