import { TRASH_INODE, fsError, type Attr, type Ino, type TimedCount } from '@juicefs/core';
import type { EngineStore, SessionRow, TxStore } from '../base/store.js';
import type { DirQuotaStore, UserGroupQuotaStore } from '../base/quota-store.js';
import { redisDirQuotas } from './quota.js';
import { redisUserGroupQuotas } from './ug-quota.js';
import { redisChangeLog } from './changelog.js';
import type { ChangeLogStore } from '../base/changelog.js';
import { encodeAttr } from '../codec/attr.js';
import { ConnectionPool, type RedisClient } from './connect.js';
import { KeyedMutex } from './keyed-mutex.js';
import { RedisKeys, sliceRefField } from './keys.js';
import { RedisTx, conflictError } from './tx.js';
import { hint } from './reader.js';
import type { RedisTarget } from './url.js';
import { deleteAllKeys, scanHash, scanSortedSet } from './scan.js';
import { timeTxn } from '../base/tx-timing.js';

const MAX_ATTEMPTS = 50;
/** Legacy `sessions` entries are stale five minutes after their heartbeat score. */
const LEGACY_SESSION_TTL = 300;
/** `delfiles` members of an older shape carry no length; JuiceFS assumes 1 GiB for them. */
const LEGACY_DELFILE_LENGTH = 1 << 30;

/** The JuiceFS 1.x Redis layout behind the engine primitives of `BaseMeta`. */
export class RedisEngine implements EngineStore {
  readonly name = 'redis';
  readonly keys: RedisKeys;
  readonly dirQuotas: DirQuotaStore;
  readonly userGroupQuotas: UserGroupQuotaStore;
  readonly changeLog: ChangeLogStore;
  private readonly pool: ConnectionPool;
  /** Transactions run again after a watched key changed (juicefs_transaction_restart). */
  private restarts = 0;
  /** Transactions run and the seconds they took (juicefs_transaction_durations_histogram_seconds). */
  readonly txDurations: TimedCount = { total: 0, sum: 0 };
  get txRestarts(): number {
    return this.restarts;
  }
  private readonly localLocks = new KeyedMutex();

  constructor(
    readonly client: RedisClient,
    readonly target: RedisTarget,
    prefix = '',
  ) {
    this.keys = new RedisKeys(prefix);
    this.dirQuotas = redisDirQuotas(client, prefix);
    this.userGroupQuotas = redisUserGroupQuotas(client, prefix);
    this.changeLog = redisChangeLog(client, this.keys);
    this.pool = new ConnectionPool(client);
  }

