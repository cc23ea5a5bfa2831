import {
  CHUNK_SIZE,
  ERRNO,
  compactChunk,
  errnoOf,
  isTrash,
  tiersOf,
  type ChunkStore,
  type Context,
  type ControlHandler,
  type Format,
  type Meta,
} from '@juicefs/core';
import { CacheAction, ControlCode, PayloadReader, dataFrame, progressFrame } from './protocol.js';
import { objectsOf } from './objects.js';
import { log } from '../log.js';
import { profileThisProcess } from './self-profile.js';
import { cloneTree, filesUnder, pathsOf, removeTree, resolvePath, summarize, summaryTree, type Summary } from './tree.js';

/** What a mount gives the `.control` handler: the same Meta and ChunkStore its Vfs uses. */
export interface ControlContext {
  meta: Meta;
  store: ChunkStore;
  format: Format;
  /** How often progress frames go out while a request runs (ms; JuiceFS: 300). */
  progressIntervalMs?: number;
}

type Reply = (chunk: Buffer) => void;

/**
 * The `.control` handler for `VfsInit.control`: rmr, info, warmup/evict (FillCache) and
 * compaction, answered in JuiceFS's wire format so both our CLI and the Go one can use it.
 */
export function createControlHandler(c: ControlContext): ControlHandler {
  const interval = c.progressIntervalMs ?? 300;
  return async (ctx, cmd, payload, reply) => {
    const r = new PayloadReader(payload);
    switch (cmd) {
      case ControlCode.Rmr:
        return rmr(c, ctx, r, reply, interval);
      case ControlCode.InfoV2:
        return info(c, ctx, r, reply, interval);
      case ControlCode.FillCache:
        return fillCache(c, ctx, r, reply, interval);
      case ControlCode.CompactPath:
        return compactPath(c, ctx, r, reply, interval);
      case ControlCode.OpSummary:
        return treeSummary(c, ctx, r, reply, interval);
      case ControlCode.Clone:
        return clone(c, ctx, payload, reply, interval);
      case ControlCode.CpuProfile:
        return cpuProfile(ctx, r, reply, interval);
      default:
        reply(Buffer.from([ERRNO.ENOSYS]));
    }
  };
}

/** Run `work` while sending progress frames of `counts()` every `interval` ms (and once at the end). */
async function withProgress<T>(reply: Reply, interval: number, counts: () => [number, number], work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => reply(progressFrame(...counts())), interval);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    const [a, b] = counts();
    if (a > 0 || b > 0) reply(progressFrame(a, b));
  }
}

function errnoByte(err: unknown): Buffer {
  return Buffer.from([ERRNO[errnoOf(err)] & 0xff]);
}

async function rmr(c: ControlContext, ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const parent = r.u64();
  const name = Buffer.from(r.bytes(r.u8()));
  const skipTrash = r.hasMore() ? (r.u8() & 1) !== 0 : false;
  let count = 0;
  let status: Buffer = Buffer.from([0]);
  await withProgress(reply, interval, () => [count, 0], async () => {
    try {
      await removeTree(c.meta, ctx, parent, name, () => count++, { skipTrash });
    } catch (err) {
      status = errnoByte(err);
    }
  });
  reply(status);
}

