import type { Attr, DirStat, Ino, NodeType, PosixLockRecord, Slice } from '@juicefs/core';
import type { TxStore } from '../base/store.js';
import { decodePlocks, encodePlocks } from '../codec/plock.js';
import { decodeSlices, encodeSlice, encodeSlices } from '../codec/slice.js';
import { big, bytes, num, type SqlConn } from './driver.js';
import { hasNode, nodeFromValues, nodeParams } from './node-row.js';
import { NODE_COLUMN_LIST } from './queries.js';
import type { Queries } from './queries.js';
import { DEFERRED_COUNTERS, type Deferred, type Unflushed } from './deferred.js';

/** `jfs_flock.ltype` holds the ASCII code of the lock letter. */
const LTYPE_R = 82;
const LTYPE_W = 87;

/**
 * The TxStore primitives on one SQL transaction. Writes run at once inside the transaction
 * (SQL gives read-your-writes), except, when `deferred` is given, the global usage counters and
 * the directory stats: those rows would make every transaction conflict with every other (and cost
 * a statement and a page each), so the engine adds them later, as the Go client also does
 * (FORMAT.md 5.4). Reads include them.
 */
export class SqlTx implements TxStore {
  constructor(
    private readonly c: SqlConn,
    private readonly q: Queries,
    private readonly multiRowAttrs: boolean,
    private readonly deferred: Deferred | undefined,
    /** Deltas this client committed but has not flushed yet; reads include them. */
    private readonly unflushed?: Unflushed,
  ) {}

  // nodes
  async getAttr(ino: Ino): Promise<Attr | undefined> {
    const [values] = await this.c.rows(this.q.getNode, [ino]);
    return values ? nodeFromValues(values, 0) : undefined;
  }

  async getAttrs(inos: readonly Ino[]): Promise<Array<Attr | undefined>> {
    if (!this.multiRowAttrs) return Promise.all(inos.map((ino) => this.getAttr(ino)));
    if (inos.length === 0) return [];
    const rows = await this.c.rows(this.q.getNodes, [`{${inos.join(',')}}`]);
    const byIno = new Map(rows.map((v) => [big(v[0]), nodeFromValues(v, 0)])); // inode is the first node column
    return inos.map((ino) => byIno.get(ino));
  }

  setAttr(ino: Ino, attr: Attr): void {
    this.c.write(this.q.putNode, nodeParams(ino, attr));
  }

  deleteAttr(ino: Ino): void {
    this.c.write(this.q.deleteNode, [ino]);
  }

  // directory entries
  async getEntry(parent: Ino, name: Buffer): Promise<{ ino: Ino; type: NodeType } | undefined> {
    const [row] = await this.c.all(this.q.getEntry, [parent, name]);
    return row ? { ino: big(row['inode']), type: num(row['type']) as NodeType } : undefined;
  }

  /** One statement: directory LEFT JOIN entry LEFT JOIN node (lookup, create, unlink). */
  async lookupEntry(parent: Ino, name: Buffer) {
    // Columns: the directory's node, the entry's inode and type, the child's node.
    const [v] = await this.c.rows(this.q.lookupEntry, [name, parent]);
    if (!v) return { pattr: undefined, entry: undefined, attr: undefined };
    const e = NODE_COLUMN_LIST.length;
    const present = v[e] !== null && v[e] !== undefined;
    const entry = present ? { ino: big(v[e]), type: num(v[e + 1]) as NodeType } : undefined;
    const attr = present && hasNode(v, e + 2) ? nodeFromValues(v, e + 2) : undefined;
    return { pattr: nodeFromValues(v, 0), entry, attr };
  }

  setEntry(parent: Ino, name: Buffer, ino: Ino, type: NodeType): void {
    this.c.write(this.q.putEntry, [parent, name, ino, type]);
  }

  deleteEntry(parent: Ino, name: Buffer): void {
    this.c.write(this.q.deleteEntry, [parent, name]);
  }

  async hasEntries(parent: Ino): Promise<boolean> {
    return (await this.c.all(this.q.anyEntry, [parent])).length > 0;
  }

  /** Entries in byte order of their names; the cursor is the hex of the last name returned. */
  async listEntries(parent: Ino, cursor: string | undefined, limit: number) {
    return this.entryPage(this.q.listEntries, this.q.listEntriesAfter, parent, cursor, limit, (v) => ({
      name: bytes(v[0]), ino: big(v[1]), type: num(v[2]) as NodeType,
    }));
  }

