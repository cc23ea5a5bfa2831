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
  }

  clear(): void {
    this.attrs.clear();
    this.entries.clear();
  }
}

function nameKey(parent: Ino, name: Buffer): string {
  return `${parent}|${name.toString('hex')}`;
}

function callerKey(ctx: Context): string {
  return `${ctx.uid}:${ctx.gids.join(',')}:${ctx.checkPermission === false ? 0 : 1}`;
}