async function info(c: ControlContext, ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const ino = r.u64();
  const recursive = r.hasMore() ? r.u8() !== 0 : true;
  const raw = r.hasMore() ? r.u8() !== 0 : false;
  let summary: Summary = { Length: 0, Size: 0, Files: 0, Dirs: 0 };
  const out: Record<string, unknown> = { Ino: ino, Failed: false, Reason: '' };
  await withProgress(reply, interval, () => [summary.Files, summary.Size], async () => {
    try {
      summary = await summarize(c.meta, ctx, ino, recursive, (s) => (summary = s));
      out['Paths'] = await pathsOf(c.meta, ctx, ino);
      // As JuiceFS 1.4: the tier and its storage class ("default" for tier 0).
      const tier = (await c.meta.getAttr(ctx, ino)).tier;
      out['TierID'] = tier;
      out['TierStr'] = tier === 0 ? 'default' : tiersOf(c.format)[String(tier)]?.StorageClass || 'unknown';
      if (summary.Files === 1 && summary.Dirs === 0) {
        const chunks: unknown[] = [];
        const objects: unknown[] = [];
        for (let indx = 0; indx * CHUNK_SIZE < summary.Length; indx++) {
          for (const s of await c.meta.readChunk(ctx, ino, indx)) {
            if (raw) chunks.push({ ChunkIndex: indx, Pos: s.pos, Id: s.id, Size: s.size, Off: s.off, Len: s.len });
            else for (const o of objectsOf(c.format, s)) objects.push({ ChunkIndex: indx, ...o });
          }
        }
        out[raw ? 'Chunks' : 'Objects'] = raw ? chunks : objects;
      }
    } catch (err) {
      out['Failed'] = true;
      out['Reason'] = (err as Error).message;
    }
  });
  out['Summary'] = summary;
  reply(dataFrame(out));
}

async function fillCache(c: ControlContext, ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const paths = r.bytes(r.u32()).toString('utf8').split('\n').filter((p) => p !== '');
  const threads = Math.max(1, r.u16());
  const background = r.u8() !== 0;
  const action = (r.hasMore() ? r.u8() : CacheAction.Warmup) as CacheAction;
  const stat = { FileCount: 0, SliceCount: 0, TotalBytes: 0, MissBytes: 0, Locations: {} as Record<string, number> };
  const check = c.store.checkCache?.bind(c.store);
  if (action === CacheAction.Check && !check) {
    reply(Buffer.from([ERRNO.ENOTSUP])); // a chunk store that cannot tell without fetching
    return;
  }
  const work = async () => {
    for (const p of paths) {
      // As JuiceFS: a path that cannot be resolved (a stale line in a warmup list) is logged
      // and skipped, the rest done; "inode:N" names a node by inode (the Go CLI's form when the
      // mount point is "/").
      let root: bigint;
      try {
        root = await resolveWarmupPath(c.meta, ctx, p);
      } catch (err) {
        log.warn(`${cacheVerb[action]}: skipped ${p}: ${(err as Error).message}`);
        continue;
      }
      const jobs: Array<() => Promise<void>> = [];
      for await (const f of filesUnder(c.meta, ctx, root)) {
        stat.FileCount++;
        for (let indx = 0; indx * CHUNK_SIZE < f.attr.length; indx++) {
          for (const s of await c.meta.readChunk(ctx, f.ino, indx)) {
            if (s.id === 0) continue;
            stat.SliceCount++;
            jobs.push(async () => {
              if (action === CacheAction.Check) {
                const found = await check!(s.id, s.size);
                stat.MissBytes += found.missBytes;
                for (const [where, n] of Object.entries(found.locations)) stat.Locations[where] = (stat.Locations[where] ?? 0) + n;
              } else if (action === CacheAction.Evict) await c.store.evictCache(s.id, s.size);
              else await c.store.fillCache(s.id, s.size);
              stat.TotalBytes += s.size;
            });
          }
        }
      }
      await runPool(jobs, threads);
    }
  };
  if (background) {
    void work().catch(() => undefined);
  } else {
    try {
      await withProgress(reply, interval, () => [stat.FileCount, stat.TotalBytes], work);
    } catch (err) {
      reply(errnoByte(err));
      return;
    }
  }
  reply(dataFrame(stat));
}

const cacheVerb: Record<CacheAction, string> = { [CacheAction.Warmup]: 'warmup', [CacheAction.Evict]: 'evict', [CacheAction.Check]: 'check' };