  /** listEntries with each entry's node joined in (readdirplus: one statement per page). */
  async listEntriesPlus(parent: Ino, cursor: string | undefined, limit: number) {
    // Columns: name, inode, type, then the child's node (NULLs when it has none).
    return this.entryPage(this.q.listEntriesPlus, this.q.listEntriesPlusAfter, parent, cursor, limit, (v) => {
      const entry = { name: bytes(v[0]), ino: big(v[1]), type: num(v[2]) as NodeType };
      return hasNode(v, 3) ? { ...entry, attr: nodeFromValues(v, 3) } : entry;
    });
  }

  /** One page of a directory from `first` (no cursor) or `after` (names past the cursor). */
  private async entryPage<E extends { name: Buffer }>(
    first: string,
    after: string,
    parent: Ino,
    cursor: string | undefined,
    limit: number,
    decode: (values: unknown[]) => E,
  ): Promise<{ entries: E[]; cursor?: string }> {
    const rows = cursor === undefined ? await this.c.rows(first, [parent, limit]) : await this.c.rows(after, [parent, Buffer.from(cursor, 'hex'), limit]);
    const entries = rows.map(decode);
    const last = entries[entries.length - 1];
    return rows.length < limit || !last ? { entries } : { entries, cursor: last.name.toString('hex') };
  }

  // hard-link parents come from jfs_edge itself, so the writes have nothing to store
  async getParents(ino: Ino): Promise<Map<Ino, number>> {
    const rows = await this.c.all(this.q.parents, [ino]);
    return new Map(rows.map((r) => [big(r['parent']), num(r['n'])]));
  }

  addParent(): void {}

  deleteParents(): void {}

  // symlinks
  async getSymlink(ino: Ino): Promise<Buffer | undefined> {
    const [row] = await this.c.all(this.q.getSymlink, [ino]);
    return row ? bytes(row['target']) : undefined;
  }

  setSymlink(ino: Ino, target: Buffer): void {
    this.c.write(this.q.putSymlink, [ino, target]);
  }

  deleteSymlink(ino: Ino): void {
    this.c.write(this.q.deleteSymlink, [ino]);
  }

  // chunks and slice references
  async getChunk(ino: Ino, indx: number): Promise<Slice[]> {
    const [row] = await this.c.all(this.q.getChunk, [ino, indx]);
    return row ? decodeSlices(bytes(row['slices'])) : [];
  }

  appendSlice(ino: Ino, indx: number, slice: Slice): void {
    this.c.write(this.q.appendChunk, [ino, indx, encodeSlice(slice)]);
  }

  setChunk(ino: Ino, indx: number, slices: readonly Slice[]): void {
    if (slices.length === 0) this.deleteChunk(ino, indx);
    else this.c.write(this.q.putChunk, [ino, indx, encodeSlices(slices)]);
  }

  deleteChunk(ino: Ino, indx: number): void {
    this.c.write(this.q.deleteChunk, [ino, indx]);
  }

  async listChunks(ino: Ino): Promise<number[]> {
    return (await this.c.all(this.q.listChunks, [ino])).map((r) => num(r['indx']));
  }

  newSliceRef(id: number, size: number): void {
    this.c.write(this.q.newRef, [id, size]);
  }

  async addSliceRef(id: number, size: number, delta: number): Promise<number> {
    if (this.q.returning) {
      const [row] = await this.c.all(this.q.addRef, [delta, id]);
      if (row) return num(row['refs']);
    } else if ((await this.c.run(this.q.addRef, [delta, id])) > 0) {
      // MySQL: no UPDATE … RETURNING; the UPDATE holds the row's lock, so this read is ours.
      const [row] = await this.c.all(this.q.getRef, [id]);
      return num(row?.['refs']);
    }
    // No row (e.g. a slice loaded without one): it was referenced once, as Redis assumes.
    await this.c.run(this.q.insertRef, [id, size, 1 + delta]);
    return 1 + delta;
  }

  // xattrs
  async getXattr(ino: Ino, name: string): Promise<Buffer | undefined> {
    const [row] = await this.c.all(this.q.getXattr, [ino, name]);
    return row ? bytes(row['value']) : undefined;
  }

  async listXattr(ino: Ino): Promise<string[]> {
    return (await this.c.all(this.q.listXattr, [ino])).map((r) => String(r['name']));
  }

