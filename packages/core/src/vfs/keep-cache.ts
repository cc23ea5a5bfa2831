import type { Attr } from '../types/attr.js';
import type { Ino } from '../types/inode.js';

/** How many inodes the memory keeps; beyond that it starts over (only costs a cache refill). */
const MAX_REMEMBERED = 16_384;

/**
 * When an open may keep the kernel's page cache of a file (FOPEN_KEEP_CACHE), as JuiceFS does:
 * only when the engine's fresh attributes at this open show the same mtime, ctime and length as at the
 * previous open through this mount. A change by anyone (another client, or our own writes and
 * truncates and utimes, which move ctime) makes the kernel drop the cached pages; AUTO_INVAL_DATA covers
 * changes noticed while the file stays open.
 */
export class KeepCachePolicy {
  private readonly seen = new Map<Ino, string>();

  /** Whether the kernel may keep its pages for an open that found `attr`; remembers `attr`. */
  opened(ino: Ino, attr: Attr): boolean {
    const sig = `${attr.mtime}.${attr.mtimensec}.${attr.ctime}.${attr.ctimensec}.${attr.length}`;
    const keep = this.seen.get(ino) === sig;
    if (!keep) {
      if (this.seen.size >= MAX_REMEMBERED) this.seen.clear();
      this.seen.set(ino, sig);
    }
    return keep;
  }

  /** Forget `ino` (its data changed here without the open path seeing it, e.g. truncate to the same length). */
  forget(ino: Ino): void {
    this.seen.delete(ino);
  }
}
