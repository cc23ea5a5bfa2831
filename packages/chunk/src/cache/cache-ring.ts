import { murmur3String } from './murmur3.js';

/** Points each cache directory gets on the ring before balancing, as JuiceFS gives them. */
export const CACHE_RING_REPLICAS = 100;

/**
 * The consistent-hash ring that picks, for a block key, which of several cache directories holds
 * it. It follows the ring JuiceFS builds (groupcache's consistenthash as Juicedata extended it,
 * over MurmurHash3): each directory's id (the UUID in its `.lock` file) is hashed with the point
 * number in front (`"0" + id`, `"1" + id`, …); a key belongs to the first point at or after its
 * own hash. The points are then rebalanced once: a directory whose arcs cover less of the ring than
 * its share gets more points, one covering more gets fewer. Placing blocks as the Go client does
 * means a cache shared with it (one after the other) finds the same blocks in the same places.
 */
export class CacheRing {
  private points: number[] = [];
  private owners = new Map<number, string>();

  constructor(private readonly ids: readonly string[], private readonly replicas = CACHE_RING_REPLICAS) {
    const base = new Map(ids.map((id) => [id, replicas] as const));
    this.place(base);
    if (ids.length > 1 && replicas >= 10) this.place(this.balanced(base));
  }

  /** The id of the directory that holds `key`; undefined when the ring is empty. */
  get(key: string): string | undefined {
    if (this.points.length === 0) return undefined;
    const h = murmur3String(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! >= h) hi = mid;
      else lo = mid + 1;
    }
    return this.owners.get(this.points[lo === this.points.length ? 0 : lo]!);
  }

  private place(counts: Map<string, number>): void {
    this.points = [];
    this.owners = new Map();
    for (const [id, n] of counts) {
      for (let i = 0; i < n; i++) {
        const h = murmur3String(`${i}${id}`);
        this.points.push(h);
        this.owners.set(h, id);
      }
    }
    this.points.sort((a, b) => a - b);
  }

  /** Point counts corrected by how much of the ring each directory's arcs cover now. */
  private balanced(base: Map<string, number>): Map<string, number> {
    const p = this.points;
    const covered = new Map<string, number>();
    const add = (h: number, arc: number): void => {
      const id = this.owners.get(h)!;
      covered.set(id, (covered.get(id) ?? 0) + arc);
    };
    add(p[0]!, p[0]! + 2 ** 32 - p[p.length - 1]!); // the arc that wraps round to the first point
    for (let i = 1; i < p.length; i++) add(p[i]!, p[i]! - p[i - 1]!);
    let total = 0;
    for (const n of base.values()) total += n;
    const out = new Map<string, number>();
    for (const [id, arc] of covered) {
      const actual = arc / 2 ** 32;
      const n = base.get(id)!;
      const expect = n / total;
      out.set(id, n + Math.trunc((n * (expect - actual)) / expect));
    }
    return out;
  }
}
