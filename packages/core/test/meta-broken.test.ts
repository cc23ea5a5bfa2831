// The conformance suite must be able to fail: each variant below breaks one rule of the in-memory
// model, and the cases written to catch that fault must fail on it (while the intact model passes
// every case). A variant no case catches means the suite has a hole.
import { metaConformanceCases, runMetaCase, type MetaCapability, type MetaCase, type MetaFactory } from '../src/conformance/index.js';
import type { Context } from '../src/types/context.js';
import type { Ino } from '../src/types/inode.js';
import type { ReaddirOptions, ReaddirPage, NodeResult } from '../src/meta/meta.js';
import type { Slice } from '../src/types/slice.js';
import type { Attr } from '../src/types/attr.js';
import { MemoryMeta, MemoryVolume } from '../src/testing/index.js';

type Variant = new (volume: MemoryVolume) => MemoryMeta;

const nameKey = (name: Buffer | string) => (typeof name === 'string' ? Buffer.from(name) : name).toString('latin1');

/** rmdir that empties a non-empty directory instead of failing with ENOTEMPTY. */
class RmdirIgnoresChildren extends MemoryMeta {
  override async rmdir(ctx: Context, parent: Ino, name: Buffer | string): Promise<void> {
    const ino = this.volume.dirs.get(parent)?.get(nameKey(name));
    if (ino !== undefined) {
      const entries = this.volume.dirs.get(ino);
      for (const child of entries?.values() ?? []) if (this.volume.dirs.has(child)) this.node(ino).nlink--;
      entries?.clear();
    }
    return super.rmdir(ctx, parent, name);
  }
}

/** create that overwrites an existing entry, so every racer "wins". */
class CreateAlwaysWins extends MemoryMeta {
  override async create(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number, flags: number): Promise<NodeResult> {
    this.volume.dirs.get(parent)?.delete(nameKey(name));
    return super.create(ctx, parent, name, mode, cumask, flags);
  }
}

/** link that adds the entry but does not count the link. */
class LinkForgetsNlink extends MemoryMeta {
  override async link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr> {
    const attr = await super.link(ctx, ino, parent, name);
    this.node(ino).nlink--;
    return { ...attr, nlink: attr.nlink - 1 };
  }
}

/** readdir paging that loses the first entry of every page after the first. */
class ReaddirDropsAtPageBoundary extends MemoryMeta {
  override async readdir(ctx: Context, ino: Ino, options: ReaddirOptions = {}): Promise<ReaddirPage> {
    const page = await super.readdir(ctx, ino, options);
    return options.cursor === undefined ? page : { ...page, entries: page.entries.slice(1) };
  }
}

/** rename that lets a directory move below itself. */
class RenameIntoOwnChild extends MemoryMeta {
  protected override isWithin(): boolean {
    return false;
  }
}

/** unlink that deletes an open file at once instead of keeping it until the last close. */
class UnlinkIgnoresOpens extends MemoryMeta {
  override async unlink(ctx: Context, parent: Ino, name: Buffer | string): Promise<void> {
    this.opens.clear();
    return super.unlink(ctx, parent, name);
  }
}

/** Sticky bit ignored: removal in a sticky directory acts with the directory owner's rights. */
class StickyIgnored extends MemoryMeta {
  override async unlink(ctx: Context, parent: Ino, name: Buffer | string): Promise<void> {
    const dir = this.node(parent);
    return super.unlink(dir.mode & 0o1000 ? { ...ctx, uid: dir.uid } : ctx, parent, name);
  }
}

/** Volume quotas never enforced. */
class QuotaIgnored extends MemoryMeta {
  protected override checkQuota(): void {}
}

/** Trash setting ignored: removed files are always deleted. */
class TrashIgnored extends MemoryMeta {
  protected override goesToTrash(): boolean {
    return false;
  }
}

/** XATTR_CREATE / XATTR_REPLACE ignored. */
class XattrFlagsIgnored extends MemoryMeta {
  override async setXattr(ctx: Context, ino: Ino, name: string, value: Buffer): Promise<void> {
    return super.setXattr(ctx, ino, name, value, 0);
  }
}

/** Compaction that does not check the head it was given is still there. */
class CompactionIgnoresHead extends MemoryMeta {
  override async compactChunk(ino: Ino, indx: number, head: readonly Slice[], replacement: Slice): Promise<void> {
    const current = this.volume.chunks.get(ino)?.get(indx) ?? [];
    return super.compactChunk(ino, indx, current.slice(0, head.length), replacement);
  }
}

