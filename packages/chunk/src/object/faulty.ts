import { fsError, type ListOptions, type ObjectStorage, type PutOptions } from '@juicefs/core';

export type FaultOp = 'get' | 'put' | 'delete' | 'head' | 'list';

/** A rule: which calls fail, and how. */
export interface Fault {
  ops: FaultOp[];
  /** Only keys containing this text (default: any key). */
  keyIncludes?: string;
  /** Fail this many matching calls, then stop (default: every matching call). */
  times?: number;
  /** Fail each matching call with this probability (default 1). Uses `random` of the wrapper. */
  probability?: number;
  /** `error` throws a transient EIO (default); `short` makes a get return fewer bytes than asked. */
  mode?: 'error' | 'short';
}

/** Counters of calls that reached the inner storage. */
export interface CallCounts {
  get: number;
  put: number;
  delete: number;
  head: number;
  list: number;
}

/**
 * A storage that fails some calls on purpose, for tests of what happens above it. Faults can be
 * added and cleared while the storage is in use.
 */
export class FaultyStorage implements ObjectStorage {
  readonly description: string;
  readonly calls: CallCounts = { get: 0, put: 0, delete: 0, head: 0, list: 0 };
  readonly injected: CallCounts = { get: 0, put: 0, delete: 0, head: 0, list: 0 };
  private faults: Fault[] = [];
  private rng: () => number;

  constructor(private readonly inner: ObjectStorage, seed = 42) {
    this.description = `faulty(${inner.description})`;
    let s = seed >>> 0 || 1;
    // xorshift32: deterministic, so a failing run can be repeated.
    this.rng = () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 0x100000000;
    };
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults = [];
  }

  private pick(op: FaultOp, key: string): Fault | undefined {
    for (const f of this.faults) {
      if (!f.ops.includes(op)) continue;
      if (f.keyIncludes !== undefined && !key.includes(f.keyIncludes)) continue;
      if (f.times !== undefined && f.times <= 0) continue;
      if (f.probability !== undefined && this.rng() >= f.probability) continue;
      if (f.times !== undefined) f.times--;
      this.injected[op]++;
      return f;
    }
    return undefined;
  }

  private fail(op: FaultOp, key: string): never {
    const e = fsError('EIO', `injected fault: ${op} ${key}`);
    (e as { transient?: boolean }).transient = true;
    throw e;
  }

  create(): Promise<void> {
    return this.inner.create();
  }

  async get(key: string, offset?: number, limit?: number): Promise<Buffer> {
    const f = this.pick('get', key);
    if (f && (f.mode ?? 'error') === 'error') this.fail('get', key);
    this.calls.get++;
    const data = await this.inner.get(key, offset, limit);
    return f ? data.subarray(0, Math.floor(data.length / 2)) : data;
  }

  async put(key: string, data: Buffer, o?: PutOptions): Promise<void> {
    if (this.pick('put', key)) this.fail('put', key);
    this.calls.put++;
    return this.inner.put(key, data, o);
  }

  async delete(key: string): Promise<void> {
    if (this.pick('delete', key)) this.fail('delete', key);
    this.calls.delete++;
    return this.inner.delete(key);
  }

  async head(key: string) {
    if (this.pick('head', key)) this.fail('head', key);
    this.calls.head++;
    return this.inner.head(key);
  }

  async list(prefix: string, options?: ListOptions) {
    if (this.pick('list', prefix)) this.fail('list', prefix);
    this.calls.list++;
    return this.inner.list(prefix, options);
  }
}
