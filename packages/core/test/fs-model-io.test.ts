// Descriptor I/O through the path API against a local file: several descriptors on one file,
// positional and sequential reads and writes, O_APPEND, O_TRUNC, ftruncate, and unlink or
// rename while open. Every result must match what Linux does on a plain directory.
import { mkdtemp, rm } from 'node:fs/promises';
import * as nodefs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { JuiceFS } from '../src/index.js';
import { BLOCK, newHarness, pattern } from './vfs-harness.js';

const SLOTS = 3;
type Mode = 'r' | 'r+' | 'w' | 'w+' | 'a' | 'a+';
type Op =
  | { op: 'open'; slot: number; mode: Mode }
  | { op: 'close'; slot: number }
  | { op: 'write'; slot: number; len: number; seed: number; pos: number | null }
  | { op: 'read'; slot: number; len: number; pos: number | null }
  | { op: 'ftruncate'; slot: number; len: number }
  | { op: 'fstat'; slot: number }
  | { op: 'unlink' }
  | { op: 'rename' }
  | { op: 'readFile' };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const pos = fc.option(fc.integer({ min: 0, max: 3 * BLOCK }), { nil: null });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('open' as const), slot, mode: fc.constantFrom<Mode>('r', 'r+', 'w', 'w+', 'a', 'a+') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), slot }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), slot, len: fc.integer({ min: 1, max: 5000 }), seed: fc.integer({ min: 1, max: 1e6 }), pos }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), slot, len: fc.integer({ min: 1, max: 6000 }), pos }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ftruncate' as const), slot, len: fc.integer({ min: 0, max: 2 * BLOCK }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fstat' as const), slot }) },
  { weight: 1, arbitrary: fc.constantFrom({ op: 'unlink' as const }, { op: 'rename' as const }, { op: 'readFile' as const }) },
);

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    const r = await fn();
    if (Buffer.isBuffer(r)) return `ok:${r.length}:${r.toString('hex').slice(0, 64)}:${hash(r)}`;
    return `ok:${JSON.stringify(r ?? null)}`;
  } catch (err) {
    return `err:${(err as { code?: string }).code ?? String(err)}`;
  }
}

function hash(b: Buffer): number {
  let h = 0;
  for (const x of b) h = (h * 31 + x) | 0;
  return h;
}

class LocalSide {
  private readonly fds: Array<nodefs.FileHandle | undefined> = [];
  constructor(private readonly root: string) {}
  run(o: Op): Promise<string> {
    const f = join(this.root, 'f');
    const fd = 'slot' in o ? this.fds[o.slot] : undefined;
    const need = () => {
      if (!fd) throw Object.assign(new Error('closed slot'), { code: 'EBADF' });
      return fd;
    };
    switch (o.op) {
      case 'open':
        return outcome(async () => {
          await this.fds[o.slot]?.close();
          this.fds[o.slot] = undefined;
          this.fds[o.slot] = await nodefs.open(f, o.mode);
        });
      case 'close':
        return outcome(async () => {
          await need().close();
          this.fds[o.slot] = undefined;
        });
      case 'write':
        return outcome(async () => (await need().write(pattern(o.len, o.seed), 0, o.len, o.pos)).bytesWritten);
      case 'read':
        return outcome(async () => {
          const buf = Buffer.alloc(o.len);
          const { bytesRead } = await need().read(buf, 0, o.len, o.pos);
          return buf.subarray(0, bytesRead);
        });
      case 'ftruncate':
        return outcome(() => need().truncate(o.len));
      case 'fstat':
        return outcome(async () => (await need().stat()).size);
      case 'unlink':
        return outcome(() => nodefs.unlink(f));
      case 'rename':
        return outcome(() => nodefs.rename(f, join(this.root, 'g')));
      case 'readFile':
        return outcome(() => nodefs.readFile(f));
    }
  }
  async closeAll(): Promise<void> {
    for (const fd of this.fds) await fd?.close();
  }
}

class JfsSide {
  private readonly fds: Array<number | undefined> = [];
  constructor(private readonly fs: JuiceFS) {}
  run(o: Op): Promise<string> {
    const fd = 'slot' in o ? this.fds[o.slot] : undefined;
    const need = () => {
      if (fd === undefined) throw Object.assign(new Error('closed slot'), { code: 'EBADF' });
      return fd;
    };
    switch (o.op) {
      case 'open':
        return outcome(async () => {
          const old = this.fds[o.slot];
          this.fds[o.slot] = undefined;
          if (old !== undefined) await this.fs.close(old);
          this.fds[o.slot] = await this.fs.open('/f', o.mode);
        });
      case 'close':
        return outcome(async () => {
          await this.fs.close(need());
          this.fds[o.slot] = undefined;
        });
      case 'write':
        return outcome(() => this.fs.write(need(), pattern(o.len, o.seed), o.pos));
      case 'read':
        return outcome(() => this.fs.read(need(), o.len, o.pos));
      case 'ftruncate':
        return outcome(() => this.fs.ftruncate(need(), o.len));
      case 'fstat':
        return outcome(async () => (await this.fs.fstat(need())).size);
      case 'unlink':
        return outcome(() => this.fs.unlink('/f'));
      case 'rename':
        return outcome(() => this.fs.rename('/f', '/g'));
      case 'readFile':
        return outcome(() => this.fs.readFile('/f'));
    }
  }
}

describe('JuiceFS descriptors against a local file', () => {
  it('agree on every result for random descriptor operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const root = await mkdtemp(join(tmpdir(), 'jfs-io-model-'));
        const local = new LocalSide(root);
        try {
          const h = await newHarness();
          const jfs = new JfsSide(new JuiceFS(h.vfs, h.ctx));
          for (const [i, o] of ops.entries()) {
            const want = await local.run(o);
            const got = await jfs.run(o);
            expect({ step: i, op: o, result: got }).toEqual({ step: i, op: o, result: want });
          }
        } finally {
          await local.closeAll();
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 120, seed: 99 },
    );
  });
});
