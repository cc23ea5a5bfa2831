import { fsError, type Attr, type DirStat, type Ino, type NodeType, type PosixLockRecord, type Slice } from '@juicefs/core';
import type { TxStore } from '../base/store.js';
import { readEntryInSteps } from '../base/tx-util.js';
import { decodeAttr, encodeAttr } from '../codec/attr.js';
import { decodeEntry, encodeEntry } from '../codec/entry.js';
import { decodeSlice, encodeSlice } from '../codec/slice.js';
import type { RedisClient } from './connect.js';
import { RedisKeys, sliceRefField } from './keys.js';
import { TxLocks } from './locks.js';
import { Overlay, fieldBytes } from './overlay.js';
import { WatchingReader, hgetallRaw, pairsToMap } from './reader.js';
import { listEntriesPage } from './readdir.js';
import { findChunkKeys } from './chunks.js';

/**
 * lookup in one round trip, as the Go client's scriptLookup: the entry, the directory's attributes
 * and the child's attributes (its key made from the inode in the entry). Without it a lookup was
 * HGET, then a pipelined MGET. The child's key is built in the script, which Redis Cluster allows
 * here because every key of a volume shares the `{N}` hash tag of the prefix (ARGV[2]).
 */
const LOOKUP_SCRIPT = `
local e = redis.call('HGET', KEYS[1], ARGV[1])
local p = redis.call('GET', KEYS[2])
if (not e) or string.len(e) ~= 9 then return {e, p, false} end
local ino = 0
for i = 2, 9 do ino = ino * 256 + string.byte(e, i) end
return {e, p, redis.call('GET', ARGV[2] .. string.format('%.0f', ino))}
`;
/** Inodes above this lose digits as Lua numbers (doubles): those lookups take the two-trip path. */
const LUA_EXACT_INODES = 2n ** 53n;

/** Connections whose server refused the script (Lua disabled by a proxy or an ACL): steps only. */
const noScript = new WeakSet<object>();

type LookupPipeline = { jfsLookupBuffer(entries: string, dirAttr: string, name: Buffer, inodePrefix: string): void };

/** Counters every writer bumps blindly; reading them is a statistic, not a dependency. */
const UNWATCHED_COUNTERS = new Set(['usedSpace', 'totalInodes']);

/**
 * One optimistic Redis transaction (FORMAT.md 4.9): reads WATCH their keys, writes go to an
 * overlay, and `commit` replays the writes in MULTI/EXEC, which fails if a watched key changed.
 */
export class RedisTx implements TxStore {
  readonly overlay = new Overlay();
  readonly reader: WatchingReader;
  /** String values read from the server; they cannot change unnoticed, being watched. */
  private readonly fetched = new Map<string, Buffer | null>();
  private readonly locks: TxLocks;

  constructor(
    private readonly conn: RedisClient,
    readonly keys: RedisKeys,
    private readonly watching = true,
    where?: string,
  ) {
    this.reader = new WatchingReader(conn, watching, where);
    this.locks = new TxLocks(keys, this.overlay, (key) => this.hashAll(key, true));
  }

  // ---- nodes -------------------------------------------------------------------------------

  async getAttr(ino: Ino): Promise<Attr | undefined> {
    const key = this.keys.inode(ino);
    const raw = await this.readString(key);
    return raw ? decodeAttr(raw, `attribute record ${key}`) : undefined;
  }

  async getAttrs(inos: readonly Ino[]): Promise<Array<Attr | undefined>> {
    const keys = inos.map((ino) => this.keys.inode(ino));
    const remote = [...new Set(keys.filter((k) => this.overlay.string(k) === undefined && !this.fetched.has(k)))];
    if (remote.length > 0) {
      const values = await this.reader.readOne<Array<Buffer | null>>(remote, (p) => p.mgetBuffer(...remote));
      remote.forEach((k, i) => this.fetched.set(k, values[i] ?? null));
    }
    return keys.map((k) => {
      const local = this.overlay.string(k);
      const raw = local !== undefined ? local : this.fetched.get(k);
      return raw ? decodeAttr(raw, `attribute record ${k}`) : undefined;
    });
  }

  setAttr(ino: Ino, attr: Attr): void {
    this.overlay.set(this.keys.inode(ino), encodeAttr(attr));
  }

  deleteAttr(ino: Ino): void {
    this.overlay.del(this.keys.inode(ino));
  }

  // ---- directory entries -------------------------------------------------------------------

  async getEntry(parent: Ino, name: Buffer): Promise<{ ino: Ino; type: NodeType } | undefined> {
    const key = this.keys.entries(parent);
    const raw = await this.hashField(key, name, true);
    return raw ? decodeEntry(raw, `entry "${name.toString()}" of ${key}`) : undefined;
  }

