import fs from 'node:fs/promises';
import path from 'node:path';
import { fsError, type FsError } from '@juicefs/core';

/** Decode the octal escapes (\040 for space…) /proc/self/mountinfo uses in paths. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points currently in this mount namespace, from /proc/self/mountinfo. */
export async function listMountPoints(): Promise<{ mountpoint: string; fstype: string; source: string }[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const out: { mountpoint: string; fstype: string; source: string }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": field 5 is the mount
    // point; after the " - " separator come the fs type and the source.
    const [left, right] = line.split(' - ');
    const fields = (left ?? '').split(' ');
    const tail = (right ?? '').split(' ');
    const mp = fields[4];
    if (mp !== undefined) out.push({ mountpoint: unescapeMountPath(mp), fstype: tail[0] ?? '', source: unescapeMountPath(tail[1] ?? '') });
  }
  return out;
}

/** The topmost mount at `dir` (the last one /proc/self/mountinfo lists there), if any. */
export async function topMountAt(dir: string): Promise<{ mountpoint: string; fstype: string; source: string } | undefined> {
  const abs = path.resolve(dir);
  return (await listMountPoints()).filter((m) => m.mountpoint === abs).at(-1);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountCount(dir)) > 0;
}

/** How many mounts are stacked at `dir` (0: none): a mount on top of another one adds one. */
export async function mountCount(dir: string): Promise<number> {
  const abs = path.resolve(dir);
  return (await listMountPoints()).filter((m) => m.mountpoint === abs).length;
}

/**
 * Check a mount point before mounting and return its absolute path. Fails with an FsError that
 * names the path and the fix: missing (ENOENT), not a directory (ENOTDIR), already a mount
 * point (EBUSY, unless `overMount`: mounting on top of it is then the point), or a dead FUSE
 * mount left behind (ENOTCONN shows up as EBUSY too).
 */
export async function checkMountPoint(dir: string, options: { overMount?: boolean } = {}): Promise<string> {
  const abs = path.resolve(dir);
  if (options.overMount !== true && (await isMountPoint(abs))) {
    return Promise.reject(
      fsError('EBUSY', `mount point ${abs} is already a mount point; unmount it first (umount ${abs}, or umount -l ${abs} if it is stuck)`),
    );
  }
  let st;
  try {
    st = await fs.stat(abs);
  } catch (e) {
    const code = (e as { code?: string }).code;
    let err: FsError;
    if (code === 'ENOENT') err = fsError('ENOENT', `mount point ${abs} does not exist; create it with mkdir -p ${abs}`, e);
    else if (code === 'ENOTDIR') err = fsError('ENOTDIR', `mount point ${abs} has a parent that is not a directory; choose a directory path`, e);
    else if (code === 'EACCES') err = fsError('EACCES', `mount point ${abs} cannot be reached: permission denied on a parent directory`, e);
    else err = fsError('EIO', `mount point ${abs} cannot be checked (${code ?? String(e)}); if it is a dead FUSE mount, run umount -l ${abs}`, e);
    throw err;
  }
  if (!st.isDirectory()) throw fsError('ENOTDIR', `mount point ${abs} is not a directory; mount on a directory (mkdir -p it elsewhere)`);
  return abs;
}

/**
 * The absolute path of `dir` when it is already a mount point: mount() checks this instead of
 * checkMountPoint when it is handed a descriptor that fusermount3 mounted there.
 */
export async function checkMountedAt(dir: string, fd: number): Promise<string> {
  const abs = path.resolve(dir);
  if (!(await isMountPoint(abs))) {
    throw fsError('EINVAL', `a mounted /dev/fuse descriptor (fd ${fd}) was given for ${abs}, but nothing is mounted there; mount it first (spawnThroughFusermount), or leave mountedFd out`);
  }
  return abs;
}
