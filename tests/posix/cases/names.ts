import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { errnoOf, openFile, shOk } from '../helpers.js';

// The namespace: directories, rename in its overwrite forms, hard links, symlinks, a large
// directory listing, and the errno of common failures.

export function registerNameCases(ctx: SuiteContext): void {
  const { options } = ctx;

  ctx.test('mkdir -p builds a nested path and is idempotent; rmdir takes it down', async () => {
    const d = await ctx.dir('names-mkdir');
    await fs.mkdir(path.join(d, 'a/b/c'), { recursive: true });
    await shOk('mkdir -p a/b/c/d/e && mkdir -p a/b/c', d);
    const tree = await shOk('find . -type d | sort', d);
    const parentNlink = (await fs.stat(path.join(d, 'a/b'))).nlink;
    for (const p of ['a/b/c/d/e', 'a/b/c/d', 'a/b/c', 'a/b', 'a']) await fs.rmdir(path.join(d, p));
    expect({ tree, parentNlink, after: await fs.readdir(d) }).toEqual({
      tree: '.\n./a\n./a/b\n./a/b/c\n./a/b/c/d\n./a/b/c/d/e\n',
      parentNlink: 3,
      after: [],
    });
  });

  ctx.test('rename over an existing file, over an empty directory, and ENOTEMPTY over a non-empty one', async () => {
    const d = await ctx.dir('names-rename');
    const p = (n: string) => path.join(d, n);
    await fs.writeFile(p('src'), 'new');
    await fs.writeFile(p('dst'), 'old content');
    const srcIno = (await fs.stat(p('src'))).ino;
    await fs.rename(p('src'), p('dst'));
    const dstAfter = await fs.stat(p('dst'));
    await fs.mkdir(p('dirA'));
    await fs.writeFile(p('dirA/inside'), 'x');
    await fs.mkdir(p('emptyB'));
    await fs.rename(p('dirA'), p('emptyB'));
    await fs.mkdir(p('dirC'));
    await fs.mkdir(p('fullD'));
    await fs.writeFile(p('fullD/keep'), 'k');
    expect({
      srcGone: await errnoOf(() => fs.stat(p('src'))),
      dstContent: await fs.readFile(p('dst'), 'utf8'),
      sameInode: dstAfter.ino === srcIno,
      movedDir: await fs.readdir(p('emptyB')),
      dirAGone: await errnoOf(() => fs.stat(p('dirA'))),
      overNonEmpty: await errnoOf(() => fs.rename(p('dirC'), p('fullD'))),
      fileOverDir: await errnoOf(() => fs.rename(p('dst'), p('dirC'))),
      dirOverFile: await errnoOf(() => fs.rename(p('dirC'), p('dst'))),
      intoItself: await errnoOf(() => fs.rename(p('emptyB'), p('emptyB/sub'))),
      missingSource: await errnoOf(() => fs.rename(p('nope'), p('other'))),
      sameName: await errnoOf(() => fs.rename(p('dst'), p('dst'))),
      mvTool: await shOk('mv dst moved && LC_ALL=C ls', d),
    }).toEqual({
      srcGone: 'ENOENT',
      dstContent: 'new',
      sameInode: true,
      movedDir: ['inside'],
      dirAGone: 'ENOENT',
      overNonEmpty: 'ENOTEMPTY',
      fileOverDir: 'EISDIR',
      dirOverFile: 'ENOTDIR',
      intoItself: 'EINVAL',
      missingSource: 'ENOENT',
      sameName: 'OK',
      mvTool: 'dirC\nemptyB\nfullD\nmoved\n',
    });
  });

  ctx.test('hard links share an inode and count nlink; a directory cannot be linked', async () => {
    const d = await ctx.dir('names-link');
    const p = (n: string) => path.join(d, n);
    await fs.writeFile(p('orig'), 'one');
    await fs.link(p('orig'), p('second'));
    await shOk('ln orig third', d);
    const nlink3 = (await fs.stat(p('orig'))).nlink;
    await fs.appendFile(p('third'), '+more');
    const viaSecond = await fs.readFile(p('second'), 'utf8');
    const inos = new Set(await Promise.all(['orig', 'second', 'third'].map(async (n) => (await fs.stat(p(n))).ino)));
    await fs.unlink(p('orig'));
    await fs.mkdir(p('dir'));
    expect({
      nlink3,
      viaSecond,
      distinctInodes: inos.size,
      nlinkAfterUnlink: (await fs.stat(p('second'))).nlink,
      survivor: await fs.readFile(p('third'), 'utf8'),
      linkExisting: await errnoOf(() => fs.link(p('second'), p('third'))),
      linkMissing: await errnoOf(() => fs.link(p('orig'), p('x'))),
      linkDir: await errnoOf(() => fs.link(p('dir'), p('dirlink'))),
      statTool: await shOk('stat -c "%h %s %F" second', d),
    }).toEqual({
      nlink3: 3,
      viaSecond: 'one+more',
      distinctInodes: 1,
      nlinkAfterUnlink: 2,
      survivor: 'one+more',
      linkExisting: 'EEXIST',
      linkMissing: 'ENOENT',
      linkDir: 'EPERM',
      statTool: '2 8 regular file\n',
    });
  });

  ctx.test('symlinks: readlink, lstat, following, dangling links and ln -s', async () => {
    const d = await ctx.dir('names-symlink');
    const p = (n: string) => path.join(d, n);
    await fs.writeFile(p('target'), 'pointed-at');
    await fs.symlink('target', p('rel'));
    await fs.symlink(p('target'), p('abs'));
    await fs.symlink('missing-target', p('dangling'));
    await shOk('ln -s rel chain && mkdir sub && ln -s ../target sub/up', d);
    const lst = await fs.lstat(p('rel'));
    expect({
      readRel: await fs.readlink(p('rel')),
      readAbs: await fs.readlink(p('abs')),
      lstatIsLink: lst.isSymbolicLink(),
      lstatSize: lst.size,
      followed: await fs.readFile(p('chain'), 'utf8'),
      up: await fs.readFile(p('sub/up'), 'utf8'),
      statFollows: (await fs.stat(p('abs'))).isFile(),
      dangling: await errnoOf(() => fs.stat(p('dangling'))),
      danglingLstat: (await fs.lstat(p('dangling'))).isSymbolicLink(),
      readlinkOfFile: await errnoOf(() => fs.readlink(p('target'))),
      symlinkExisting: await errnoOf(() => fs.symlink('x', p('rel'))),
      statTool: await shOk('stat -c "%N" rel', d),
    }).toEqual({
      readRel: 'target',
      readAbs: p('target'),
      lstatIsLink: true,
      lstatSize: 'target'.length,
      followed: 'pointed-at',
      up: 'pointed-at',
      statFollows: true,
      dangling: 'ENOENT',
      danglingLstat: true,
      readlinkOfFile: 'EINVAL',
      symlinkExisting: 'EEXIST',
      statTool: "'rel' -> 'target'\n",
    });
  });

  ctx.test(`readdir of a ${options.dirEntries}-entry directory sees every name once, with types`, async () => {
    const d = await ctx.dir('names-readdir');
    const names = Array.from({ length: options.dirEntries }, (_, i) => `entry-with-a-longer-name-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n, j) => ((i + j) % 10 === 0 ? fs.mkdir(path.join(d, n)) : fs.writeFile(path.join(d, n), ''))));
    }
    const listed = await fs.readdir(d, { withFileTypes: true });
    const dirs = listed.filter((e) => e.isDirectory()).length;
    const lsCount = (await shOk('ls -1a | wc -l', d)).trim();
    for (const n of names.filter((_, i) => i % 2 === 1)) await fs.unlink(path.join(d, n));
    const remaining = (await fs.readdir(d)).sort();
    expect({
      count: listed.length,
      unique: new Set(listed.map((e) => e.name)).size,
      sortedMatch: listed.map((e) => e.name).sort().join('\n') === [...names].sort().join('\n'),
      dirs,
      lsCount,
      remaining: remaining.length,
      remainingMatch: remaining.join('\n') === names.filter((_, i) => i % 2 === 0).sort().join('\n'),
      nlink: (await fs.stat(d)).nlink,
    }).toEqual({
      count: options.dirEntries,
      unique: options.dirEntries,
      sortedMatch: true,
      dirs: Math.ceil(options.dirEntries / 10),
      lsCount: String(options.dirEntries + 2),
      remaining: Math.ceil(options.dirEntries / 2),
      remainingMatch: true,
      nlink: 2 + Math.ceil(options.dirEntries / 10),
    });
  });

  ctx.test('errno of common failures: ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, ENAMETOOLONG', async () => {
    const d = await ctx.dir('names-errno');
    const p = (n: string) => path.join(d, n);
    await fs.writeFile(p('file'), 'f');
    await fs.mkdir(p('dir'));
    await fs.writeFile(p('dir/child'), 'c');
    await fs.mkdir(p('empty'));
    expect({
      statMissing: await errnoOf(() => fs.stat(p('missing'))),
      openMissing: await errnoOf(() => openFile(p('missing'), 'r')),
      createInMissingDir: await errnoOf(() => fs.writeFile(p('missing/x'), '')),
      unlinkMissing: await errnoOf(() => fs.unlink(p('missing'))),
      mkdirExisting: await errnoOf(() => fs.mkdir(p('dir'))),
      mkdirOverFile: await errnoOf(() => fs.mkdir(p('file'))),
      exclusiveCreate: await errnoOf(() => openFile(p('file'), 'wx')),
      throughFile: await errnoOf(() => fs.stat(p('file/x'))),
      mkdirUnderFile: await errnoOf(() => fs.mkdir(p('file/sub'))),
      rmdirFile: await errnoOf(() => fs.rmdir(p('file'))),
      readdirFile: await errnoOf(() => fs.readdir(p('file'))),
      writeDir: await errnoOf(() => openFile(p('dir'), 'w')),
      readDirAsFile: await errnoOf(() => fs.readFile(p('dir'))),
      unlinkDir: await errnoOf(() => fs.unlink(p('dir'))),
      rmdirNonEmpty: await errnoOf(() => fs.rmdir(p('dir'))),
      rmdirEmpty: await errnoOf(() => fs.rmdir(p('empty'))),
      name255: await errnoOf(() => fs.writeFile(p('n'.repeat(255)), '')),
      name256: await errnoOf(() => fs.writeFile(p('n'.repeat(256)), '')),
      mkdir256: await errnoOf(() => fs.mkdir(p('m'.repeat(256)))),
      stat256: await errnoOf(() => fs.stat(p('s'.repeat(256)))),
    }).toEqual({
      statMissing: 'ENOENT',
      openMissing: 'ENOENT',
      createInMissingDir: 'ENOENT',
      unlinkMissing: 'ENOENT',
      mkdirExisting: 'EEXIST',
      mkdirOverFile: 'EEXIST',
      exclusiveCreate: 'EEXIST',
      throughFile: 'ENOTDIR',
      mkdirUnderFile: 'ENOTDIR',
      rmdirFile: 'ENOTDIR',
      readdirFile: 'ENOTDIR',
      writeDir: 'EISDIR',
      readDirAsFile: 'EISDIR',
      unlinkDir: 'EISDIR',
      rmdirNonEmpty: 'ENOTEMPTY',
      rmdirEmpty: 'OK',
      name255: 'OK',
      name256: 'ENAMETOOLONG',
      mkdir256: 'ENAMETOOLONG',
      stat256: 'ENAMETOOLONG',
    });
  });
}
