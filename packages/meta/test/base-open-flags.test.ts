import { AttrFlag, ROOT_INODE } from '@juicefs/core';
import { codeOf, memoryVolume, ROOT } from './base-helpers.js';

// open(2) on chattr'ed files, as Linux and JuiceFS base.go Open: an immutable file is never opened
// for writing (not even by root), an append-only one only with O_APPEND and without O_TRUNC.

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

async function fileWithFlags(flags: number) {
  const { meta } = await memoryVolume();
  const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
  await meta.close(ROOT, f.ino);
  await meta.setAttr(ROOT, f.ino, { flags });
  return { meta, ino: f.ino };
}

describe('BaseMeta open: chattr flags', () => {
  it('an immutable file opens read-only only, even for root', async () => {
    const { meta, ino } = await fileWithFlags(AttrFlag.Immutable);
    for (const flags of [O_WRONLY, O_RDWR, O_WRONLY | O_APPEND, O_RDONLY | O_TRUNC]) {
      expect([flags, await codeOf(meta.open(ROOT, ino, flags))]).toEqual([flags, 'EPERM']);
    }
    expect((await meta.open(ROOT, ino, O_RDONLY)).flags).toBe(AttrFlag.Immutable);
  });

  it('an append-only file opens for writing only with O_APPEND and without O_TRUNC', async () => {
    const { meta, ino } = await fileWithFlags(AttrFlag.Append);
    for (const flags of [O_WRONLY, O_RDWR, O_WRONLY | O_APPEND | O_TRUNC, O_RDONLY | O_TRUNC]) {
      expect([flags, await codeOf(meta.open(ROOT, ino, flags))]).toEqual([flags, 'EPERM']);
    }
    expect((await meta.open(ROOT, ino, O_WRONLY | O_APPEND)).flags).toBe(AttrFlag.Append);
    expect((await meta.open(ROOT, ino, O_RDWR | O_APPEND)).flags).toBe(AttrFlag.Append);
    expect((await meta.open(ROOT, ino, O_RDONLY)).flags).toBe(AttrFlag.Append);
  });
});
