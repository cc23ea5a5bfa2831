import type { Attr, NodeType } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Ino } from '../types/inode.js';

/** Beyond this many items a cache starts over (expired items are otherwise only dropped when hit). */
const MAX_ITEMS = 200_000;

interface CachedAttr {
  attr: Attr;
  expires: number;
}

interface CachedEntry {
  ino: Ino;
  type: NodeType;
  expires: number;
}

/**
 * The VFS's own attribute and entry caches (the kernel keeps its own with the same timeouts).
 * A timeout of 0 disables a cache. Entries are keyed by the caller's credentials too, because
 * a lookup checks search permission on the parent and a hit must not skip that check for
 * someone else. Every change this client makes invalidates what it touched.
 */
export class MetaCache {
  private readonly attrs = new Map<Ino, CachedAttr>();
  /**
   * Local changes are numbered: `changedAt` holds the number of each node's last one (and
   * `clearedAt` that of the last forget-everything), so an answer asked for before a change that
   * overtook it (two creates in one directory finishing out of order) is not cached.
   */
  private seq = 0;
  private readonly changedAt = new Map<Ino, number>();
  private clearedAt = 0;
  /** name in parent → caller credentials → entry. */
  private readonly entries = new Map<string, Map<string, CachedEntry>>();

  constructor(
    private readonly attrTtl: number,
    private readonly entryTtl: number,
    private readonly dirEntryTtl: number,
  ) {}

  getAttr(ino: Ino): Attr | undefined {
    const hit = this.attrs.get(ino);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.attrs.delete(ino);
      return undefined;
    }
    return { ...hit.attr };
  }

  putAttr(ino: Ino, attr: Attr): void {
    if (this.attrTtl <= 0) return;
    if (this.attrs.size >= MAX_ITEMS) this.attrs.clear();
    this.attrs.set(ino, { attr: { ...attr }, expires: Date.now() + this.attrTtl * 1000 });
  }

  dropAttr(ino: Ino): void {
    this.attrs.delete(ino);
    this.changed(ino);
  }

  /** The number of the last local change so far: pass it to `putAttrSince` with an answer asked for now. */
  mark(): number {
    return this.seq;
  }

  /**
   * After this client changed a node: caches `attr` (its attributes as the change left them)
   * unless it is absent or another local change to the node (or a forget-everything) came after
   * `since`, when the answer may be older than that change and the cached attributes are dropped.
   * Either way the node counts as changed now.
   */
  putAttrSince(ino: Ino, attr: Attr | undefined, since: number): void {
    const overtaken = this.clearedAt > since || (this.changedAt.get(ino) ?? 0) > since;
    if (attr === undefined || overtaken) this.attrs.delete(ino);
    else this.putAttr(ino, attr);
    this.changed(ino);
  }

  private changed(ino: Ino): void {
    this.seq++;
    if (this.changedAt.size >= MAX_ITEMS) {
      this.changedAt.clear();
      this.clearedAt = this.seq;
    }
    this.changedAt.set(ino, this.seq);
  }

  getEntry(ctx: Context, parent: Ino, name: Buffer): CachedEntry | undefined {
    const byCaller = this.entries.get(nameKey(parent, name));
    const hit = byCaller?.get(callerKey(ctx));
    if (!byCaller || !hit) return undefined;
    if (hit.expires <= Date.now()) {
      byCaller.delete(callerKey(ctx));
      return undefined;
    }
    return hit;
  }

  putEntry(ctx: Context, parent: Ino, name: Buffer, ino: Ino, type: NodeType): void {
    const ttl = type === 2 ? this.dirEntryTtl : this.entryTtl;
    if (ttl <= 0) return;
    const key = nameKey(parent, name);
    let byCaller = this.entries.get(key);
    if (!byCaller) {
      if (this.entries.size >= MAX_ITEMS) this.entries.clear();
      byCaller = new Map();
      this.entries.set(key, byCaller);
    }
    byCaller.set(callerKey(ctx), { ino, type, expires: Date.now() + ttl * 1000 });
  }

  /** Forget `name` in `parent` for every caller. */
  dropEntry(parent: Ino, name: Buffer): void {
    this.entries.delete(nameKey(parent, name));
  }

  /** Forget every cached attribute (after operations that change nodes we cannot name cheaply). */
  dropAllAttrs(): void {
    this.attrs.clear();
    this.changedAt.clear();
    this.clearedAt = ++this.seq;
  }

  clear(): void {
    this.dropAllAttrs();
    this.entries.clear();
  }
}

function nameKey(parent: Ino, name: Buffer): string {
  return `${parent}|${name.toString('hex')}`;
}

function callerKey(ctx: Context): string {
  return `${ctx.uid}:${ctx.gids.join(',')}:${ctx.checkPermission === false ? 0 : 1}`;
}
