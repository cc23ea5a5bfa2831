import type { Attr, NodeType } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Ino } from '../types/inode.js';

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
  private readonly entries = new Map<string, CachedEntry>();

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
    this.attrs.set(ino, { attr: { ...attr }, expires: Date.now() + this.attrTtl * 1000 });
  }

  dropAttr(ino: Ino): void {
    this.attrs.delete(ino);
  }

  getEntry(ctx: Context, parent: Ino, name: Buffer): CachedEntry | undefined {
    const key = entryKey(ctx, parent, name);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit;
  }

  putEntry(ctx: Context, parent: Ino, name: Buffer, ino: Ino, type: NodeType): void {
    const ttl = type === 2 ? this.dirEntryTtl : this.entryTtl;
    if (ttl <= 0) return;
    this.entries.set(entryKey(ctx, parent, name), { ino, type, expires: Date.now() + ttl * 1000 });
  }

  /** Forget `name` in `parent` for every caller. */
  dropEntry(parent: Ino, name: Buffer): void {
    const suffix = `|${parent}|${name.toString('hex')}`;
    for (const key of this.entries.keys()) if (key.endsWith(suffix)) this.entries.delete(key);
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

function entryKey(ctx: Context, parent: Ino, name: Buffer): string {
  return `${ctx.uid}:${ctx.gids.join(',')}:${ctx.checkPermission === false ? 0 : 1}|${parent}|${name.toString('hex')}`;
}
