import fc from 'fast-check';
import { isErrnoCode } from '../../errors/errno.js';
import type { Meta } from '../../meta/meta.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, RENAME_EXCHANGE, RENAME_NOREPLACE, XATTR_CREATE, XATTR_REPLACE,
} from '../../meta/meta.js';
import type { Attr, SetAttrRequest } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import type { Ino } from '../../types/inode.js';
import { ROOT_INODE } from '../../types/inode.js';
import { ALICE, ROOT } from './helpers.js';

/** A path of 1..3 components drawn from a tiny alphabet, so operations keep colliding. */
export type ModelPath = string[];
export type ModelUser = 'root' | 'alice';
/** Which client of the volume runs the operation (taken modulo the number of clients). */
type OnClient = { client: number };

export type ModelOp = OnClient & (
  | { op: 'mkdir' | 'create'; path: ModelPath; mode: number; user: ModelUser }
  | { op: 'unlink' | 'rmdir'; path: ModelPath; user: ModelUser }
  | { op: 'rename'; from: ModelPath; to: ModelPath; flags: number; user: ModelUser }
  | { op: 'link'; from: ModelPath; to: ModelPath; user: ModelUser }
  | { op: 'symlink'; path: ModelPath; target: string; user: ModelUser }
  | { op: 'setattr'; path: ModelPath; set: { mode: number } | { size: number } | { uid: number; gid: number }; user: ModelUser }
  | { op: 'write'; path: ModelPath; indx: number; pos: number; len: number; user: ModelUser }
  | { op: 'copy'; from: ModelPath; to: ModelPath; offIn: number; offOut: number; size: number; user: ModelUser }
  | { op: 'fallocate'; path: ModelPath; mode: number; offset: number; size: number; user: ModelUser }
  | { op: 'setxattr'; path: ModelPath; name: string; value: string; flags: number; user: ModelUser }
  | { op: 'removexattr'; path: ModelPath; name: string; user: ModelUser }
);

const nameArb = fc.constantFrom('a', 'b', 'c');
const pathArb = fc.oneof(
  { arbitrary: fc.tuple(nameArb), weight: 4 },
  { arbitrary: fc.tuple(nameArb, nameArb), weight: 3 },
  { arbitrary: fc.tuple(nameArb, nameArb, nameArb), weight: 1 },
).map((p): string[] => [...p]);
const userArb = fc.constantFrom<ModelUser>('root', 'root', 'alice');
const modeArb = fc.constantFrom(0o755, 0o700, 0o777, 0o644, 0o1777, 0o2775, 0o500, 0o4755);

/**
 * Random operations over the tiny namespace: mkdir, create, unlink, rmdir, rename, link, symlink,
 * setattr, write, copy_file_range, fallocate and xattrs.
 */
const opArb = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constantFrom('mkdir' as const, 'create' as const), path: pathArb, mode: modeArb, user: userArb }),
    weight: 4,
  },
  fc.record({ op: fc.constantFrom('unlink' as const, 'rmdir' as const), path: pathArb, user: userArb }),
  fc.record({
    op: fc.constant('rename' as const), from: pathArb, to: pathArb, user: userArb,
    flags: fc.constantFrom(0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE),
  }),
  fc.record({ op: fc.constant('link' as const), from: pathArb, to: pathArb, user: userArb }),
  fc.record({ op: fc.constant('symlink' as const), path: pathArb, target: fc.constantFrom('a', '../b', 'x/y/z'), user: userArb }),
  fc.record({
    op: fc.constant('setattr' as const), path: pathArb, user: userArb,
    set: fc.oneof(
      fc.record({ mode: modeArb }),
      fc.record({ size: fc.constantFrom(0, 1, 4096, 70000, 64 * 1024 * 1024 + 5) }),
      fc.record({ uid: fc.constantFrom(0, 1000), gid: fc.constantFrom(0, 1000) }),
    ),
  }),
  {
    arbitrary: fc.record({
      op: fc.constant('write' as const), path: pathArb, user: userArb,
      indx: fc.constantFrom(0, 0, 1), pos: fc.integer({ min: 0, max: 10000 }), len: fc.integer({ min: 1, max: 10000 }),
    }),
    weight: 2,
  },
  fc.record({
    op: fc.constant('copy' as const), from: pathArb, to: pathArb, user: userArb,
    offIn: fc.integer({ min: 0, max: 12000 }), offOut: fc.integer({ min: 0, max: 12000 }), size: fc.integer({ min: 1, max: 12000 }),
  }),
  fc.record({
    op: fc.constant('fallocate' as const), path: pathArb, user: userArb,
    mode: fc.constantFrom(0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE),
    offset: fc.integer({ min: 0, max: 12000 }), size: fc.integer({ min: 1, max: 12000 }),
  }),
  fc.record({
    op: fc.constant('setxattr' as const), path: pathArb, user: fc.constant<ModelUser>('root'),
    name: fc.constantFrom('user.x', 'user.y'), value: fc.constantFrom('', '1', 'two'), flags: fc.constantFrom(0, 0, XATTR_CREATE, XATTR_REPLACE),
  }),
  fc.record({ op: fc.constant('removexattr' as const), path: pathArb, user: fc.constant<ModelUser>('root'), name: fc.constantFrom('user.x', 'user.y') }),
);