/** Stale sessions never cleaned. */
class StaleSessionsKept extends MemoryMeta {
  override async cleanStaleSessions(): Promise<number> {
    return 0;
  }
}

/** A POSIX lock conflicts only within one session (other clients' locks are invisible). */
class PlocksPerClient extends MemoryMeta {
  override async setlk(...args: Parameters<MemoryMeta['setlk']>): Promise<void> {
    const [, ino] = args;
    const all = this.volume.plocks.get(ino) ?? [];
    const foreign = all.filter((h) => h.sid !== this.sid);
    this.volume.plocks.set(ino, all.filter((h) => h.sid === this.sid));
    try {
      await super.setlk(...args);
    } finally {
      this.volume.plocks.set(ino, [...foreign, ...(this.volume.plocks.get(ino) ?? [])]);
    }
  }
}

/** link as an unguarded read-modify-write: concurrent links lose updates of nlink. */
class LinkLosesRaces extends MemoryMeta {
  override async link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr> {
    const seen = this.node(ino).nlink;
    await new Promise((resolve) => setImmediate(resolve)); // another client runs here
    const attr = await super.link(ctx, ino, parent, name);
    this.node(ino).nlink = seen + 1;
    return { ...attr, nlink: seen + 1 };
  }
}

const variants: Array<[Variant, string[]]> = [
  [LinkLosesRaces, ['concurrent hard links of one file from two clients: every link is counted']],
  [RmdirIgnoresChildren, ['rmdir of a non-empty directory is ENOTEMPTY; empty one goes and parent nlink drops', 'a directory with a sub-directory is not empty either']],
  [CreateAlwaysWins, ['racing creates of one name: exactly one wins, the others get EEXIST', 'create: a regular file of length 0, nlink 1; EEXIST on an existing name']],
  [LinkForgetsNlink, ['hard links: nlink counts up and down, the node lives until the last link goes']],
  [ReaddirDropsAtPageBoundary, ['paging a 2,500-entry directory with limit 1000 returns every entry exactly once']],
  [RenameIntoOwnChild, ['moving a directory into itself or its own descendant is EINVAL']],
  [UnlinkIgnoresOpens, ['a file unlinked while open keeps its attributes and data until the last close']],
  [StickyIgnored, ['sticky directory: only the owner of the entry or of the directory (or root) may remove or rename it']],
  [QuotaIgnored, ['Inodes quota: creating past it is ENOSPC; statFS reports it', 'Capacity quota: growing past it is ENOSPC; statFS total is the capacity']],
  [TrashIgnored, ['TrashDays 1: an unlinked file appears as .trash/<hour>/<parent>-<ino>-<name>']],
  [XattrFlagsIgnored, ['XATTR_CREATE fails with EEXIST on an existing name; XATTR_REPLACE with ENODATA on a missing one']],
  [CompactionIgnoresHead, ['compactChunk replaces the head; EAGAIN when the head changed']],
  [StaleSessionsKept, ['stale-session cleanup releases its locks and deletes its sustained files']],
  [PlocksPerClient, ['POSIX locks across two clients, and a blocking setlk waits for the unlock']],
];

function factoryOf(Cls: Variant): MetaFactory {
  return async () => {
    const volume = new MemoryVolume();
    return { meta: new Cls(volume), newClient: async () => new Cls(volume), cleanup: async () => {} };
  };
}

/** Names of the cases that fail on `Cls`. */
async function failingCases(Cls: Variant, cases: MetaCase[]): Promise<string[]> {
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await runMetaCase(c, factoryOf(Cls));
    } catch {
      failed.push(c.name);
    }
  }
  return failed;
}

// What the memory model lacks (meta-conformance.test.ts declares the same): client options
// (configure() is ENOTSUP) and user/group quotas. The cases that need them are not its to pass.
const MEMORY_LACKS: readonly MetaCapability[] = ['clientOptions', 'ownerQuotas'];
const cases = metaConformanceCases().filter((c) => !(c.needs ?? []).some((cap) => MEMORY_LACKS.includes(cap)));

describe('the Meta conformance suite catches broken engines', () => {
  it('every case named below exists', () => {
    const known = new Set(cases.map((c) => c.name));
    for (const [, expected] of variants) for (const name of expected) expect(known.has(name) ? name : `missing case: ${name}`).toBe(name);
  });

  it('the intact model passes every case', async () => {
    expect(await failingCases(MemoryMeta, cases)).toEqual([]);
  });

  for (const [Cls, expected] of variants) {
    it(`${Cls.name} is caught`, async () => {
      const failed = await failingCases(Cls, cases);
      expect(failed).toEqual(expect.arrayContaining(expected));
    });
  }
});
