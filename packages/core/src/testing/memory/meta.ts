import { hostname } from 'node:os';
import { fsError } from '../../errors/fs-error.js';
import type { Meta, MetaClientOptions, NewSessionOptions } from '../../meta/meta.js';
import { DEFAULT_META_CLIENT_OPTIONS, XATTR_CREATE, XATTR_REPLACE } from '../../meta/meta.js';
import { NodeType } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import type { Format } from '../../types/format.js';
import { CLIENT_VERSION, decodeFormat, encodeFormat, MAX_META_VERSION } from '../../types/format.js';
import type { Ino } from '../../types/inode.js';
import { ROOT_INODE, TRASH_INODE } from '../../types/inode.js';
import type { DirStat, Session, StatFS } from '../../types/session.js';
import { MemoryLocks } from './locks.js';
import { chargedSpace, MemoryVolume } from './volume.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const UNLIMITED_SPACE = 2 ** 50;
const UNLIMITED_INODES = 10 << 20;

/**
 * The in-memory reference `Meta`: plain Maps, each operation atomic. Use one `MemoryVolume` per
 * volume and one `MemoryMeta` per client. Slow paths (background jobs) run when called.
 */
export class MemoryMeta extends MemoryLocks implements Meta {
  /** Seconds between heartbeats of this client's session (it expires after five). */
  private heartbeat = 12;

  // ---- volume ----
  async init(format: Format, force = false): Promise<void> {
    const v = this.volume;
    const existed = v.format !== undefined;
    if (existed && !force) throw fsError('EEXIST', `volume "${v.format?.Name}" is already formatted; pass force to update it`);
    v.format = decodeFormat(encodeFormat(format));
    const t = this.now();
    const dir = (mode: number, parent: Ino) => ({
      flags: 0, type: NodeType.Directory, mode, uid: 0, gid: 0,
      atime: t.sec, atimensec: t.nsec, mtime: t.sec, mtimensec: t.nsec, ctime: t.sec, ctimensec: t.nsec,
      nlink: 2, length: 4096, rdev: 0, parent, accessACL: 0, defaultACL: 0, tier: 0,
    });
    if (!existed) {
      v.nodes.set(ROOT_INODE, dir(0o777, ROOT_INODE));
      v.dirs.set(ROOT_INODE, new Map());
    }
    // The trash root also appears when a forced update turns the trash on.
    if (format.TrashDays > 0 && !v.nodes.has(TRASH_INODE)) {
      v.nodes.set(TRASH_INODE, dir(0o555, ROOT_INODE));
      v.dirs.set(TRASH_INODE, new Map());
    }
  }

  async load(checkVersion = true): Promise<Format> {
    const fmt = this.volume.format;
    if (!fmt) throw fsError('ENOENT', 'the volume is not formatted: run `juicefs format` first');
    if (checkVersion && (fmt.MetaVersion ?? 0) > MAX_META_VERSION) {
      throw fsError('EINVAL', `MetaVersion ${fmt.MetaVersion} of this volume is newer than this client supports (${MAX_META_VERSION})`);
    }
    return decodeFormat(encodeFormat(fmt));
  }

  async reset(): Promise<void> {
    this.volume.clear();
  }

  async shutdown(): Promise<void> {}

  /**
   * The reference model has no client-side behaviour (no atime updates, no skipped directory
   * times, no caches): it keeps the defaults and refuses anything else rather than ignore it.
   */
  get client(): Readonly<MetaClientOptions> {
    return DEFAULT_META_CLIENT_OPTIONS;
  }

