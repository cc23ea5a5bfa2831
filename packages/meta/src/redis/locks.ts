import type { Ino, PosixLockRecord } from '@juicefs/core';
import { decodePlocks, encodePlocks } from '../codec/plock.js';
import { lockField, parseLockField, type RedisKeys } from './keys.js';
import { fieldBytes, type Overlay } from './overlay.js';

type Flock = { sid: number; owner: bigint; type: 'R' | 'W' };
type Plock = { sid: number; owner: bigint; records: PosixLockRecord[] };

/**
 * A transaction's view of the lock hashes `lockf<ino>` / `lockp<ino>` (field
 * `<sid>_<owner as 16 hex>`) and of the `locked<sid>` sets that index them per session.
 */
export class TxLocks {
  /** Lock hashes changed here, per session, so `locked<sid>` can be kept in step at commit. */
  private readonly touched = new Map<string, { sid: number; key: string }>();

  constructor(
    private readonly keys: RedisKeys,
    private readonly overlay: Overlay,
    /** The merged (server + overlay) hash, read under WATCH. */
    private readonly hashAll: (key: string) => Promise<Map<string, Buffer>>,
  ) {}

  async flocks(ino: Ino): Promise<Flock[]> {
    const out: Flock[] = [];
    for (const [f, v] of await this.hashAll(this.keys.flock(ino))) {
      const who = parseLockField(fieldBytes(f).toString());
      const type = v.toString();
      if (who && (type === 'R' || type === 'W')) out.push({ ...who, type });
    }
    return out;
  }

  setFlock(ino: Ino, sid: number, owner: bigint, type: 'R' | 'W' | undefined): void {
    this.set(this.keys.flock(ino), sid, owner, type);
  }

  async plocks(ino: Ino): Promise<Plock[]> {
    const out: Plock[] = [];
    for (const [f, v] of await this.hashAll(this.keys.plock(ino))) {
      const who = parseLockField(fieldBytes(f).toString());
      if (who) out.push({ ...who, records: decodePlocks(v) });
    }
    return out;
  }

  setPlock(ino: Ino, sid: number, owner: bigint, records: readonly PosixLockRecord[]): void {
    this.set(this.keys.plock(ino), sid, owner, records.length > 0 ? encodePlocks(records) : undefined);
  }

  /**
   * Keep `locked<sid>` in step with the lock hashes: add the key when the session gains a lock in
   * it, remove it when the session's last lock in that key is gone (needs the merged hash).
   */
  async finish(): Promise<void> {
    for (const { sid, key } of this.touched.values()) {
      const prefix = `${sid}_`;
      const all = await this.hashAll(key);
      const holds = [...all.keys()].some((f) => fieldBytes(f).toString().startsWith(prefix));
      this.overlay.blind([holds ? 'sadd' : 'srem', this.keys.locked(sid), key]);
    }
  }

  private set(key: string, sid: number, owner: bigint, value: string | Buffer | undefined): void {
    const field = lockField(sid, owner);
    if (value === undefined) this.overlay.hdel(key, field);
    else this.overlay.hset(key, field, value);
    this.touched.set(`${sid} ${key}`, { sid, key });
  }
}
