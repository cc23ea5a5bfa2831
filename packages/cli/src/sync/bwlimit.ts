import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TokenBucket } from '@juicefs/chunk';
import { fsError } from '@juicefs/core';

/**
 * --bwlimit as JuiceFS reads it (utils.ParseMbps): Mbps, a number with an optional unit M (the
 * default), G, T or P (powers of 1000); 0 means unlimited.
 */
export function parseMbps(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)([MmGgTtPp]?)$/.exec(text.trim());
  if (!m) throw fsError('EINVAL', `--${flag} "${text}" is not a bandwidth: give Mbps (e.g. 100), or a number with G, T or P (e.g. 1G); 0 means unlimited`);
  const scale: Record<string, number> = { '': 1, m: 1, g: 1e3, t: 1e6, p: 1e9 };
  return Number(m[1]) * (scale[(m[2] ?? '').toLowerCase()] ?? 1);
}

/**
 * One limiter shared by every copy of a sync: JuiceFS's --bwlimit caps the whole run, not each
 * file. Like JuiceFS it grants 85% of the figure to the bytes themselves, leaving the rest for
 * protocol overhead, so `--bwlimit 100` moves the same payload as JuiceFS's would.
 */
export class BandwidthLimit {
  private readonly bucket: TokenBucket;

  constructor(mbps: number) {
    this.bucket = new TokenBucket(((mbps * 1e6) / 8) * 0.85);
  }

  /** `data`, paced: each chunk waits for its bytes' tokens before it goes on. */
  pace(data: Readable): Readable {
    const bucket = this.bucket;
    const paced = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bucket.take(chunk.length).then(() => done(null, chunk), done);
      },
    });
    // pipeline, not pipe: whichever side fails (a read error, or the writer giving up and
    // destroying `paced`), the other is destroyed too, so no file stays open.
    pipeline(data, paced).catch(() => undefined); // the error reaches the writer through `paced`
    return paced;
  }
}
