/**
 * The writes a transaction has buffered, kept twice: as the ordered command list that MULTI/EXEC
 * will replay, and as a per-key model so that the transaction's own reads see them.
 *
 * Hash fields are keyed by their bytes as a latin1 string (a bijection on bytes), so raw entry
 * names that are not UTF-8 survive.
 */
export type RedisArg = string | Buffer | number;
export type RedisCommand = readonly [name: string, ...args: RedisArg[]];

interface HashDelta {
  /** The whole key was deleted first: nothing from the server shows through. */
  cleared: boolean;
  fields: Map<string, Buffer | null>;
  incr: Map<string, number>;
}

interface ListDelta {
  replaced: boolean;
  items: Buffer[];
}

export function fieldKey(field: Buffer | string): string {
  return typeof field === 'string' ? Buffer.from(field, 'utf8').toString('latin1') : field.toString('latin1');
}

export function fieldBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export class Overlay {
  readonly commands: RedisCommand[] = [];
  private readonly strings = new Map<string, Buffer | null>();
  private readonly counters = new Map<string, number>();
  private readonly hashes = new Map<string, HashDelta>();
  private readonly lists = new Map<string, ListDelta>();

  get empty(): boolean {
    return this.commands.length === 0;
  }

  // ---- writes ------------------------------------------------------------------------------

  set(key: string, value: Buffer): void {
    this.strings.set(key, value);
    this.counters.delete(key);
    this.commands.push(['set', key, value]);
  }

  del(key: string): void {
    // DEL does not care about the type; forget every model of the key.
    this.strings.set(key, null);
    this.counters.delete(key);
    this.hashes.set(key, { cleared: true, fields: new Map(), incr: new Map() });
    this.lists.set(key, { replaced: true, items: [] });
    this.commands.push(['del', key]);
  }

  incrBy(key: string, delta: number): void {
    if (delta === 0) return;
    this.counters.set(key, (this.counters.get(key) ?? 0) + delta);
    this.commands.push(['incrby', key, delta]);
  }

  hset(key: string, field: Buffer | string, value: Buffer | string): void {
    const h = this.hash(key);
    const f = fieldKey(field);
    h.fields.set(f, typeof value === 'string' ? Buffer.from(value) : value);
    h.incr.delete(f);
    this.commands.push(['hset', key, field, value]);
  }

  hdel(key: string, field: Buffer | string): void {
    const h = this.hash(key);
    const f = fieldKey(field);
    h.fields.set(f, null);
    h.incr.delete(f);
    this.commands.push(['hdel', key, field]);
  }

  hincrBy(key: string, field: Buffer | string, delta: number): void {
    if (delta === 0) return;
    const h = this.hash(key);
    const f = fieldKey(field);
    h.incr.set(f, (h.incr.get(f) ?? 0) + delta);
    this.commands.push(['hincrby', key, field, delta]);
  }

  rpush(key: string, items: readonly Buffer[]): void {
    if (items.length === 0) return;
    let l = this.lists.get(key);
    if (!l) this.lists.set(key, (l = { replaced: false, items: [] }));
    l.items.push(...items);
    this.commands.push(['rpush', key, ...items]);
  }

  /** A command whose effect the transaction never reads back (sets, sorted sets). */
  blind(command: RedisCommand): void {
    this.commands.push(command);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** undefined: untouched, read the server; null: deleted; else the buffered value. */
  string(key: string): Buffer | null | undefined {
    return this.strings.get(key);
  }

  counterDelta(key: string): number {
    return this.counters.get(key) ?? 0;
  }

  /** True when the key was SET or DELeted here, so the server's value does not matter. */
  counterShadowed(key: string): boolean {
    return this.strings.has(key);
  }

  hashTouched(key: string): boolean {
    return this.hashes.has(key);
  }

  /** True when the field's value no longer depends on the server. */
  fieldKnown(key: string, field: Buffer | string): boolean {
    const h = this.hashes.get(key);
    if (!h) return false;
    const f = fieldKey(field);
    return h.fields.has(f) || h.cleared;
  }

  hashField(key: string, field: Buffer | string, base: Buffer | null): Buffer | null {
    const h = this.hashes.get(key);
    if (!h) return base;
    const f = fieldKey(field);
    let value = h.fields.has(f) ? (h.fields.get(f) ?? null) : h.cleared ? null : base;
    const inc = h.incr.get(f);
    if (inc !== undefined) value = Buffer.from(String(Number(value?.toString() ?? '0') + inc));
    return value;
  }

  /** Merge the server's fields (latin1 field key -> value) with the buffered changes. */
  hashAll(key: string, base: Map<string, Buffer>): Map<string, Buffer> {
    const h = this.hashes.get(key);
    if (!h) return base;
    const out = h.cleared ? new Map<string, Buffer>() : new Map(base);
    for (const [f, v] of h.fields) {
      if (v === null) out.delete(f);
      else out.set(f, v);
    }
    for (const [f, inc] of h.incr) out.set(f, Buffer.from(String(Number(out.get(f)?.toString() ?? '0') + inc)));
    return out;
  }

  listTouched(key: string): boolean {
    return this.lists.has(key);
  }

  list(key: string, base: readonly Buffer[]): Buffer[] {
    const l = this.lists.get(key);
    if (!l) return [...base];
    return l.replaced ? [...l.items] : [...base, ...l.items];
  }

  /** Keys of lists this transaction has created, replaced or deleted. */
  touchedLists(): Array<{ key: string; empty: boolean }> {
    return [...this.lists].map(([key, l]) => ({ key, empty: l.replaced && l.items.length === 0 }));
  }

  private hash(key: string): HashDelta {
    let h = this.hashes.get(key);
    if (!h) this.hashes.set(key, (h = { cleared: false, fields: new Map(), incr: new Map() }));
    return h;
  }
}