  setXattr(ino: Ino, name: string, value: Buffer): void {
    this.c.write(this.q.putXattr, [ino, name, value]);
  }

  removeXattr(ino: Ino, name: string): void {
    this.c.write(this.q.deleteXattr, [ino, name]);
  }

  deleteXattrs(ino: Ino): void {
    this.c.write(this.q.deleteXattrs, [ino]);
  }

  // counters and statistics
  async getCounter(name: string): Promise<number> {
    const [row] = await this.c.all(this.q.getCounter, [name]);
    // Plus what this client committed but has not flushed, and what this transaction added.
    const value = row ? num(row['value']) : 0;
    return value + (this.unflushed?.counters.get(name) ?? 0) + (this.deferred?.counters.get(name) ?? 0);
  }

  addCounter(name: string, delta: number): void {
    if (this.deferred && DEFERRED_COUNTERS.has(name)) this.deferred.addCounter(name, delta);
    else this.c.write(this.q.addCounter, [name, delta]);
  }

  async getDirStat(ino: Ino): Promise<DirStat | undefined> {
    const [row] = await this.c.all(this.q.getDirStat, [ino]);
    // No row: the directory's stats are not tracked (an older client made it), and deltas for it
    // are dropped at the flush, as Go's UPDATE drops them; the caller computes them from entries.
    if (!row) return undefined;
    const stat = { length: num(row['data_length']), space: num(row['used_space']), inodes: num(row['used_inodes']) };
    const pending = [this.deferred?.resetDirs.has(ino) ? undefined : this.unflushed?.dirStats.get(ino), this.deferred?.dirStats.get(ino)];
    for (const d of pending) {
      if (!d) continue;
      stat.length += d.length;
      stat.space += d.space;
      stat.inodes += d.inodes;
    }
    return stat;
  }

  initDirStat(ino: Ino): void {
    this.c.write(this.q.initDirStat, [ino]);
    this.deferred?.resetDir(ino);
  }

  addDirStat(ino: Ino, delta: DirStat): void {
    if (this.deferred) this.deferred.addDirStat(ino, delta);
    else this.c.write(this.q.addDirStat, [ino, delta.length, delta.space, delta.inodes]);
  }

  deleteDirStat(ino: Ino): void {
    this.c.write(this.q.deleteDirStat, [ino]);
    this.deferred?.resetDir(ino);
  }

  // deleted and sustained files
  addDelFile(ino: Ino, length: number, now: number): void {
    this.c.write(this.q.putDelFile, [ino, length, now]);
  }

  addSustained(sid: number, ino: Ino): void {
    this.c.write(this.q.addSustained, [sid, ino]);
  }

  removeSustained(sid: number, ino: Ino): void {
    this.c.write(this.q.removeSustained, [sid, ino]);
  }

  // locks: owners are unsigned 64-bit, stored reinterpreted as signed BIGINT like Go does
  async getFlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; type: 'R' | 'W' }>> {
    const rows = await this.c.all(this.q.getFlocks, [ino]);
    return rows.map((r) => ({
      sid: num(r['sid']),
      owner: BigInt.asUintN(64, big(r['owner'])),
      type: num(r['ltype']) === LTYPE_W ? ('W' as const) : ('R' as const),
    }));
  }

  setFlock(ino: Ino, sid: number, owner: bigint, type: 'R' | 'W' | undefined): void {
    const signed = BigInt.asIntN(64, owner);
    if (type === undefined) this.c.write(this.q.deleteFlock, [ino, sid, signed]);
    else this.c.write(this.q.putFlock, [ino, sid, signed, type === 'W' ? LTYPE_W : LTYPE_R]);
  }

  async getPlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; records: PosixLockRecord[] }>> {
    const rows = await this.c.all(this.q.getPlocks, [ino]);
    return rows.map((r) => ({
      sid: num(r['sid']),
      owner: BigInt.asUintN(64, big(r['owner'])),
      records: decodePlocks(bytes(r['records'])),
    }));
  }

  setPlock(ino: Ino, sid: number, owner: bigint, records: readonly PosixLockRecord[]): void {
    const signed = BigInt.asIntN(64, owner);
    if (records.length === 0) this.c.write(this.q.deletePlock, [ino, sid, signed]);
    else this.c.write(this.q.putPlock, [ino, sid, signed, encodePlocks(records)]);
  }

  appendChangeLog(entry: string): void {
    this.c.write(this.q.appendChangeLog, [entry]);
  }
}