  async lookupEntry(
    parent: Ino,
    name: Buffer,
  ): Promise<{ pattr: Attr | undefined; entry: { ino: Ino; type: NodeType } | undefined; attr: Attr | undefined }> {
    // In a transaction each read must WATCH its key, which a script cannot do for the child.
    if (this.watching) return this.lookupWatched(parent, name);
    if (noScript.has(this.conn)) return readEntryInSteps(this, parent, name);
    const entries = this.keys.entries(parent);
    const dirKey = this.keys.inode(parent);
    if (typeof (this.conn as unknown as Partial<LookupPipeline>).jfsLookupBuffer !== 'function') {
      this.conn.defineCommand('jfsLookup', { numberOfKeys: 2, lua: LOOKUP_SCRIPT });
    }
    let e: Buffer | null, p: Buffer | null, a: Buffer | null;
    try {
      [e, p, a] = await this.reader.readOne<[Buffer | null, Buffer | null, Buffer | null]>([], (pipe) =>
        (pipe as unknown as LookupPipeline).jfsLookupBuffer(entries, dirKey, name, `${this.keys.prefix}i`),
      );
    } catch (err) {
      // A server that does not run scripts gets the plain reads from now on; any other failure
      // (the server is down) comes back from them just the same.
      if (/unknown command|NOSCRIPT|NOPERM|not allowed|disabled/i.test((err as Error).message)) noScript.add(this.conn);
      return readEntryInSteps(this, parent, name);
    }
    const pattr = p ? decodeAttr(p, `attribute record ${dirKey}`) : undefined;
    if (!e) return { pattr, entry: undefined, attr: undefined };
    const entry = decodeEntry(e, `entry "${name.toString()}" of ${entries}`);
    if (entry.ino >= LUA_EXACT_INODES) return readEntryInSteps(this, parent, name);
    const childKey = this.keys.inode(entry.ino);
    return { pattr, entry, attr: a ? decodeAttr(a, `attribute record ${childKey}`) : undefined };
  }

  /**
   * lookupEntry in a transaction: WATCH of the directory's entries and attributes with the HGET and
   * GET of both in one round trip, then the child's attributes (watched) only when the entry exists.
   * A create, mkdir or rename onto a new name, which find no entry, read in one round trip instead
   * of two (the entry, then the directory). Whatever this transaction already wrote or read of
   * them is answered by the reads that know the overlay.
   */
  private async lookupWatched(
    parent: Ino,
    name: Buffer,
  ): Promise<{ pattr: Attr | undefined; entry: { ino: Ino; type: NodeType } | undefined; attr: Attr | undefined }> {
    const entries = this.keys.entries(parent);
    const dirKey = this.keys.inode(parent);
    if (this.overlay.fieldKnown(entries, name) || this.overlay.string(dirKey) !== undefined || this.fetched.has(dirKey)) {
      return readEntryInSteps(this, parent, name);
    }
    const [e, p] = (await this.reader.read([entries, dirKey], (pipe) => {
      pipe.hgetBuffer(entries, name);
      pipe.getBuffer(dirKey);
    })) as [Buffer | null, Buffer | null];
    this.fetched.set(dirKey, p);
    const pattr = p ? decodeAttr(p, `attribute record ${dirKey}`) : undefined;
    const raw = this.overlay.hashField(entries, name, e);
    if (!raw) return { pattr, entry: undefined, attr: undefined };
    const entry = decodeEntry(raw, `entry "${name.toString()}" of ${entries}`);
    const [attr] = await this.getAttrs([entry.ino]);
    return { pattr, entry, attr };
  }

  setEntry(parent: Ino, name: Buffer, ino: Ino, type: NodeType): void {
    this.overlay.hset(this.keys.entries(parent), name, encodeEntry(type, ino));
  }

  deleteEntry(parent: Ino, name: Buffer): void {
    this.overlay.hdel(this.keys.entries(parent), name);
  }

  async hasEntries(parent: Ino): Promise<boolean> {
    const key = this.keys.entries(parent);
    if (this.overlay.hashTouched(key)) return (await this.hashAll(key, true)).size > 0;
    return (await this.reader.readOne<number>([key], (p) => p.hlen(key))) > 0;
  }

  async listEntries(
    parent: Ino,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: Array<{ name: Buffer; ino: Ino; type: NodeType }>; cursor?: string }> {
    const key = this.keys.entries(parent);
    const merged = this.overlay.hashTouched(key) ? await this.hashAll(key, true) : undefined;
    return listEntriesPage(this.reader, key, cursor, limit, merged);
  }

  // ---- hard-link parents -------------------------------------------------------------------

