import type { Attr, DirStat, Ino, NodeType, PosixLockRecord, Slice } from '@juicefs/core';
import type { TxStore } from '../base/store.js';
import { cloneAttr, nameKey, type MemoryVolumeState, type UndoLog } from './state.js';

function lockKey(sid: number, owner: bigint): string {
  return `${sid}_${owner.toString(16).toUpperCase().padStart(16, '0')}`;
}

/**
 * The memory engine's view of a transaction: reads and writes go straight to the state (the
 * engine runs one transaction at a time) and every write is recorded in the undo log.
 */
export class MemoryTx implements TxStore {
  constructor(
    private readonly s: MemoryVolumeState,
    private readonly log: UndoLog,
  ) {}

  // ---- nodes ----
  async getAttr(ino: Ino): Promise<Attr | undefined> {
    const a = this.s.attrs.get(ino);
    return a && cloneAttr(a);
  }
  async getAttrs(inos: readonly Ino[]): Promise<Array<Attr | undefined>> {
    return inos.map((ino) => {
      const a = this.s.attrs.get(ino);
      return a && cloneAttr(a);
    });
  }
  setAttr(ino: Ino, attr: Attr): void {
    this.log.put(this.s.attrs, ino, cloneAttr(attr));
  }
  deleteAttr(ino: Ino): void {
    this.log.put(this.s.attrs, ino, undefined);
  }

  // ---- entries ----
  async getEntry(parent: Ino, name: Buffer): Promise<{ ino: Ino; type: NodeType } | undefined> {
    const e = this.s.entries.get(parent)?.get(nameKey(name));
    return e && { ino: e.ino, type: e.type };
  }
  setEntry(parent: Ino, name: Buffer, ino: Ino, type: NodeType): void {
    this.log.put(this.log.inner(this.s.entries, parent), nameKey(name), { name: Buffer.from(name), ino, type });
  }
  deleteEntry(parent: Ino, name: Buffer): void {
    const dir = this.s.entries.get(parent);
    if (dir) this.log.put(dir, nameKey(name), undefined);
  }
  async hasEntries(parent: Ino): Promise<boolean> {
    return (this.s.entries.get(parent)?.size ?? 0) > 0;
  }
  async listEntries(
    parent: Ino,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: Array<{ name: Buffer; ino: Ino; type: NodeType }>; cursor?: string }> {
    const dir = this.s.entries.get(parent);
    if (!dir) return { entries: [] };
    // Hex keys sort like the raw bytes, so the cursor (last key returned) is stable under changes.
    const keys = [...dir.keys()].filter((k) => cursor === undefined || k > cursor).sort();
    const page = keys.slice(0, Math.max(1, limit));
    const entries = page.map((k) => {
      const e = dir.get(k)!;
      return { name: Buffer.from(e.name), ino: e.ino, type: e.type };
    });
    const last = page[page.length - 1];
    return keys.length > page.length && last !== undefined ? { entries, cursor: last } : { entries };
  }

  // ---- hard-link parents ----
  async getParents(ino: Ino): Promise<Map<Ino, number>> {
    return new Map([...(this.s.parents.get(ino) ?? new Map<Ino, number>())].filter(([, n]) => n > 0));
  }
  addParent(ino: Ino, parent: Ino, delta: number): void {
    const m = this.log.inner(this.s.parents, ino);
    this.log.put(m, parent, (m.get(parent) ?? 0) + delta);
  }
  deleteParents(ino: Ino): void {
    this.log.put(this.s.parents, ino, undefined);
  }

  // ---- symlinks ----
  async getSymlink(ino: Ino): Promise<Buffer | undefined> {
    const t = this.s.symlinks.get(ino);
    return t && Buffer.from(t);
  }
  setSymlink(ino: Ino, target: Buffer): void {
    this.log.put(this.s.symlinks, ino, Buffer.from(target));
  }
  deleteSymlink(ino: Ino): void {
    this.log.put(this.s.symlinks, ino, undefined);
  }

