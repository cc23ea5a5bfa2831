import type { Attr, Ino, Slice } from '@juicefs/core';

interface CachedFile {
  attr: Attr;
  /** Slice records by chunk index, as the engine last returned them. */
  chunks: Map<number, Slice[]>;
  /** Date.now() when `attr` was last read from the engine or written by this client. */
  checkedAt: number;
  /** Opens of it by this client now. */
  refs: number;
}

/**
 * JuiceFS's open-file cache (--open-cache, pkg/meta/openfile.go): for files this client opened,
 * the attributes and the slice lists of the chunks read are kept and trusted for `ttl` after
 * they were last checked, so reopening and re-reading an unchanged file asks the engine nothing.
 * This client's own changes update or drop what they touch; other clients' changes are seen
 * when the entry expires (an mtime that moved then drops the slices too). Files still open are
 * kept beyond `limit`; closed ones go first, least recently checked first.
 */
export class OpenFileCache {
  private readonly files = new Map<Ino, CachedFile>();
  private ttlMs = 0;
  private limit = 10000;

  /** `ttlSeconds` 0 turns the cache off (and empties it). */
  configure(ttlSeconds: number, limit: number): void {
    this.ttlMs = ttlSeconds * 1000;
    this.limit = limit;
    if (this.ttlMs <= 0) this.files.clear();
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get size(): number {
    return this.files.size;
  }

  private fresh(ino: Ino): CachedFile | undefined {
    const f = this.files.get(ino);
    return f && Date.now() - f.checkedAt < this.ttlMs ? f : undefined;
  }

  /** The attributes of `ino` while they are trusted. */
  attr(ino: Ino): Attr | undefined {
    const f = this.fresh(ino);
    return f ? { ...f.attr } : undefined;
  }

  /** An open that read `attr` from the engine (or took it from here): count it and keep `attr`. */
  opened(ino: Ino, attr: Attr): void {
    if (!this.enabled) return;
    const f = this.files.get(ino);
    if (f) {
      this.refresh(f, attr);
      f.refs++;
    } else {
      this.files.set(ino, { attr: { ...attr }, chunks: new Map(), checkedAt: Date.now(), refs: 1 });
      this.evict();
    }
  }

  closed(ino: Ino): void {
    const f = this.files.get(ino);
    if (f) f.refs = Math.max(0, f.refs - 1);
  }

  /** The slice records of chunk `indx` of `ino` while trusted. */
  chunk(ino: Ino, indx: number): Slice[] | undefined {
    const hit = this.fresh(ino)?.chunks.get(indx);
    return hit ? [...hit] : undefined;
  }

  /** Keep chunk records just read, for a file in the cache. */
  putChunk(ino: Ino, indx: number, slices: readonly Slice[]): void {
    this.files.get(ino)?.chunks.set(indx, [...slices]);
  }

  /** Attributes of `ino` this client just read or wrote: trust them anew. */
  updated(ino: Ino, attr: Attr): void {
    const f = this.files.get(ino);
    if (f) this.refresh(f, attr);
  }

  /**
   * This client changed `ino` in a way the cache cannot follow (unlink, new slices): drop chunk
   * `indx` (all of them when absent) and check the attributes with the engine next time.
   */
  changed(ino: Ino, indx?: number): void {
    const f = this.files.get(ino);
    if (!f) return;
    if (indx === undefined) f.chunks.clear();
    else f.chunks.delete(indx);
    f.checkedAt = 0;
  }

  private refresh(f: CachedFile, attr: Attr): void {
    // Another writer moved mtime: the slices kept may no longer be the file's.
    if (attr.mtime !== f.attr.mtime || attr.mtimensec !== f.attr.mtimensec || attr.length !== f.attr.length) f.chunks.clear();
    f.attr = { ...attr };
    f.checkedAt = Date.now();
  }

  private evict(): void {
    if (this.files.size <= this.limit) return;
    const closed = [...this.files].filter(([, f]) => f.refs <= 0).sort((a, b) => a[1].checkedAt - b[1].checkedAt);
    for (const [ino] of closed) {
      if (this.files.size <= this.limit) break;
      this.files.delete(ino);
    }
  }
}
