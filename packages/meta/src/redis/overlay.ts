/**
 * The writes a transaction has buffered, kept twice: as the ordered command list that MULTI/EXEC
 * will replay, and as a per-key model so that the transaction's own reads see them.
 *
 * Hash fields are keyed by their bytes as a latin1 string (a bijection on bytes), so raw entry
 * names that are not UTF-8 survive.
 */
export type RedisArg = string | Buffer | number;
export type RedisCommand = readonly [name: string, ...args: RedisArg[]];

/** One buffered change of a hash field, replayed in order over the server's value. */
type FieldOp =
  | { op: 'set'; value: Buffer }
  | { op: 'del' }
  | { op: 'incr'; delta: number }
  /** HINCRBY only where the field exists (the Lua script of `hincrByIfExists`). */
  | { op: 'incrx'; delta: number };

interface HashDelta {
  /** The whole key was deleted first: nothing from the server shows through. */
  cleared: boolean;
  fields: Map<string, FieldOp[]>;
}

/** HINCRBY that leaves an absent field absent (directory stats are only kept once tracked). */
export const HINCRBY_IF_EXISTS =
  "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) end return false";

function fold(start: Buffer | null, ops: readonly FieldOp[]): Buffer | null {
  let v = start;
  for (const o of ops) {
    if (o.op === 'set') v = o.value;
    else if (o.op === 'del') v = null;
    else if (o.op === 'incr' || v !== null) v = Buffer.from(String(Number(v?.toString() ?? '0') + o.delta));
  }
  return v;
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
    this.hashes.set(key, { cleared: true, fields: new Map() });
    this.lists.set(key, { replaced: true, items: [] });
    this.commands.push(['del', key]);
  }

  incrBy(key: string, delta: number): void {
    if (delta === 0) return;
    this.counters.set(key, (this.counters.get(key) ?? 0) + delta);
    this.commands.push(['incrby', key, delta]);
  }

  hset(key: string, field: Buffer | string, value: Buffer | string): void {
    // a set makes earlier changes of the field irrelevant
    this.hash(key).fields.set(fieldKey(field), [{ op: 'set', value: typeof value === 'string' ? Buffer.from(value) : value }]);
    this.commands.push(['hset', key, field, value]);
  }

  hdel(key: string, field: Buffer | string): void {
    this.hash(key).fields.set(fieldKey(field), [{ op: 'del' }]);
    this.commands.push(['hdel', key, field]);
  }

  hincrBy(key: string, field: Buffer | string, delta: number): void {
    if (delta === 0) return;
    this.fieldOps(key, field).push({ op: 'incr', delta });
    this.commands.push(['hincrby', key, field, delta]);
  }

  hincrByIfExists(key: string, field: Buffer | string, delta: number): void {
    if (delta === 0) return;
    this.fieldOps(key, field).push({ op: 'incrx', delta });
    this.commands.push(['eval', HINCRBY_IF_EXISTS, 1, key, field, delta]);
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
    const first = h.fields.get(fieldKey(field))?.[0];
    return h.cleared || first?.op === 'set' || first?.op === 'del';
  }

  hashField(key: string, field: Buffer | string, base: Buffer | null): Buffer | null {
    const h = this.hashes.get(key);
    if (!h) return base;
    return fold(h.cleared ? null : base, h.fields.get(fieldKey(field)) ?? []);
  }

  /** Merge the server's fields (latin1 field key -> value) with the buffered changes. */
  hashAll(key: string, base: Map<string, Buffer>): Map<string, Buffer> {
    const h = this.hashes.get(key);
    if (!h) return base;
    const out = h.cleared ? new Map<string, Buffer>() : new Map(base);
    for (const [f, ops] of h.fields) {
      const v = fold(out.get(f) ?? null, ops);
      if (v === null) out.delete(f);
      else out.set(f, v);
    }
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
    if (!h) this.hashes.set(key, (h = { cleared: false, fields: new Map() }));
    return h;
  }

  private fieldOps(key: string, field: Buffer | string): FieldOp[] {
    const h = this.hash(key);
    const f = fieldKey(field);
    let ops = h.fields.get(f);
    if (!ops) h.fields.set(f, (ops = []));
    return ops;
  }
}