export const modelOpArb: fc.Arbitrary<ModelOp> = fc
  .tuple(opArb, fc.constantFrom(0, 1))
  .map(([op, client]): ModelOp => ({ ...op, client }));

/** Per-engine state of one run: slice ids mapped to the number of the write that made them. */
export interface EngineRun {
  /** The clients of one volume (operations pick one by `client`). */
  clients: Meta[];
  writes: Map<number, number>;
}

const ctxOf = (user: ModelUser): Context => (user === 'root' ? ROOT : ALICE);

async function resolve(meta: Meta, ctx: Context, path: readonly string[]): Promise<Ino> {
  let ino = ROOT_INODE;
  for (const name of path) ino = (await meta.lookup(ctx, ino, name)).ino;
  return ino;
}

const split = (path: ModelPath): [ModelPath, string] => [path.slice(0, -1), path[path.length - 1] ?? ''];
const shape = (a: Attr) => `type=${a.type} mode=${a.mode.toString(8)} uid=${a.uid} gid=${a.gid} nlink=${a.nlink} length=${a.length}`;

/**
 * Apply one operation; the outcome is "ok <what the caller can see>" or the errno code. Errors
 * without an errno code are engine bugs and propagate.
 */
export async function applyModelOp(run: EngineRun, op: ModelOp, step: number): Promise<string> {
  const meta = run.clients[op.client % run.clients.length] as Meta;
  const ctx = ctxOf(op.user);
  try {
    switch (op.op) {
      case 'mkdir':
      case 'create': {
        const [dir, name] = split(op.path);
        const parent = await resolve(meta, ctx, dir);
        if (op.op === 'mkdir') return `ok ${shape((await meta.mkdir(ctx, parent, name, op.mode, 0o022)).attr)}`;
        const r = await meta.create(ctx, parent, name, op.mode, 0o022, 0);
        await meta.close(ctx, r.ino);
        return `ok ${shape(r.attr)}`;
      }
      case 'unlink':
      case 'rmdir': {
        const [dir, name] = split(op.path);
        const parent = await resolve(meta, ctx, dir);
        await (op.op === 'unlink' ? meta.unlink(ctx, parent, name) : meta.rmdir(ctx, parent, name));
        return 'ok';
      }
      case 'rename': {
        const [sdir, sname] = split(op.from);
        const [ddir, dname] = split(op.to);
        const ps = await resolve(meta, ctx, sdir);
        const pd = await resolve(meta, ctx, ddir);
        return `ok ${shape((await meta.rename(ctx, ps, sname, pd, dname, op.flags)).attr)}`;
      }
      case 'link': {
        const ino = await resolve(meta, ctx, op.from);
        const [ddir, dname] = split(op.to);
        const pd = await resolve(meta, ctx, ddir);
        return `ok ${shape(await meta.link(ctx, ino, pd, dname))}`;
      }
      case 'symlink': {
        const [dir, name] = split(op.path);
        const parent = await resolve(meta, ctx, dir);
        return `ok ${shape((await meta.symlink(ctx, parent, name, op.target)).attr)}`;
      }
      case 'setattr': {
        const ino = await resolve(meta, ctx, op.path);
        return `ok ${shape(await meta.setAttr(ctx, ino, op.set as SetAttrRequest))}`;
      }
      case 'write': {
        const ino = await resolve(meta, ctx, op.path);
        await meta.open(ctx, ino, 1);
        try {
          const id = await meta.newSlice();
          run.writes.set(id, step);
          const a = await meta.write(ctx, ino, op.indx, { pos: op.pos, id, size: op.len, off: 0, len: op.len });
          return `ok ${shape(a)}`;
        } finally {
          await meta.close(ctx, ino);
        }
      }
      case 'copy': {
        const fin = await resolve(meta, ctx, op.from);
        const fout = await resolve(meta, ctx, op.to);
        const n = await meta.copyFileRange(ctx, fin, op.offIn, fout, op.offOut, op.size, 0);
        return `ok copied=${n} ${shape(await meta.getAttr(ctx, fout))}`;
      }
      case 'fallocate': {
        const ino = await resolve(meta, ctx, op.path);
        return `ok ${shape(await meta.fallocate(ctx, ino, op.mode, op.offset, op.size))}`;
      }
      case 'setxattr': {
        const ino = await resolve(meta, ctx, op.path);
        await meta.setXattr(ctx, ino, op.name, Buffer.from(op.value), op.flags);
        return 'ok';
      }
      case 'removexattr': {
        const ino = await resolve(meta, ctx, op.path);
        await meta.removeXattr(ctx, ino, op.name);
        return 'ok';
      }
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (isErrnoCode(code)) return code;
    throw err;
  }
}