  async getParents(ino: Ino): Promise<Map<Ino, number>> {
    const all = await this.hashAll(this.keys.parents(ino), true);
    const out = new Map<Ino, number>();
    for (const [f, v] of all) {
      const n = Number(v.toString());
      if (n > 0) out.set(BigInt(fieldBytes(f).toString()), n); // readers ignore counts <= 0
    }
    return out;
  }

  addParent(ino: Ino, parent: Ino, delta: number): void {
    this.overlay.hincrBy(this.keys.parents(ino), parent.toString(), delta);
  }

  deleteParents(ino: Ino): void {
    this.overlay.del(this.keys.parents(ino));
  }

  // ---- symlinks ----------------------------------------------------------------------------

  async getSymlink(ino: Ino): Promise<Buffer | undefined> {
    return (await this.readString(this.keys.symlink(ino))) ?? undefined;
  }

  setSymlink(ino: Ino, target: Buffer): void {
    this.overlay.set(this.keys.symlink(ino), target);
  }

  deleteSymlink(ino: Ino): void {
    this.overlay.del(this.keys.symlink(ino));
  }

  // ---- chunks and slice references ---------------------------------------------------------

  async getChunk(ino: Ino, indx: number): Promise<Slice[]> {
    const key = this.keys.chunk(ino, indx);
    const base = await this.reader.readOne<Buffer[]>([key], (p) => p.lrangeBuffer(key, 0, -1));
    return this.overlay.list(key, base).map((b) => decodeSlice(b));
  }

  appendSlice(ino: Ino, indx: number, slice: Slice): void {
    this.overlay.rpush(this.keys.chunk(ino, indx), [encodeSlice(slice)]);
  }

  setChunk(ino: Ino, indx: number, slices: readonly Slice[]): void {
    const key = this.keys.chunk(ino, indx);
    this.overlay.del(key);
    this.overlay.rpush(key, slices.map((s) => encodeSlice(s)));
  }

  deleteChunk(ino: Ino, indx: number): void {
    this.overlay.del(this.keys.chunk(ino, indx));
  }

  /** See chunks.ts: probed up to the file's length, as the Go client does. */
  async listChunks(ino: Ino): Promise<number[]> {
    const attr = await this.getAttr(ino);
    const found = await findChunkKeys(this.reader, this.keys, ino, attr?.length);
    const prefix = this.keys.chunk(ino, 0).slice(0, -1);
    for (const { key, empty } of this.overlay.touchedLists()) {
      if (!key.startsWith(prefix)) continue;
      if (empty) found.delete(key);
      else found.add(key);
    }
    const indexes: number[] = [];
    for (const k of found) {
      const tail = k.slice(prefix.length);
      if (/^\d+$/.test(tail)) indexes.push(Number(tail));
    }
    return indexes.sort((a, b) => a - b);
  }

  newSliceRef(): void {
    // Redis stores nothing for a slice's first reference: an absent `sliceRef` field means 1.
  }

  async addSliceRef(id: number, size: number, delta: number): Promise<number> {
    const key = this.keys.sliceRef();
    const field = sliceRefField(id, size);
    const raw = await this.hashField(key, field, true);
    const stored = raw ? Number(raw.toString()) : 0; // value is refcount - 1
    this.overlay.hincrBy(key, field, delta);
    return stored + delta + 1;
  }

  // ---- xattrs ------------------------------------------------------------------------------

  async getXattr(ino: Ino, name: string): Promise<Buffer | undefined> {
    return (await this.hashField(this.keys.xattr(ino), name, true)) ?? undefined;
  }

  async listXattr(ino: Ino): Promise<string[]> {
    const all = await this.hashAll(this.keys.xattr(ino), true);
    return [...all.keys()].map((f) => fieldBytes(f).toString('utf8'));
  }

  setXattr(ino: Ino, name: string, value: Buffer): void {
    this.overlay.hset(this.keys.xattr(ino), name, value);
  }

  removeXattr(ino: Ino, name: string): void {
    this.overlay.hdel(this.keys.xattr(ino), name);
  }

  deleteXattrs(ino: Ino): void {
    this.overlay.del(this.keys.xattr(ino));
  }

  // ---- counters and statistics -------------------------------------------------------------

  async getCounter(name: string): Promise<number> {
    const key = this.keys.counter(name);
    const delta = this.overlay.counterDelta(key);
    const local = this.overlay.string(key);
    if (local !== undefined) return Number(local?.toString() ?? '0') + delta;
    const watch = UNWATCHED_COUNTERS.has(name) ? [] : [key];
    const raw = await this.reader.readOne<string | null>(watch, (p) => p.get(key));
    return Number(raw ?? '0') + delta;
  }

  addCounter(name: string, delta: number): void {
    this.overlay.incrBy(this.keys.counter(name), delta);
  }