  async txn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await this.runTxn(fn);
    } finally {
      timeTxn(this.txDurations, started);
    }
  }

  private async runTxn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    // After a conflict, re-runs hold the local lock of the first key the failed run watched, so
    // this client's contenders take turns. The lock is taken before a pooled connection, never
    // while holding one, so lock holders cannot starve the pool.
    let lockKey: string | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const unlock = lockKey === undefined ? undefined : await this.localLocks.lock(lockKey);
      let outcome: { committed: true; value: T } | { committed: false };
      let firstWatched: string | undefined;
      try {
        const conn = await this.pool.acquire();
        const tx = new RedisTx(conn, this.keys, true, this.target.address);
        const state = { watching: true };
        try {
          outcome = await this.attempt(conn, tx, fn, state);
        } finally {
          this.pool.release(conn, !state.watching || tx.reader.watched.size === 0);
        }
        firstWatched = tx.reader.watched.values().next().value;
      } finally {
        unlock?.();
      }
      if (outcome.committed) return outcome.value;
      this.restarts++;
      // The first serialised re-run goes at once; later conflicts come from other clients.
      if (lockKey !== undefined) await backoff(attempt);
      lockKey ??= firstWatched;
    }
    throw conflictError(MAX_ATTEMPTS);
  }

  /**
   * A read-only view without WATCH or MULTI, on the shared connection: each read is one plain
   * command (getattr is one GET), but several reads are not guaranteed a consistent snapshot, as
   * with the Go client's read paths. Writing inside it is a programming error.
   */
  async read<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    const tx = new RedisTx(this.client, this.keys, false, this.target.address);
    const value = await fn(tx);
    if (!tx.overlay.empty) throw fsError('EINVAL', 'a read-only Redis view was asked to write; use txn() for changes');
    return value;
  }

  /** One run of `fn` and its commit; `committed: false` means a watched key changed. */
  private async attempt<T>(
    conn: RedisClient,
    tx: RedisTx,
    fn: (tx: TxStore) => Promise<T>,
    state: { watching: boolean },
  ): Promise<{ committed: true; value: T } | { committed: false }> {
    const generation = this.pool.generation(conn);
    const watchesHold = () =>
      tx.reader.watched.size === 0 || (this.pool.generation(conn) === generation && conn.status === 'ready');
    let value: T;
    try {
      value = await fn(tx);
    } catch (err) {
      // The failure may come from reads that straddled another client's commit: an empty EXEC
      // says whether a watched key changed, and then the run is repeated instead of reported.
      // After a dropped connection the failure is reported: it is most likely the outage itself.
      if (tx.reader.watched.size > 0 && watchesHold()) {
        state.watching = false;
        if ((await conn.multi().exec()) === null) return { committed: false };
      }
      throw err;
    }
    // Read-only: nothing to commit; the pool UNWATCHes the connection without a round trip.
    if (tx.overlay.empty) return { committed: true, value };
    await tx.finishLocks();
    const multi = conn.multi();
    for (const [name, ...args] of tx.overlay.commands) multi.call(name, ...args);
    // A connection that dropped since the first WATCH has forgotten it: run again. On a ready
    // connection exec() writes to the socket in this same tick, so no reconnect can slip between.
    if (!watchesHold()) return { committed: false };
    state.watching = false; // EXEC (or its failure) always clears the connection's WATCHes
    let replies: Awaited<ReturnType<typeof multi.exec>>;
    try {
      replies = await multi.exec();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      throw fsError('EIO', `Redis transaction on ${this.target.address} failed: ${e.message}${hint(e)}`, err);
    }
    if (replies === null) return { committed: false };
    for (const [err] of replies) {
      if (err) throw fsError('EIO', `Redis transaction on ${this.target.address} failed: ${err.message}${hint(err)}`, err);
    }
    return { committed: true, value };
  }

  async initSchema(): Promise<void> {
    // Redis has no schema. JuiceFS asks for noeviction so metadata is never dropped; a managed
    // server may refuse CONFIG, which is not fatal.
    await this.client.config('SET', 'maxmemory-policy', 'noeviction').catch(() => undefined);
  }

  async getFormat(): Promise<string | undefined> {
    return (await this.client.get(this.keys.setting())) ?? undefined;
  }

  async setFormat(json: string): Promise<void> {
    await this.client.set(this.keys.setting(), json);
  }

  async reset(): Promise<void> {
    if (this.keys.prefix === '') await this.client.flushdb();
    else await deleteAllKeys(this.client, `${this.keys.prefix}*`);
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  async incrCounter(name: string, delta: number): Promise<number> {
    return this.client.incrby(this.keys.counter(name), delta);
  }

  /**
   * `nextinode` holds the last reserved number, so INCRBY n reserves [v+1-n, v+1). A fresh
   * volume's first batch therefore starts at 1, as with the Go client; the caller skips the
   * numbers ≤ 1 (BaseMeta's IdAllocator does).
   */
  async allocInodes(count: number): Promise<bigint> {
    const v = await this.client.incrby(this.keys.counter('nextInode'), count);
    return BigInt(v + 1 - count);
  }

  async allocSlices(count: number): Promise<number> {
    const v = await this.client.incrby(this.keys.counter('nextChunk'), count);
    return v + 1 - count;
  }

  async initVolume(root: Attr, trash: Attr | undefined): Promise<void> {
    const multi = this.client.multi();
    multi.set(this.keys.inode(1n), encodeAttr(root));
    if (trash) multi.set(this.keys.inode(TRASH_INODE), encodeAttr(trash));
    await multi.exec();
  }

  // ---- sessions ------------------------------------------------------------------------------

  async newSessionId(): Promise<number> {
    return this.client.incr(this.keys.counter('nextSession'));
  }

  async setSession(sid: number, expire: number, info: string | undefined): Promise<void> {
    const multi = this.client.multi().zadd(this.keys.allSessions(), expire, String(sid));
    if (info !== undefined) multi.hset(this.keys.sessionInfos(), String(sid), info);
    await multi.exec();
  }

  async deleteSession(sid: number): Promise<void> {
    await this.client
      .multi()
      .zrem(this.keys.allSessions(), String(sid))
      .zrem(this.keys.legacySessions(), String(sid))
      .hdel(this.keys.sessionInfos(), String(sid))
      .del(this.keys.sustained(sid), this.keys.locked(sid))
      .exec();
  }

  async listSessions(): Promise<SessionRow[]> {
    const rows = new Map<number, SessionRow>();
    const current = await this.client.zrange(this.keys.allSessions(), 0, -1, 'WITHSCORES');
    const legacy = await this.client.zrange(this.keys.legacySessions(), 0, -1, 'WITHSCORES');
    for (let i = 0; i + 1 < legacy.length; i += 2) {
      const sid = Number(legacy[i]);
      rows.set(sid, { sid, expire: Number(legacy[i + 1]) + LEGACY_SESSION_TTL, info: undefined });
    }
    for (let i = 0; i + 1 < current.length; i += 2) {
      const sid = Number(current[i]);
      rows.set(sid, { sid, expire: Number(current[i + 1]), info: undefined });
    }
    if (rows.size === 0) return [];
    const sids = [...rows.keys()];
    const infos = await this.client.hmget(this.keys.sessionInfos(), ...sids.map(String));
    sids.forEach((sid, i) => {
      const info = infos[i];
      if (info !== null && info !== undefined) rows.get(sid)!.info = info;
    });
    return [...rows.values()].sort((a, b) => a.sid - b.sid);
  }

  async listSustained(sid: number): Promise<Ino[]> {
    const members = await this.client.smembers(this.keys.sustained(sid));
    return members.filter((m) => /^\d+$/.test(m)).map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async listLockedInodes(sid: number): Promise<{ flock: Ino[]; plock: Ino[] }> {
    const out: { flock: Ino[]; plock: Ino[] } = { flock: [], plock: [] };
    for (const key of await this.client.smembers(this.keys.locked(sid))) {
      const parsed = this.keys.lockedInode(key);
      if (parsed) out[parsed.kind].push(parsed.ino);
    }
    return out;
  }

  // ---- background work ----------------------------------------------------------------------

  async listDelFiles(limit: number): Promise<Array<{ ino: Ino; length: number; expire: number }>> {
    if (limit <= 0) return [];
    const flat = await this.client.zrange(this.keys.delfiles(), 0, limit - 1, 'WITHSCORES');
    const out: Array<{ ino: Ino; length: number; expire: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const m = /^(\d+)(?::(\d+))?$/.exec(flat[i] ?? '');
      if (!m) continue;
      const length = m[2] === undefined ? LEGACY_DELFILE_LENGTH : Number(m[2]);
      out.push({ ino: BigInt(m[1] ?? '0'), length, expire: Number(flat[i + 1]) });
    }
    return out;
  }

  async removeDelFile(ino: Ino): Promise<void> {
    const members = await scanSortedSet(this.client, this.keys.delfiles(), `${ino}:*`);
    members.push(String(ino)); // legacy member without a length
    await this.client.zrem(this.keys.delfiles(), ...members);
  }

  async listPendingSlices(limit: number): Promise<Array<{ id: number; size: number }>> {
    const out: Array<{ id: number; size: number }> = [];
    await scanHash(this.client, this.keys.sliceRef(), 'k*', (field, value) => {
      const m = /^k(\d+)_(\d+)$/.exec(field);
      if (m && Number(value) < 0) out.push({ id: Number(m[1]), size: Number(m[2]) });
      return out.length < limit;
    });
    return out;
  }

  async removeSliceRef(id: number): Promise<void> {
    const fields: string[] = [];
    // The size is part of the field name (`k<id>_<size>`) but not known here.
    await scanHash(this.client, this.keys.sliceRef(), `${sliceRefField(id, 0).slice(0, -1)}*`, (field) => {
      fields.push(field);
      return true;
    });
    if (fields.length > 0) await this.client.hdel(this.keys.sliceRef(), ...fields);
  }
}

/** Jittered exponential backoff between optimistic retries (at most ~100 ms). */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 2 ** Math.min(attempt, 7));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
