import fc from 'fast-check';
import { AssertionError, deepStrictEqual } from 'node:assert';
import type { Meta } from '../../meta/meta.js';
import { NodeType } from '../../types/attr.js';
import type { Format } from '../../types/format.js';
import type { Ino } from '../../types/inode.js';
import { ROOT_INODE, TRASH_INODE } from '../../types/inode.js';
import { buildSliceView, CHUNK_SIZE } from '../../types/slice.js';
import { createMemoryMeta, MemoryMeta } from '../../testing/memory/meta.js';
import { testApi } from '../jest-api.js';
import { listAll, ROOT, testFormat } from './helpers.js';
import { applyModelOp, modelOpArb, type EngineRun, type ModelOp } from './model-ops.js';
import type { MetaFactory } from './types.js';

export interface MetaModelOptions {
  /** Random operation sequences to try (default 50). */
  numRuns?: number;
  /** Longest sequence (default 40 operations). */
  maxOps?: number;
  /** Reproduce a failure: the seed fast-check printed. */
  seed?: number;
  /** Shrink a failing sequence to a minimal one (default true; each step builds a fresh volume). */
  shrink?: boolean;
  /** Jest timeout for the whole property in ms (default 120 s). */
  timeout?: number;
  /** Format overrides for both volumes (trash is off by default). */
  format?: Partial<Format>;
  /** Clients of the volume the operations are spread over (default 2; 1 for engines without newClient). */
  clients?: number;
  /** The operations to draw from (default `modelOpArb`; e.g. filter it to focus on a feature). */
  ops?: fc.Arbitrary<ModelOp>;
}

/**
 * Where a file's bytes come from, as "pos+len=w<write number>@<offset in that write>" pieces;
 * zeros (holes, gaps) are left out and adjacent pieces of one write are merged, so equivalent
 * slice lists written differently by two engines compare equal.
 */
async function dataLayout(run: EngineRun, ino: Ino, length: number): Promise<string[]> {
  const pieces: Array<{ pos: number; len: number; write: number | undefined; off: number }> = [];
  for (let indx = 0; indx * CHUNK_SIZE < length; indx++) {
    for (const p of buildSliceView(await run.clients[0]!.readChunk(ROOT, ino, indx))) {
      const pos = indx * CHUNK_SIZE + p.pos;
      const len = Math.min(p.len, length - pos);
      if (p.id === 0 || len <= 0) continue;
      const write = run.writes.get(p.id);
      const last = pieces[pieces.length - 1];
      if (last && last.write === write && last.pos + last.len === pos && last.off + last.len === p.off) last.len += len;
      else pieces.push({ pos, len, write, off: p.off });
    }
  }
  return pieces.map((p) => `${p.pos}+${p.len}=w${p.write}@${p.off}`);
}

