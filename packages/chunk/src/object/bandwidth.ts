import type { ListOptions, ObjectStorage, PutOptions } from '@juicefs/core';

/** Time source and sleep, injectable so tests need no real waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket of `bytesPerSecond`, holding at most one second of tokens. Takers queue in
 * order; a take larger than the bucket goes into debt and later takers wait it off.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly bytesPerSecond: number, private readonly clock: Clock = realClock) {
    this.tokens = bytesPerSecond;
    this.last = clock.now();
  }

  take(bytes: number): Promise<void> {
    const turn = this.queue.then(async () => {
      this.refill();
      this.tokens -= bytes;
      if (this.tokens < 0) {
        await this.clock.sleep((-this.tokens / this.bytesPerSecond) * 1000);
        this.refill();
      }
    });
    this.queue = turn;
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
  }
}

export interface BandwidthLimits {
  /** `--upload-limit` / format UploadLimit, Mbps; 0 or absent = unlimited. */
  uploadMbps?: number;
  /** `--download-limit` / format DownloadLimit, Mbps; 0 or absent = unlimited. */
  downloadMbps?: number;
}

/** Limits the bytes per second put to and got from `inner`. */
export function withBandwidthLimit(inner: ObjectStorage, limits: BandwidthLimits, clock: Clock = realClock): ObjectStorage {
  const bucket = (mbps: number | undefined) => (mbps && mbps > 0 ? new TokenBucket((mbps * 1e6) / 8, clock) : undefined);
  const up = bucket(limits.uploadMbps);
  const down = bucket(limits.downloadMbps);
  if (!up && !down) return inner;
  return {
    description: inner.description,
    create: () => inner.create(),
    get: async (key: string, offset?: number, limit?: number) => {
      const data = await inner.get(key, offset, limit);
      await down?.take(data.length);
      return data;
    },
    put: async (key: string, data: Buffer, o?: PutOptions) => {
      await up?.take(data.length);
      return inner.put(key, data, o);
    },
    delete: (key: string) => inner.delete(key),
    // Linking a local file moves no bytes: nothing to charge.
    localFile: (key: string) => inner.localFile?.(key),
    ...(inner.restore ? { restore: (key: string) => inner.restore!(key) } : {}),
    head: (key: string) => inner.head(key),
    list: (prefix: string, opts?: ListOptions) => inner.list(prefix, opts),
  };
}