  configure(options: Partial<MetaClientOptions>): void {
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined && value !== DEFAULT_META_CLIENT_OPTIONS[key as keyof MetaClientOptions]) {
        throw fsError('ENOTSUP', `the in-memory model keeps ${key} at ${String(DEFAULT_META_CLIENT_OPTIONS[key as keyof MetaClientOptions])}: use a real engine for other values`);
      }
    }
  }

  // ---- sessions ----
  async newSession(options: NewSessionOptions = {}): Promise<number> {
    if (options.readOnly) return 0;
    const sid = ++this.volume.nextSession;
    const heartbeat = options.heartbeat ?? 12;
    this.volume.sessions.set(sid, {
      sid,
      expire: nowSeconds() + 5 * heartbeat,
      info: {
        Version: CLIENT_VERSION, HostName: hostname(), MountPoint: '', MountTime: new Date().toISOString(),
        ProcessID: process.pid, ...options.info,
      },
      sustained: new Set(),
    });
    this.sessionId = sid;
    this.heartbeat = heartbeat;
    return sid;
  }

  async refreshSession(): Promise<void> {
    const s = this.volume.sessions.get(this.sessionId);
    if (!s) throw fsError('ENOENT', `session ${this.sessionId} is gone (cleaned as stale?)`);
    s.expire = nowSeconds() + 5 * this.heartbeat;
  }

  async closeSession(): Promise<void> {
    if (this.sessionId > 0) this.cleanSession(this.sessionId);
    this.sessionId = 0;
  }

  async flushSession(): Promise<void> {
    // Nothing is held back: every change is in the shared volume at once.
  }

  /** Release a session's locks, delete its sustained files and forget it. */
  private cleanSession(sid: number): void {
    const v = this.volume;
    for (const [ino, holders] of v.flocks) v.flocks.set(ino, holders.filter((h) => h.sid !== sid));
    for (const [ino, holders] of v.plocks) v.plocks.set(ino, holders.filter((h) => h.sid !== sid));
    for (const ino of v.sessions.get(sid)?.sustained ?? []) {
      if (v.nodes.get(ino)?.nlink === 0) this.deleteNode(ino);
    }
    v.sessions.delete(sid);
  }

  async listSessions(): Promise<Session[]> {
    const v = this.volume;
    return [...v.sessions.values()].map((s) => ({
      sid: s.sid,
      expire: s.expire,
      info: s.info ? { ...s.info } : undefined,
      sustained: [...s.sustained],
      flocks: [...v.flocks].flatMap(([ino, hs]) => hs.filter((h) => h.sid === s.sid).map((h) => ({ ino, owner: h.owner, type: h.type }))),
      plocks: [...v.plocks].flatMap(([ino, hs]) =>
        hs.filter((h) => h.sid === s.sid).map((h) => ({ ino, owner: h.owner, records: h.records.map((r) => ({ ...r })) }))),
    }));
  }

  async cleanStaleSessions(now = nowSeconds()): Promise<number> {
    // A client never cleans its own session (it is alive: it is the one asking).
    const stale = [...this.volume.sessions.values()].filter((s) => s.expire < now && s.sid !== this.sessionId);
    for (const s of stale) this.cleanSession(s.sid);
    return stale.length;
  }

  // ---- statistics ----
  async statFS(_ctx: Context, ino: Ino): Promise<StatFS> {
    this.node(ino);
    const fmt = this.volume.format;
    const used = this.volume.usage();
    const total = fmt?.Capacity ? Math.max(fmt.Capacity, used.space) : UNLIMITED_SPACE + used.space;
    const inodes = fmt?.Inodes ? Math.max(fmt.Inodes, used.inodes) : UNLIMITED_INODES + used.inodes;
    return { totalSpace: total, availSpace: total - used.space, usedInodes: used.inodes, availInodes: inodes - used.inodes };
  }

  async getDirStat(_ctx: Context, ino: Ino): Promise<DirStat> {
    const stat: DirStat = { length: 0, space: 0, inodes: 0 };
    for (const child of this.dirEntries(ino).values()) {
      const attr = this.node(child);
      if (attr.type === NodeType.File) stat.length += attr.length;
      stat.space += chargedSpace(attr);
      stat.inodes++;
    }
    return stat;
  }

  // ---- xattrs ----
  async getXattr(_ctx: Context, ino: Ino, name: string): Promise<Buffer> {
    this.node(ino);
    const value = this.volume.xattrs.get(ino)?.get(name);
    if (!value) throw fsError('ENODATA', `no xattr "${name}" on inode ${ino}`);
    return Buffer.from(value);
  }

  async listXattr(_ctx: Context, ino: Ino): Promise<string[]> {
    this.node(ino);
    return [...(this.volume.xattrs.get(ino)?.keys() ?? [])];
  }

  async setXattr(_ctx: Context, ino: Ino, name: string, value: Buffer, flags: number): Promise<void> {
    if (name === '') throw fsError('EINVAL', 'empty xattr name');
    if (Buffer.byteLength(name) > 255) throw fsError('ERANGE', `xattr name "${name}" is longer than 255 bytes`);
    if (value.length > 65536) throw fsError('E2BIG', `xattr value of ${value.length} bytes exceeds 65536`);
    this.node(ino);
    let map = this.volume.xattrs.get(ino);
    if (!map) this.volume.xattrs.set(ino, (map = new Map()));
    if (flags & XATTR_CREATE && map.has(name)) throw fsError('EEXIST', `xattr "${name}" exists (XATTR_CREATE)`);
    if (flags & XATTR_REPLACE && !map.has(name)) throw fsError('ENODATA', `xattr "${name}" does not exist (XATTR_REPLACE)`);
    map.set(name, Buffer.from(value));
  }

  async removeXattr(_ctx: Context, ino: Ino, name: string): Promise<void> {
    this.node(ino);
    if (!this.volume.xattrs.get(ino)?.delete(name)) throw fsError('ENODATA', `no xattr "${name}" on inode ${ino}`);
  }

  // ---- background work ----
  async cleanupDeleted(): Promise<{ files: number; slices: number }> {
    const v = this.volume;
    const files = v.deletedFiles.splice(0);
    for (const f of files) for (const list of f.chunks.values()) for (const s of list) this.dropSliceRef(s.id);
    const slices = v.unreferencedSlices.splice(0);
    for (const s of slices) await this.deleter?.(s.id, s.size);
    return { files: files.length, slices: slices.length };
  }

  async cleanupTrash(now = nowSeconds()): Promise<number> {
    const root = this.volume.dirs.get(TRASH_INODE);
    const days = this.volume.format?.TrashDays ?? 0;
    if (!root) return 0;
    let purged = 0;
    for (const [hour, sub] of [...root]) {
      const [y, mo, d, h] = hour.split('-').map(Number);
      const start = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0) / 1000;
      // An hour directory holds deletions of that whole hour, so it expires an hour after its name.
      if (!(start + 3600 < now - days * 86400)) continue;
      purged += this.purgeTree(sub);
      root.delete(hour);
      this.volume.nodes.delete(sub);
      this.volume.dirs.delete(sub);
    }
    return purged;
  }

  /** Delete everything below a trash directory for good; returns how many entries went. */
  private purgeTree(dir: Ino): number {
    let n = 0;
    for (const [key, ino] of [...(this.volume.dirs.get(dir) ?? [])]) {
      const attr = this.volume.nodes.get(ino);
      if (attr?.type === NodeType.Directory) n += this.purgeTree(ino);
      this.volume.dirs.get(dir)?.delete(key);
      if (attr && (attr.type === NodeType.Directory || --attr.nlink <= 0)) this.deleteNode(ino);
      n++;
    }
    return n;
  }
}

/** A new, unformatted volume and its first client. More clients: `new MemoryMeta(meta.volume)`. */
export function createMemoryMeta(volume: MemoryVolume = new MemoryVolume()): MemoryMeta {
  return new MemoryMeta(volume);
}