/** Everything a user can observe of a tree: path, type, mode, owner, links, size, target and data layout. */
async function snapshot(run: EngineRun, withTrash: boolean): Promise<string[]> {
  const lines: string[] = [];
  // Usage counters may be synced between clients lazily (JuiceFS flushes SQL counters per
  // heartbeat), so statfs is compared only when one client did everything.
  if (run.clients.length === 1) {
    const statfs = await run.clients[0]!.statFS(ROOT, ROOT_INODE);
    lines.push(`statfs usedInodes=${statfs.usedInodes} usedSpace=${statfs.totalSpace - statfs.availSpace}`);
  }
  const walk = async (dir: Ino, prefix: string): Promise<void> => {
    const entries = await listAll(run.clients[0]!, dir, { plus: true });
    for (const e of entries.sort((x, y) => Buffer.compare(x.name, y.name))) {
      const a = e.attr ?? (await run.clients[0]!.getAttr(ROOT, e.ino));
      // Hidden from the comparison: inode numbers in trash names (engines may use numbers up on failed creates)
      // and the hour of trash directories, which two engines may see change between them.
      let shown = e.name.toString();
      if (dir > TRASH_INODE) shown = shown.replace(/^\d+-\d+-/, '<parent>-<ino>-');
      else if (dir === TRASH_INODE) shown = shown.replace(/^\d{4}-\d{2}-\d{2}-\d{2}$/, '<hour>');
      const path = `${prefix}/${shown}`;
      let extra = '';
      if (a.type === NodeType.Symlink) extra = ` -> ${(await run.clients[0]!.readlink(ROOT, e.ino)).toString()}`;
      if (a.type === NodeType.File) {
        extra = ` data[${(await dataLayout(run, e.ino, a.length)).join(' ')}]`;
      }
      const xattrs = [];
      for (const name of (await run.clients[0]!.listXattr(ROOT, e.ino)).sort()) {
        xattrs.push(`${name}=${(await run.clients[0]!.getXattr(ROOT, e.ino, name)).toString()}`);
      }
      if (xattrs.length > 0) extra += ` xattrs[${xattrs.join(' ')}]`;
      lines.push(`${path} type=${a.type} mode=${a.mode.toString(8)} uid=${a.uid} gid=${a.gid} nlink=${a.nlink} length=${a.length}${extra}`);
      if (a.type === NodeType.Directory) await walk(e.ino, path);
    }
  };
  await walk(ROOT_INODE, '');
  if (withTrash) await walk(TRASH_INODE, '/.trash');
  return lines.sort();
}

/** Format with the first client, then load every client and open its session. */
async function prepare(clients: Meta[], format: Format): Promise<EngineRun> {
  await clients[0]!.init(format);
  for (const c of clients) {
    await c.load(true);
    await c.newSession();
  }
  return { clients, writes: new Map() };
}

/** Apply `ops` to a fresh engine volume and to the model; throw at the first difference. */
export async function compareWithModel(
  factory: MetaFactory, ops: readonly ModelOp[], format: Partial<Format> = {}, clients = 2,
): Promise<void> {
  const env = await factory();
  try {
    const fmt = testFormat(format);
    const engineClients = [env.meta];
    while (engineClients.length < clients) engineClients.push(await env.newClient());
    const engine = await prepare(engineClients, fmt);
    const first = createMemoryMeta();
    const modelClients = [first];
    while (modelClients.length < clients) modelClients.push(new MemoryMeta(first.volume));
    const model = await prepare(modelClients, fmt);
    for (const [step, op] of ops.entries()) {
      const want = await applyModelOp(model, op, step);
      const got = await applyModelOp(engine, op, step);
      if (got !== want) {
        throw new AssertionError({
          message: `step ${step} ${JSON.stringify(op)}: engine gave "${got}", the model "${want}"`,
          actual: got,
          expected: want,
        });
      }
    }
    const withTrash = fmt.TrashDays > 0;
    deepStrictEqual(await snapshot(engine, withTrash), await snapshot(model, withTrash), 'final tree differs from the model');
  } finally {
    await env.cleanup();
  }
}

/** Run the model-based property (outside jest registration too). */
export async function checkMetaModel(factory: MetaFactory, options: MetaModelOptions = {}): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(options.ops ?? modelOpArb, { maxLength: options.maxOps ?? 40, size: 'max' }), (ops) => compareWithModel(factory, ops, options.format, options.clients ?? 2)),
    {
      numRuns: options.numRuns ?? 50,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.shrink === false ? { endOnFailure: true } : {}),
    },
  );
}

/**
 * Register a jest test applying random operation sequences (mkdir, create, unlink, rmdir, rename,
 * link, symlink, setattr, write) to the engine and to the in-memory model, comparing every result
 * (success or errno) and the final tree.
 */
export function metaModelTest(name: string, factory: MetaFactory, options: MetaModelOptions = {}): void {
  const { it } = testApi();
  it(`${name}: random operation sequences agree with the in-memory model`, () => checkMetaModel(factory, options), options.timeout ?? 120000);
}