  async getDirStat(ino: Ino): Promise<DirStat | undefined> {
    const field = ino.toString();
    const [lk, sk, ik] = this.dirStatKeys();
    const base = await this.reader.read([], (p) => {
      p.hgetBuffer(lk, field);
      p.hgetBuffer(sk, field);
      p.hgetBuffer(ik, field);
    });
    const [l, s, i] = [lk, sk, ik].map((k, n) => this.overlay.hashField(k, field, (base[n] as Buffer | null) ?? null));
    if (!l && !s && !i) return undefined;
    const num = (b: Buffer | null | undefined) => Number(b?.toString() ?? '0');
    return { length: num(l), space: num(s), inodes: num(i) };
  }

  initDirStat(ino: Ino): void {
    for (const k of this.dirStatKeys()) this.overlay.hset(k, ino.toString(), '0');
  }

  /**
   * Only directories whose stats are tracked are updated (as the Go client does; an untracked
   * one, e.g. made by a pre-1.1 client, is computed from its entries when asked). The check runs
   * inside EXEC as a script, so it costs no round trip and no WATCH on the shared hashes.
   */
  addDirStat(ino: Ino, delta: DirStat): void {
    const [lk, sk, ik] = this.dirStatKeys();
    this.overlay.hincrByIfExists(lk, ino.toString(), delta.length);
    this.overlay.hincrByIfExists(sk, ino.toString(), delta.space);
    this.overlay.hincrByIfExists(ik, ino.toString(), delta.inodes);
  }

  deleteDirStat(ino: Ino): void {
    for (const k of this.dirStatKeys()) this.overlay.hdel(k, ino.toString());
  }

  // ---- deleted and sustained files ---------------------------------------------------------

  addDelFile(ino: Ino, length: number, now: number): void {
    this.overlay.blind(['zadd', this.keys.delfiles(), now, `${ino}:${length}`]);
  }

  addSustained(sid: number, ino: Ino): void {
    this.overlay.blind(['sadd', this.keys.sustained(sid), ino.toString()]);
  }

  removeSustained(sid: number, ino: Ino): void {
    this.overlay.blind(['srem', this.keys.sustained(sid), ino.toString()]);
  }

  // ---- locks -------------------------------------------------------------------------------

  getFlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; type: 'R' | 'W' }>> {
    return this.locks.flocks(ino);
  }

  setFlock(ino: Ino, sid: number, owner: bigint, type: 'R' | 'W' | undefined): void {
    this.locks.setFlock(ino, sid, owner, type);
  }

  getPlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; records: PosixLockRecord[] }>> {
    return this.locks.plocks(ino);
  }

  setPlock(ino: Ino, sid: number, owner: bigint, records: readonly PosixLockRecord[]): void {
    this.locks.setPlock(ino, sid, owner, records);
  }

  /** Writes that depend on the final state of the transaction (`locked<sid>`); run before EXEC. */
  /** One more line of the change log and its version, in the same MULTI as the change. */
  appendChangeLog(entry: string): void {
    this.overlay.blind(['rpush', this.keys.txnLog(), entry]);
    this.overlay.blind(['incr', this.keys.txnLastLog()]);
  }

  finishLocks(): Promise<void> {
    return this.locks.finish();
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** A string key as this transaction sees it: its own write, else the (watched, cached) server value. */
  private async readString(key: string): Promise<Buffer | null> {
    const local = this.overlay.string(key);
    if (local !== undefined) return local;
    let raw = this.fetched.get(key);
    if (raw === undefined) {
      raw = await this.reader.readOne<Buffer | null>([key], (p) => p.getBuffer(key));
      this.fetched.set(key, raw);
    }
    return raw;
  }

  private dirStatKeys(): [string, string, string] {
    return [this.keys.dirDataLength(), this.keys.dirUsedSpace(), this.keys.dirUsedInodes()];
  }

  private async hashField(key: string, field: Buffer | string, watch: boolean): Promise<Buffer | null> {
    if (this.overlay.fieldKnown(key, field)) return this.overlay.hashField(key, field, null);
    const base = await this.reader.readOne<Buffer | null>(watch ? [key] : [], (p) => p.hgetBuffer(key, field));
    return this.overlay.hashField(key, field, base);
  }

  private async hashAll(key: string, watch: boolean): Promise<Map<string, Buffer>> {
    const flat = await this.reader.readOne<Buffer[]>(watch ? [key] : [], (p) => hgetallRaw(p, key));
    return this.overlay.hashAll(key, pairsToMap(flat));
  }
}

export function conflictError(attempts: number): Error {
  return fsError('EAGAIN', `a Redis transaction conflicted with other writers ${attempts} times in a row; retry the operation`);
}
