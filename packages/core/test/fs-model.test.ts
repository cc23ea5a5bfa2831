// The path API against the reference every POSIX file system is measured by: a plain local
// directory. Random operation sequences run on both; results and error codes must agree.
import { mkdtemp, rm } from 'node:fs/promises';
import * as nodefs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { JuiceFS } from '../src/index.js';
import { newHarness } from './vfs-harness.js';

const PATHS = ['/a', '/b', '/d', '/d/a', '/d/b', '/d/e', '/d/e/f', '/x/y'];
// ('..' above the root differs: the local directory is not a real root.)
const TARGETS = ['a', 'd', 'd/a', 'd/../a', 'missing', '/nowhere'];

type Op =
  | { op: 'writeFile' | 'appendFile'; p: string; data: string }
  | { op: 'readFile' | 'mkdir' | 'rmdir' | 'unlink' | 'stat' | 'lstat' | 'readdir' | 'readlink'; p: string }
  | { op: 'rename'; p: string; q: string }
  | { op: 'truncate'; p: string; n: number }
  | { op: 'symlink'; target: string; p: string }
  | { op: 'link' | 'copyFile'; p: string; q: string }
  | { op: 'chmod'; p: string; mode: number }
  | { op: 'mkdirp' | 'rmrf' | 'realpath'; p: string };

const path = fc.constantFrom(...PATHS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('writeFile' as const, 'appendFile' as const), p: path, data: fc.string({ maxLength: 20 }) }),
  fc.record({ op: fc.constantFrom('readFile' as const, 'mkdir' as const, 'rmdir' as const, 'unlink' as const, 'stat' as const, 'lstat' as const, 'readdir' as const, 'readlink' as const), p: path }),
  fc.record({ op: fc.constant('rename' as const), p: path, q: path }),
  fc.record({ op: fc.constant('truncate' as const), p: path, n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('symlink' as const), target: fc.constantFrom(...TARGETS), p: path }),
  fc.record({ op: fc.constantFrom('link' as const, 'copyFile' as const), p: path, q: path }),
  fc.record({ op: fc.constant('chmod' as const), p: path, mode: fc.constantFrom(0o600, 0o755, 0o4711, 0o1777) }),
  fc.record({ op: fc.constantFrom('mkdirp' as const, 'rmrf' as const, 'realpath' as const), p: path }),
);

interface StatLike {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function describeStat(s: StatLike & { mode: number; nlink: number }): string {
  const kind = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  // A link's size is its target's length, which differs for absolute targets; a directory's
  // size and link count are file-system specific.
  if (kind === 'file') return `${kind}:${s.size}:${(s.mode & 0o7777).toString(8)}:${s.nlink}`;
  return kind === 'dir' ? `${kind}:${(s.mode & 0o7777).toString(8)}` : kind;
}

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    const r = await fn();
    if (Buffer.isBuffer(r)) return `ok:${r.toString()}`;
    return `ok:${JSON.stringify(r ?? null)}`;
  } catch (err) {
    return `err:${(err as { code?: string }).code ?? String(err)}`;
  }
}

async function onLocal(root: string, o: Op): Promise<string> {
  const at = (p: string) => join(root, p);
  switch (o.op) {
    case 'writeFile': return outcome(() => nodefs.writeFile(at(o.p), o.data));
    case 'appendFile': return outcome(() => nodefs.appendFile(at(o.p), o.data));
    case 'readFile': return outcome(() => nodefs.readFile(at(o.p)));
    case 'mkdir': return outcome(() => nodefs.mkdir(at(o.p)));
    case 'rmdir': return outcome(() => nodefs.rmdir(at(o.p)));
    case 'unlink': return outcome(() => nodefs.unlink(at(o.p)));
    case 'stat': return outcome(async () => describeStat(await nodefs.stat(at(o.p))));
    case 'lstat': return outcome(async () => describeStat(await nodefs.lstat(at(o.p))));
    case 'readdir': return outcome(async () => (await nodefs.readdir(at(o.p))).sort());
    case 'readlink': return outcome(() => nodefs.readlink(at(o.p)));
    case 'rename': return outcome(() => nodefs.rename(at(o.p), at(o.q)));
    case 'truncate': return outcome(() => nodefs.truncate(at(o.p), o.n));
    case 'symlink': return outcome(() => nodefs.symlink(o.target.startsWith('/') ? join(root, o.target) : o.target, at(o.p)));
    case 'link': return outcome(() => nodefs.link(at(o.p), at(o.q)));
    case 'copyFile': return outcome(() => nodefs.copyFile(at(o.p), at(o.q)));
    case 'chmod': return outcome(() => nodefs.chmod(at(o.p), o.mode));
    case 'mkdirp': return outcome(async () => void (await nodefs.mkdir(at(o.p), { recursive: true })));
    case 'rmrf': return outcome(() => nodefs.rm(at(o.p), { recursive: true, force: true }));
    case 'realpath': return outcome(() => nodefs.realpath(at(o.p)));
  }
}

async function onJfs(fs: JuiceFS, o: Op): Promise<string> {
  switch (o.op) {
    case 'writeFile': return outcome(() => fs.writeFile(o.p, o.data));
    case 'appendFile': return outcome(() => fs.appendFile(o.p, o.data));
    case 'readFile': return outcome(() => fs.readFile(o.p));
    case 'mkdir': return outcome(() => fs.mkdir(o.p));
    case 'rmdir': return outcome(() => fs.rmdir(o.p));
    case 'unlink': return outcome(() => fs.unlink(o.p));
    case 'stat': return outcome(async () => describeStat(await fs.stat(o.p)));
    case 'lstat': return outcome(async () => describeStat(await fs.lstat(o.p)));
    case 'readdir': return outcome(async () => (await fs.readdir(o.p)).filter((n) => o.p !== '/' || !n.startsWith('.')).sort());
    case 'readlink': return outcome(() => fs.readlink(o.p));
    case 'rename': return outcome(() => fs.rename(o.p, o.q));
    case 'truncate': return outcome(() => fs.truncate(o.p, o.n));
    case 'symlink': return outcome(() => fs.symlink(o.target, o.p));
    case 'link': return outcome(() => fs.link(o.p, o.q));
    case 'copyFile': return outcome(() => fs.copyFile(o.p, o.q));
    case 'chmod': return outcome(() => fs.chmod(o.p, o.mode));
    case 'mkdirp': return outcome(() => fs.mkdir(o.p, { recursive: true }));
    case 'rmrf': return outcome(() => fs.rm(o.p, { recursive: true, force: true }));
    case 'realpath': return outcome(() => fs.realpath(o.p));
  }
}

/** The local side stores absolute link targets under its temporary root: show them as the volume would. */
function normalise(result: string, root: string): string {
  return result.split(root).join('');
}

describe('JuiceFS path API against a local directory', () => {
  it('agrees on results and error codes for random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const root = await mkdtemp(join(tmpdir(), 'jfs-model-'));
        try {
          const h = await newHarness();
          const fs = new JuiceFS(h.vfs, h.ctx);
          for (const [i, o] of ops.entries()) {
            const want = normalise(await onLocal(root, o), root);
            const got = await onJfs(fs, o);
            expect({ step: i, op: o, result: got }).toEqual({ step: i, op: o, result: want });
          }
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 200, seed: 77 },
    );
  });
});
