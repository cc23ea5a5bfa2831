import { Redis } from 'ioredis';
import { fsError } from '@juicefs/core';
import type { RedisTarget } from './url.js';

const CONNECT_TIMEOUT_MS = 5000;
const RETRIES_PER_REQUEST = 3;

/**
 * Connect without hanging: the first connection attempt gets no automatic retries and a short
 * timeout, so a server that is down fails at once with an error naming its address. Once
 * connected, a dropped connection is re-established with a capped backoff, and each command
 * fails after a few retries instead of waiting forever.
 */
export async function openClient(target: RedisTarget): Promise<Redis> {
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: RETRIES_PER_REQUEST,
    enableReadyCheck: true,
    retryStrategy: () => null,
  });
  // Errors are reported through the promises of the commands; without a listener ioredis prints
  // them. The first one explains a failed connect better than ioredis' "Connection is closed".
  let firstError: unknown;
  client.on('error', (err: unknown) => {
    firstError ??= err;
  });
  try {
    await client.connect();
  } catch (err) {
    // disconnect() on an ended client would arm a reconnect timer that keeps the process alive.
    if (client.status !== 'end') client.disconnect();
    throw unreachable(target, firstError ?? err);
  }
  // From now on a lost server is waited for indefinitely (a mount must survive a Redis restart),
  // while each command still fails after a few reconnect attempts instead of hanging.
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return client;
}

export function unreachable(target: RedisTarget, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  return fsError(
    'ECONNREFUSED',
    `cannot reach Redis at ${target.address} (db ${target.db}): ${why}. Start the server (for tests: bash scripts/services/redis.sh) or fix the meta URL`,
    cause,
  );
}

/**
 * A few dedicated connections for optimistic transactions: WATCH state belongs to a connection,
 * so two transactions must never share one. Connections are created on demand up to `max`;
 * beyond that callers wait for one to be released.
 */
export class ConnectionPool {
  private readonly idle: Redis[] = [];
  private readonly waiters: Array<(c: Redis) => void> = [];
  private readonly all = new Set<Redis>();
  /** How many times each connection has dropped: a drop silently loses its WATCHes. */
  private readonly drops = new WeakMap<Redis, number>();
  private closed = false;

  constructor(
    private readonly base: Redis,
    private readonly max = 8,
  ) {}

  async acquire(): Promise<Redis> {
    if (this.closed) throw fsError('EIO', 'the Redis meta engine is closed');
    const conn = this.idle.pop();
    if (conn) return conn;
    if (this.all.size < this.max) {
      // Commands cut off by a dropped connection must fail, not be replayed on a new connection
      // where the transaction's WATCHes no longer exist.
      const fresh = this.base.duplicate({ autoResendUnfulfilledCommands: false });
      fresh.on('error', () => undefined);
      fresh.on('close', () => this.drops.set(fresh, this.generation(fresh) + 1));
      this.all.add(fresh);
      return fresh;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Changes whenever the connection drops; compare before EXEC to know the WATCHes still hold. */
  generation(conn: Redis): number {
    return this.drops.get(conn) ?? 0;
  }

  /** Hand a connection back; `clean` is false when it may still carry WATCHed keys. */
  release(conn: Redis, clean: boolean): void {
    // UNWATCH is queued on the connection before the next user's commands, so it costs no round trip.
    if (!clean) conn.unwatch().catch(() => undefined);
    const next = this.waiters.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((c) => c.quit().catch(() => c.disconnect())));
    this.all.clear();
    this.idle.length = 0;
  }
}
