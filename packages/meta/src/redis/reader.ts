import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connect.js';
import { fsError } from '@juicefs/core';

/**
 * The read side of a transaction on its dedicated connection. Each read is sent in one pipeline
 * together with a WATCH of the keys not yet watched, so watching costs no extra round trip.
 * Statistics keys that every writer increments blindly (usedSpace, dir stats…) are read without
 * WATCH: watching them would make every pair of concurrent writers conflict.
 */
export class WatchingReader {
  readonly watched = new Set<string>();

  /** `watching` false: a read-only snapshot-free view (EngineStore.read); nothing is watched. */
  constructor(
    readonly conn: RedisClient,
    private readonly watching = true,
    /** The server's address, for error messages. */
    private readonly where = 'the Redis server',
  ) {}

  /** Run `build`'s read commands after watching `watch`; returns their replies in order. */
  async read(watch: readonly string[], build: (p: ChainableCommander) => void): Promise<unknown[]> {
    const p = this.conn.pipeline();
    const fresh = this.watching ? watch.filter((k) => !this.watched.has(k)) : [];
    if (fresh.length > 0) p.watch(...fresh);
    build(p);
    const replies = await p.exec();
    if (!replies) throw fsError('EIO', 'Redis returned no replies for a pipelined read');
    if (fresh.length > 0 && !replies[0]?.[0]) for (const k of fresh) this.watched.add(k);
    const out: unknown[] = [];
    replies.forEach(([err, value], i) => {
      if (err) throw fsError('EIO', `Redis read from ${this.where} failed: ${err.message}${hint(err)}`, err);
      if (i >= (fresh.length > 0 ? 1 : 0)) out.push(value);
    });
    return out;
  }

  async readOne<T>(watch: readonly string[], build: (p: ChainableCommander) => void): Promise<T> {
    const [v] = await this.read(watch, build);
    return v as T;
  }
}

/** HGETALL/HSCAN reply (flat field, value list) as a map keyed by the field's latin1 bytes. */
export function pairsToMap(flat: readonly Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!.toString('latin1'), flat[i + 1]!);
  return m;
}

/**
 * HGETALL as the flat list of raw field/value buffers. ioredis converts `hgetall` replies into an
 * object keyed by field *strings*, which corrupts non-UTF-8 entry names; its reply transformer is
 * looked up by the exact command name, so the upper-case spelling passes the reply through as is.
 */
export function hgetallRaw(p: ChainableCommander, key: string): void {
  p.callBuffer('HGETALL', key);
}

/** What to do about a failure that looks like a lost server rather than a bad command. */
export function hint(err: Error): string {
  return /max retries|Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET/i.test(err.message)
    ? ' (the server is unreachable: check that it is running and the meta URL is right)'
    : '';
}