  // ---- chunks ----
  async getChunk(ino: Ino, indx: number): Promise<Slice[]> {
    return (this.s.chunks.get(ino)?.get(indx) ?? []).map((x) => ({ ...x }));
  }
  appendSlice(ino: Ino, indx: number, slice: Slice): void {
    const m = this.log.inner(this.s.chunks, ino);
    this.log.put(m, indx, [...(m.get(indx) ?? []), { ...slice }]);
  }
  setChunk(ino: Ino, indx: number, slices: readonly Slice[]): void {
    this.log.put(this.log.inner(this.s.chunks, ino), indx, slices.map((x) => ({ ...x })));
  }
  deleteChunk(ino: Ino, indx: number): void {
    const m = this.s.chunks.get(ino);
    if (m) this.log.put(m, indx, undefined);
  }
  async listChunks(ino: Ino): Promise<number[]> {
    return [...(this.s.chunks.get(ino)?.keys() ?? [])].sort((a, b) => a - b);
  }
  newSliceRef(id: number, size: number): void {
    this.log.put(this.s.sliceRefs, id, { size, refs: 1 });
  }
  async addSliceRef(id: number, size: number, delta: number): Promise<number> {
    // An absent row means one reference (a slice written before refs were tracked).
    const refs = (this.s.sliceRefs.get(id)?.refs ?? 1) + delta;
    this.log.put(this.s.sliceRefs, id, { size, refs });
    return refs;
  }

  // ---- xattrs ----
  async getXattr(ino: Ino, name: string): Promise<Buffer | undefined> {
    const v = this.s.xattrs.get(ino)?.get(name);
    return v && Buffer.from(v);
  }
  async listXattr(ino: Ino): Promise<string[]> {
    return [...(this.s.xattrs.get(ino)?.keys() ?? [])];
  }
  setXattr(ino: Ino, name: string, value: Buffer): void {
    this.log.put(this.log.inner(this.s.xattrs, ino), name, Buffer.from(value));
  }
  removeXattr(ino: Ino, name: string): void {
    const m = this.s.xattrs.get(ino);
    if (m) this.log.put(m, name, undefined);
  }
  deleteXattrs(ino: Ino): void {
    this.log.put(this.s.xattrs, ino, undefined);
  }

  // ---- counters and stats ----
  async getCounter(name: string): Promise<number> {
    return this.s.counters.get(name) ?? 0;
  }
  addCounter(name: string, delta: number): void {
    this.log.put(this.s.counters, name, (this.s.counters.get(name) ?? 0) + delta);
  }
  async getDirStat(ino: Ino): Promise<DirStat | undefined> {
    const d = this.s.dirStats.get(ino);
    return d && { ...d };
  }
  initDirStat(ino: Ino): void {
    this.log.put(this.s.dirStats, ino, { length: 0, space: 0, inodes: 0 });
  }
  addDirStat(ino: Ino, delta: DirStat): void {
    const d = this.s.dirStats.get(ino);
    if (!d) return; // not tracked yet: computed lazily from the entries when asked
    this.log.put(this.s.dirStats, ino, {
      length: d.length + delta.length,
      space: d.space + delta.space,
      inodes: d.inodes + delta.inodes,
    });
  }
  deleteDirStat(ino: Ino): void {
    this.log.put(this.s.dirStats, ino, undefined);
  }

  // ---- deleted and sustained files ----
  addDelFile(ino: Ino, length: number, now: number): void {
    this.log.put(this.s.delFiles, ino, { length, expire: now });
  }
  addSustained(sid: number, ino: Ino): void {
    this.log.put(this.s.sustained, sid, new Set([...(this.s.sustained.get(sid) ?? []), ino]));
  }
  removeSustained(sid: number, ino: Ino): void {
    const set = new Set(this.s.sustained.get(sid) ?? []);
    set.delete(ino);
    this.log.put(this.s.sustained, sid, set.size > 0 ? set : undefined);
  }

  // ---- locks ----
  async getFlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; type: 'R' | 'W' }>> {
    return [...(this.s.flocks.get(ino)?.values() ?? [])].map((l) => ({ ...l }));
  }
  setFlock(ino: Ino, sid: number, owner: bigint, type: 'R' | 'W' | undefined): void {
    const m = this.log.inner(this.s.flocks, ino);
    this.log.put(m, lockKey(sid, owner), type && { sid, owner, type });
  }
  async getPlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; records: PosixLockRecord[] }>> {
    return [...(this.s.plocks.get(ino)?.values() ?? [])].map((l) => ({
      sid: l.sid,
      owner: l.owner,
      records: l.records.map((r) => ({ ...r })),
    }));
  }
  setPlock(ino: Ino, sid: number, owner: bigint, records: readonly PosixLockRecord[]): void {
    const m = this.log.inner(this.s.plocks, ino);
    const value = records.length > 0 ? { sid, owner, records: records.map((r) => ({ ...r })) } : undefined;
    this.log.put(m, lockKey(sid, owner), value);
  }

  appendChangeLog(entry: string): void {
    const version = (this.s.counters.get('txnLastLog') ?? 0) + 1;
    this.log.put(this.s.counters, 'txnLastLog', version);
    this.log.put(this.s.changeLog, version, entry);
  }
}