async function resolveWarmupPath(meta: Meta, ctx: Context, p: string): Promise<bigint> {
  const byInode = /^inode:([0-9]+)$/.exec(p);
  if (!byInode) return resolvePath(meta, ctx, p);
  const ino = BigInt(byInode[1]!);
  await meta.getAttr(ctx, ino); // ENOENT for an inode that is gone
  return ino;
}

async function treeSummary(c: ControlContext, ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const ino = r.u64();
  const depth = Math.min(10, r.u8());
  const topN = Math.min(100, r.u8());
  if (r.hasMore()) r.u8(); // strict: the summary here is always exact
  let counts: [number, number] = [0, 0];
  try {
    const tree = await withProgress(reply, interval, () => counts, () =>
      summaryTree(c.meta, ctx, ino, depth, topN, (files, bytes) => (counts = [files, bytes])),
    );
    reply(dataFrame({ Errno: 0, Tree: tree }));
  } catch (err) {
    reply(errnoByte(err));
  }
}

async function clone(c: ControlContext, ctx: Context, payload: Buffer, reply: Reply, interval: number): Promise<void> {
  const r = new PayloadReader(payload);
  // Two layouts: older JuiceFS CLIs send src, dstParent, name...; newer ones (1.5-dev) put the source's
  // parent after src. The older one is exactly 20 bytes plus the name, whose length is then
  // byte 16 (in the newer one, the top byte of dstParent: 0, never a match).
  const legacy = payload.length === 20 + (payload[16] ?? -1);
  const src = r.u64();
  const srcParent = legacy ? undefined : r.u64();
  const dstParent = r.u64();
  const dstName = Buffer.from(r.bytes(r.u8()));
  const umask = r.u16();
  const preserve = (r.u8() & 1) !== 0;
  if (srcParent !== undefined && isTrash(srcParent)) {
    reply(Buffer.from([ERRNO.EPERM])); // a file in the trash is not cloned (JuiceFS's Meta.Clone)
    return;
  }
  let entries = 0;
  let bytes = 0;
  let status: Buffer = Buffer.from([0]);
  await withProgress(reply, interval, () => [entries, bytes], async () => {
    try {
      await cloneTree(c.meta, ctx, src, dstParent, dstName, { umask, preserve }, (n) => {
        entries++;
        bytes += n;
      });
    } catch (err) {
      status = errnoByte(err);
    }
  });
  reply(status);
}

async function compactPath(c: ControlContext, ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const ino = r.u64();
  const threads = r.hasMore() ? Math.max(1, r.u16()) : 10;
  let total = 0;
  let done = 0;
  let status: Buffer = Buffer.from([0]);
  await withProgress(reply, interval, () => [total, done], async () => {
    try {
      const jobs: Array<() => Promise<void>> = [];
      for await (const f of filesUnder(c.meta, ctx, ino)) {
        for (let indx = 0; indx * CHUNK_SIZE < f.attr.length; indx++) {
          total++;
          jobs.push(async () => {
            await compactChunk(c.meta, c.store, f.ino, indx);
            done++;
          });
        }
      }
      await runPool(jobs, threads);
    } catch (err) {
      status = errnoByte(err);
    }
  });
  reply(status);
}

/** Run jobs with at most `n` in flight; the first failure is thrown after the rest settle. */
export async function runPool(jobs: ReadonlyArray<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * A CPU profile of this mount, written to a private file whose path is the answer (a profile is
 * megabytes: too much to stream back through 4 KiB reads of .control). Root only: it shows
 * everything the mount does.
 */
async function cpuProfile(ctx: Context, r: PayloadReader, reply: Reply, interval: number): Promise<void> {
  const seconds = r.u32();
  if (ctx.uid !== 0) {
    reply(Buffer.from([ERRNO.EPERM]));
    return;
  }
  const started = Date.now();
  // Progress: seconds profiled so far.
  const file = await withProgress(reply, interval, () => [Math.floor((Date.now() - started) / 1000), 0], () => profileThisProcess(seconds * 1000));
  reply(dataFrame({ Path: file }));
}
