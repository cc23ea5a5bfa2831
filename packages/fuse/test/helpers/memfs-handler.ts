// A small in-memory, tmpfs-like FuseHandler for tests of the server and of real mounts. It keeps
// every node until unlinked (lookup counts are ignored), and checks no permissions.
import { fsError } from '@juicefs/core';
import {
  DT,
  FOPEN,
  direntType,
  type AttrOut,
  type CreateIn,
  type DirentBuffer,
  type EntryOut,
  type FuseAttr,
  type FuseHandler,
  type MknodIn,
  type OpenOut,
  type ReadIn,
  type ReleaseIn,
  type RequestContext,
  type SetattrIn,
  type StatfsOut,
  type WriteIn,
} from '../../src/index.js';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const O_TRUNC = 0o1000;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

interface Node {
  attr: FuseAttr;
  data: Buffer;
  target: Buffer;
  children: Map<string, bigint>;
  xattrs: Map<string, Buffer>;
}

const key = (name: Buffer): string => name.toString('latin1');

function now(): { sec: number; nsec: number } {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

export class MemFsHandler implements FuseHandler {
  readonly nodes = new Map<bigint, Node>();
  private nextIno = 2n;
  private nextFh = 1n;
  /** Called by read() of a file named "slow": lets tests hold a request open. */
  onSlowRead: ((ctx: RequestContext) => Promise<void>) | undefined;
  forgets = 0;
  destroyed = false;

  constructor() {
    this.nodes.set(1n, this.newNode(1n, S_IFDIR | 0o777, 0, 0));
  }

  private newNode(ino: bigint, mode: number, uid: number, gid: number): Node {
    const t = now();
    return {
      attr: {
        ino, size: 0, atime: t.sec, atimensec: t.nsec, mtime: t.sec, mtimensec: t.nsec, ctime: t.sec, ctimensec: t.nsec,
        mode, nlink: (mode & S_IFDIR) === S_IFDIR ? 2 : 1, uid, gid, rdev: 0,
      },
      data: Buffer.alloc(0),
      target: Buffer.alloc(0),
      children: new Map(),
      xattrs: new Map(),
    };
  }

  private get(ino: bigint): Node {
    const n = this.nodes.get(ino);
    if (n === undefined) throw fsError('ENOENT', `no inode ${ino}`);
    return n;
  }

  private dir(ino: bigint): Node {
    const n = this.get(ino);
    if ((n.attr.mode & 0o170000) !== S_IFDIR) throw fsError('ENOTDIR', `inode ${ino} is not a directory`);
    return n;
  }

  private touch(n: Node): void {
    const t = now();
    n.attr.mtime = n.attr.ctime = t.sec;
    n.attr.mtimensec = n.attr.ctimensec = t.nsec;
  }

  private entry(ino: bigint): EntryOut {
    return { ino, attr: { ...this.get(ino).attr }, entryTimeout: 1, attrTimeout: 1 };
  }

  private add(ctx: RequestContext, parent: bigint, name: Buffer, mode: number): bigint {
    const p = this.dir(parent);
    if (p.children.has(key(name))) throw fsError('EEXIST', `"${name.toString()}" exists`);
    const ino = this.nextIno++;
    this.nodes.set(ino, this.newNode(ino, mode, ctx.uid, ctx.gid));
    p.children.set(key(name), ino);
    if ((mode & 0o170000) === S_IFDIR) p.attr.nlink++;
    this.touch(p);
    return ino;
  }

  async lookup(_ctx: RequestContext, parent: bigint, name: Buffer): Promise<EntryOut> {
    const ino = this.dir(parent).children.get(key(name));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${name.toString()}" in ${parent}`);
    return this.entry(ino);
  }

  forget(items: readonly { ino: bigint; nlookup: bigint }[]): void {
    this.forgets += items.length;
  }

  async getattr(_ctx: RequestContext, ino: bigint): Promise<AttrOut> {
    return { attr: { ...this.get(ino).attr }, attrTimeout: 1 };
  }

  async setattr(_ctx: RequestContext, ino: bigint, set: SetattrIn): Promise<AttrOut> {
    const n = this.get(ino);
    const a = n.attr;
    if (set.mode !== undefined) a.mode = (a.mode & 0o170000) | (set.mode & 0o7777);
    if (set.uid !== undefined) a.uid = set.uid;
    if (set.gid !== undefined) a.gid = set.gid;
    if (set.size !== undefined) this.resize(n, set.size);
    const t = now();
    if (set.atime !== undefined) [a.atime, a.atimensec] = set.atime === 'now' ? [t.sec, t.nsec] : [set.atime.sec, set.atime.nsec];
    if (set.mtime !== undefined) [a.mtime, a.mtimensec] = set.mtime === 'now' ? [t.sec, t.nsec] : [set.mtime.sec, set.mtime.nsec];
    a.ctime = t.sec;
    a.ctimensec = t.nsec;
    return { attr: { ...a }, attrTimeout: 1 };
  }

  /** Set the file size; the buffer grows geometrically so sequential writes stay linear. */
  private resize(n: Node, size: number): void {
    if (size > n.data.length) {
      const data = Buffer.alloc(Math.max(size, Math.min(n.data.length * 2, size + (64 << 20))));
      n.data.copy(data, 0, 0, n.attr.size);
      n.data = data;
    } else if (size < n.attr.size) {
      n.data.fill(0, size, n.attr.size);
    }
    n.attr.size = size;
    this.touch(n);
  }

  async readlink(_ctx: RequestContext, ino: bigint): Promise<Buffer> {
    return this.get(ino).target;
  }

  async symlink(ctx: RequestContext, parent: bigint, name: Buffer, target: Buffer): Promise<EntryOut> {
    const ino = this.add(ctx, parent, name, S_IFLNK | 0o777);
    const n = this.get(ino);
    n.target = Buffer.from(target);
    n.attr.size = target.length;
    return this.entry(ino);
  }

  async mknod(ctx: RequestContext, parent: bigint, req: MknodIn): Promise<EntryOut> {
    const ino = this.add(ctx, parent, req.name, req.mode & ~req.umask);
    this.get(ino).attr.rdev = req.rdev;
    return this.entry(ino);
  }

  async mkdir(ctx: RequestContext, parent: bigint, name: Buffer, mode: number, umask: number): Promise<EntryOut> {
    return this.entry(this.add(ctx, parent, name, S_IFDIR | (mode & ~umask & 0o7777)));
  }

  private remove(parent: bigint, name: Buffer, wantDir: boolean): void {
    const p = this.dir(parent);
    const ino = p.children.get(key(name));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${name.toString()}"`);
    const n = this.get(ino);
    const isDir = (n.attr.mode & 0o170000) === S_IFDIR;
    if (wantDir && !isDir) throw fsError('ENOTDIR', `"${name.toString()}" is not a directory`);
    if (!wantDir && isDir) throw fsError('EISDIR', `"${name.toString()}" is a directory`);
    if (isDir && n.children.size > 0) throw fsError('ENOTEMPTY', `"${name.toString()}" is not empty`);
    p.children.delete(key(name));
    if (isDir) p.attr.nlink--;
    n.attr.nlink = isDir ? 0 : n.attr.nlink - 1;
    this.touch(p);
  }

  async unlink(_ctx: RequestContext, parent: bigint, name: Buffer): Promise<void> {
    this.remove(parent, name, false);
  }

  async rmdir(_ctx: RequestContext, parent: bigint, name: Buffer): Promise<void> {
    this.remove(parent, name, true);
  }

  async rename(_ctx: RequestContext, parent: bigint, name: Buffer, newParent: bigint, newName: Buffer, flags: number): Promise<void> {
    const src = this.dir(parent);
    const dst = this.dir(newParent);
    const ino = src.children.get(key(name));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${name.toString()}"`);
    const existing = dst.children.get(key(newName));
    if (flags & RENAME_EXCHANGE) {
      if (existing === undefined) throw fsError('ENOENT', `no entry "${newName.toString()}" to exchange with`);
      src.children.set(key(name), existing);
      dst.children.set(key(newName), ino);
      return;
    }
    if (existing !== undefined) {
      if (flags & RENAME_NOREPLACE) throw fsError('EEXIST', `"${newName.toString()}" exists`);
      if (existing === ino) return;
      const isDir = (this.get(existing).attr.mode & 0o170000) === S_IFDIR;
      this.remove(newParent, newName, isDir);
    }
    src.children.delete(key(name));
    dst.children.set(key(newName), ino);
    if ((this.get(ino).attr.mode & 0o170000) === S_IFDIR && src !== dst) {
      src.attr.nlink--;
      dst.attr.nlink++;
    }
    this.touch(src);
    this.touch(dst);
  }

  async link(_ctx: RequestContext, ino: bigint, newParent: bigint, newName: Buffer): Promise<EntryOut> {
    const p = this.dir(newParent);
    if (p.children.has(key(newName))) throw fsError('EEXIST', `"${newName.toString()}" exists`);
    p.children.set(key(newName), ino);
    this.get(ino).attr.nlink++;
    return this.entry(ino);
  }

  async open(_ctx: RequestContext, ino: bigint, flags: number): Promise<OpenOut> {
    const n = this.get(ino);
    if (flags & O_TRUNC) this.resize(n, 0);
    // Slow files bypass the page cache so each read(2) is a synchronous, interruptible request.
    return n.xattrs.has('user.slow') ? { fh: this.nextFh++, openFlags: FOPEN.DIRECT_IO } : { fh: this.nextFh++ };
  }

  async read(ctx: RequestContext, ino: bigint, req: ReadIn): Promise<Buffer> {
    const n = this.get(ino);
    if (n.xattrs.has('user.slow') && this.onSlowRead !== undefined) await this.onSlowRead(ctx);
    return Buffer.from(n.data.subarray(Math.min(req.offset, n.attr.size), Math.min(req.offset + req.size, n.attr.size)));
  }

  async write(_ctx: RequestContext, ino: bigint, req: WriteIn): Promise<number> {
    const n = this.get(ino);
    const end = req.offset + req.data.length;
    if (end > n.attr.size) this.resize(n, end);
    req.data.copy(n.data, req.offset);
    this.touch(n);
    return req.data.length;
  }

  async statfs(): Promise<StatfsOut> {
    return { blocks: 1 << 20, bfree: 1 << 19, bavail: 1 << 19, files: 1 << 20, ffree: (1 << 20) - this.nodes.size, bsize: 4096, namelen: 255, frsize: 4096 };
  }

  async release(_ctx: RequestContext, _ino: bigint, _req: ReleaseIn): Promise<void> {}
  async flush(): Promise<void> {}
  async fsync(): Promise<void> {}

  async create(ctx: RequestContext, parent: bigint, req: CreateIn): Promise<{ entry: EntryOut; open: OpenOut }> {
    const ino = this.add(ctx, parent, req.name, S_IFREG | (req.mode & ~req.umask & 0o7777));
    return { entry: this.entry(ino), open: { fh: this.nextFh++ } };
  }

  async setxattr(_ctx: RequestContext, ino: bigint, name: Buffer, value: Buffer, flags: number): Promise<void> {
    const x = this.get(ino).xattrs;
    if (flags === 1 && x.has(name.toString())) throw fsError('EEXIST', `xattr ${name.toString()} exists`);
    if (flags === 2 && !x.has(name.toString())) throw fsError('ENODATA', `no xattr ${name.toString()}`);
    x.set(name.toString(), Buffer.from(value));
  }

  async getxattr(_ctx: RequestContext, ino: bigint, name: Buffer): Promise<Buffer> {
    const v = this.get(ino).xattrs.get(name.toString());
    if (v === undefined) throw fsError('ENODATA', `no xattr ${name.toString()}`);
    return v;
  }

  async listxattr(_ctx: RequestContext, ino: bigint): Promise<string[]> {
    return [...this.get(ino).xattrs.keys()];
  }

  async removexattr(_ctx: RequestContext, ino: bigint, name: Buffer): Promise<void> {
    if (!this.get(ino).xattrs.delete(name.toString())) throw fsError('ENODATA', `no xattr ${name.toString()}`);
  }

  async opendir(_ctx: RequestContext, ino: bigint): Promise<OpenOut> {
    this.dir(ino);
    return { fh: this.nextFh++ };
  }

  private listing(ino: bigint): { name: Buffer; ino: bigint }[] {
    const d = this.dir(ino);
    const parent = ino === 1n ? 1n : [...this.nodes.entries()].find(([, n]) => [...n.children.values()].includes(ino))?.[0] ?? 1n;
    return [
      { name: Buffer.from('.'), ino },
      { name: Buffer.from('..'), ino: parent },
      ...[...d.children.entries()].map(([k, i]) => ({ name: Buffer.from(k, 'latin1'), ino: i })),
    ];
  }

  async readdir(_ctx: RequestContext, ino: bigint, _fh: bigint, offset: number, out: DirentBuffer): Promise<void> {
    const list = this.listing(ino);
    for (let i = offset; i < list.length; i++) {
      const e = list[i]!;
      const type = direntType(this.nodes.get(e.ino)?.attr.mode ?? S_IFDIR) || DT.UNKNOWN;
      if (!out.add({ name: e.name, ino: e.ino, type, offset: i + 1 })) break;
    }
  }

  async readdirplus(_ctx: RequestContext, ino: bigint, _fh: bigint, offset: number, out: DirentBuffer): Promise<void> {
    const list = this.listing(ino);
    for (let i = offset; i < list.length; i++) {
      const e = list[i]!;
      const dot = i < 2;
      const type = direntType(this.nodes.get(e.ino)?.attr.mode ?? S_IFDIR);
      if (!out.add({ name: e.name, ino: e.ino, type, offset: i + 1 }, dot ? undefined : this.entry(e.ino))) break;
    }
  }

  async releasedir(): Promise<void> {}

  async access(): Promise<void> {}

  destroy(): void {
    this.destroyed = true;
  }
}
