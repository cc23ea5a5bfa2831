import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { fsError } from '@juicefs/core';
import type { RedisTarget } from './url.js';

/** A standalone/Sentinel connection or a Redis Cluster client: the engine uses what both offer. */
export type RedisClient = Redis | Cluster;

const CONNECT_TIMEOUT_MS = 5000;
const RETRIES_PER_REQUEST = 3;

/** After the first connect a lost server is waited for indefinitely (a mount must survive a restart). */
const reconnectDelay = (times: number) => Math.min(times * 200, 2000);

/**
 * Connect without hanging: the first connection attempt gets no automatic retries and a short
 * timeout, so a server that is down fails at once with an error naming its address. Once
 * connected, a dropped connection is re-established with a capped backoff, and each command
 * fails after a few retries instead of waiting forever.
 *
 * A single host that answers CLUSTER INFO is a Redis Cluster node (FORMAT.md 4.1): the client is
 * reopened as a cluster client, and the volume's keys get the prefix `{N}` (N = URL database).
 */
export async function openClient(target: RedisTarget): Promise<{ client: RedisClient; prefix: string }> {
  if (target.topology === 'cluster') return { client: await openCluster(target), prefix: `{${target.db}}` };
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: RETRIES_PER_REQUEST,
    enableReadyCheck: true,
    retryStrategy: () => null,
  });
  await connectOnce(client, target);
  if (target.topology === 'standalone' && (await isClusterNode(client))) {
    client.disconnect();
    const { host, port } = target.options;
    const nodes = [{ host: host ?? '127.0.0.1', port: port ?? 6379 }];
    return { client: await openCluster({ ...target, topology: 'cluster', nodes }), prefix: `{${target.db}}` };
  }
  await checkDatabase(client, target);
  client.options.retryStrategy = reconnectDelay;
  return { client, prefix: '' };
}

/**
 * ioredis only emits an error when the SELECT of the URL's database fails and goes on in
 * database 0, so `redis://host/99` on a server with 16 databases formatted (or read, or
 * destroyed) database 0. Asked again here, a database the server lacks fails the open, as every
 * command of JuiceFS's client fails ("ERR DB index is out of range").
 */
async function checkDatabase(client: Redis, target: RedisTarget): Promise<void> {
  if (target.db === 0) return;
  try {
    await client.select(target.db);
  } catch (err) {
    client.disconnect();
    throw fsError(
      'EINVAL',
      `Redis at ${target.address} has no database ${target.db} (${err instanceof Error ? err.message : String(err)}): use a database number the server has (below its "databases" setting, 16 by default)`,
      err,
    );
  }
}

async function openCluster(target: RedisTarget): Promise<Cluster> {
  // A cluster has only database 0: the URL's number selects the key prefix instead.
  const { db: _db, host: _host, port: _port, ...redisOptions } = target.options;
  const cluster = new Cluster(target.nodes ?? [], {
    lazyConnect: true,
    enableReadyCheck: true,
    clusterRetryStrategy: () => null,
    redisOptions: { ...redisOptions, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: RETRIES_PER_REQUEST },
  });
  await connectOnce(cluster, target);
  cluster.options.clusterRetryStrategy = reconnectDelay;
  return cluster;
}

async function connectOnce(client: RedisClient, target: RedisTarget): Promise<void> {
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
}

async function isClusterNode(client: Redis): Promise<boolean> {
  try {
    const info = (await client.cluster('INFO')) as unknown;
    return String(info).includes('cluster_state:');
  } catch {
    return false; // "cluster support disabled": a standalone server
  }
}

export function unreachable(target: RedisTarget, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  return fsError(
    'ECONNREFUSED',
    `cannot reach Redis at ${target.address} (db ${target.db}): ${why}. Start the server or fix the meta URL`,
    cause,
  );
}

/** A second client like `base` whose cut-off commands fail instead of being replayed elsewhere. */
function duplicateForTransactions(base: RedisClient): RedisClient {
  if (base instanceof Cluster) {
    const redisOptions: RedisOptions = { ...base.options.redisOptions, autoResendUnfulfilledCommands: false };
    return base.duplicate(undefined, { redisOptions });
  }
  return base.duplicate({ autoResendUnfulfilledCommands: false });
}

/**
 * A few dedicated connections for optimistic transactions: WATCH state belongs to a connection,
 * so two transactions must never share one. Connections are created on demand up to `max`;
 * beyond that callers wait for one to be released.
 */
export class ConnectionPool {
  private readonly idle: RedisClient[] = [];
  private readonly waiters: Array<(c: RedisClient) => void> = [];
  private readonly all = new Set<RedisClient>();
  /** How many times each connection has dropped: a drop silently loses its WATCHes. */
  private readonly drops = new WeakMap<RedisClient, number>();
  private closed = false;

  constructor(
    private readonly base: RedisClient,
    private readonly max = 8,
  ) {}

  async acquire(): Promise<RedisClient> {
    if (this.closed) throw fsError('EIO', 'the Redis meta engine is closed');
    const conn = this.idle.pop();
    if (conn) return conn;
    if (this.all.size < this.max) {
      // Commands cut off by a dropped connection must fail, not be replayed on a new connection
      // where the transaction's WATCHes no longer exist.
      const fresh = duplicateForTransactions(this.base);
      const dropped = () => this.drops.set(fresh, this.generation(fresh) + 1);
      fresh.on('error', () => undefined);
      fresh.on('close', dropped);
      if (fresh instanceof Cluster) fresh.on('-node', dropped);
      this.all.add(fresh);
      return fresh;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Changes whenever the connection drops; compare before EXEC to know the WATCHes still hold. */
  generation(conn: RedisClient): number {
    return this.drops.get(conn) ?? 0;
  }

  /** Hand a connection back; `clean` is false when it may still carry WATCHed keys. */
  release(conn: RedisClient, clean: boolean): void {
    // UNWATCH is queued on the connection before the next user's commands, so it costs no round
    // trip. (On a cluster it has no key to route by; a stale WATCH there only costs a re-run.)
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
