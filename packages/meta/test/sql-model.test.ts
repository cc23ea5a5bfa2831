import fc from 'fast-check';
import type { NodeType, Slice } from '@juicefs/core';
import { createSqlEngine, type SqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';

/**
 * Random sequences of entry, chunk and xattr primitives against a plain in-memory model: after
 * every transaction the engine must read back exactly what the model holds, including paged
 * listings in byte order of names.
 */
type Op =
  | { kind: 'setEntry'; name: Buffer; ino: number; type: NodeType }
  | { kind: 'deleteEntry'; name: Buffer }
  | { kind: 'append'; indx: number; slice: Slice }
  | { kind: 'setChunk'; indx: number; slices: Slice[] }
  | { kind: 'setXattr'; name: string; value: Buffer }
  | { kind: 'removeXattr'; name: string };

const name = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.from(a));
const slice = fc.record({
  pos: fc.nat({ max: 1 << 26 }),
  id: fc.nat({ max: 2 ** 40 }),
  size: fc.nat({ max: 1 << 26 }),
  off: fc.nat({ max: 1 << 20 }),
  len: fc.nat({ max: 1 << 26 }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('setEntry' as const), name, ino: fc.integer({ min: 2, max: 1000 }), type: fc.integer({ min: 1, max: 7 }).map((t) => t as NodeType) }),
  fc.record({ kind: fc.constant('deleteEntry' as const), name }),
  fc.record({ kind: fc.constant('append' as const), indx: fc.nat({ max: 3 }), slice }),
  fc.record({ kind: fc.constant('setChunk' as const), indx: fc.nat({ max: 3 }), slices: fc.array(slice, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('setXattr' as const), name: fc.constantFrom('user.a', 'user.b', 'user.ü'), value: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)) }),
  fc.record({ kind: fc.constant('removeXattr' as const), name: fc.constantFrom('user.a', 'user.b', 'user.ü') }),
);

const dialects: Array<[string, () => Promise<TestTarget>, number]> = [
  ['sqlite3', async () => freshSqliteTarget(), 150],
  ['postgres', () => freshPgTarget(), 40],
  ['mysql', () => freshMysqlTarget(), 40],
];

describe.each(dialects)('%s against a model', (_name, fresh, runs) => {
  let target: TestTarget;
  let e: SqlEngine;
  let nextDir = 100n;

  beforeAll(async () => {
    target = await fresh();
    e = await createSqlEngine(target.url);
    await e.initSchema();
  });
  afterAll(async () => {
    await e.close();
    await target.cleanup();
  });

  it('entries, chunks and xattrs read back as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }), async (txns) => {
        const dir = nextDir++; // each run works on an inode of its own
        const entries = new Map<string, { ino: bigint; type: NodeType }>();
        const chunks = new Map<number, Slice[]>();
        const xattrs = new Map<string, Buffer>();
        for (const ops of txns) {
          await e.txn(async (tx) => {
            for (const o of ops) {
              if (o.kind === 'setEntry') tx.setEntry(dir, o.name, BigInt(o.ino), o.type);
              else if (o.kind === 'deleteEntry') tx.deleteEntry(dir, o.name);
              else if (o.kind === 'append') tx.appendSlice(dir, o.indx, o.slice);
              else if (o.kind === 'setChunk') tx.setChunk(dir, o.indx, o.slices);
              else if (o.kind === 'setXattr') tx.setXattr(dir, o.name, o.value);
              else tx.removeXattr(dir, o.name);
            }
          });
          for (const o of ops) {
            if (o.kind === 'setEntry') entries.set(o.name.toString('hex'), { ino: BigInt(o.ino), type: o.type });
            else if (o.kind === 'deleteEntry') entries.delete(o.name.toString('hex'));
            else if (o.kind === 'append') chunks.set(o.indx, [...(chunks.get(o.indx) ?? []), o.slice]);
            else if (o.kind === 'setChunk') {
              if (o.slices.length > 0) chunks.set(o.indx, o.slices);
              else chunks.delete(o.indx);
            } else if (o.kind === 'setXattr') xattrs.set(o.name, o.value);
            else xattrs.delete(o.name);
          }

          const listed: Array<[string, bigint, NodeType]> = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await e.txn((tx) => tx.listEntries(dir, cursor, 3));
            listed.push(...page.entries.map((x): [string, bigint, NodeType] => [x.name.toString('hex'), x.ino, x.type]));
            cursor = page.cursor;
            if (cursor === undefined) break;
          }
          const expected = [...entries]
            .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
            .map(([k, v]): [string, bigint, NodeType] => [k, v.ino, v.type]);
          expect(listed).toEqual(expected);
          expect(await e.txn((tx) => tx.hasEntries(dir))).toBe(entries.size > 0);
          expect(await e.txn((tx) => tx.listChunks(dir))).toEqual([...chunks.keys()].sort((a, b) => a - b));
          for (const [indx, list] of chunks) expect(await e.txn((tx) => tx.getChunk(dir, indx))).toEqual(list);
          expect(await e.txn((tx) => tx.listXattr(dir))).toEqual([...xattrs.keys()].sort());
          for (const [k, v] of xattrs) expect(await e.txn((tx) => tx.getXattr(dir, k))).toEqual(v);
        }
      }),
      { numRuns: runs },
    );
  });
});
