import fs from 'node:fs/promises';

/**
 * Kernel readahead of a FUSE mount, in KiB. The kernel starts a FUSE mount at 128 KiB (and INIT
 * can only lower it), so a sequential read reaches us as one 128 KiB request after another and
 * the per-request cost caps throughput. A larger window lets the kernel send 1 MiB requests,
 * several in flight (ASYNC_READ); the window still ramps up from small, so random reads do not
 * pay for it. Measured on the bench machine: 128 KiB ~120 MB/s, 8 MiB ~350 MB/s.
 */
export const DEFAULT_READAHEAD_KIB = 8 * 1024;

/** The backing-device directory in sysfs of the file system whose device number is `dev`. */
export function bdiPath(dev: number): string {
  // Linux new_decode_dev: 12-bit major, 20-bit minor split around it.
  const major = (dev >>> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
  return `/sys/class/bdi/${major}:${minor}`;
}

/**
 * Set the readahead window of the mount at `mountpoint`. Best effort: without a writable sysfs
 * (some containers) the mount works, just with the kernel's default readahead.
 */
export async function setReadahead(mountpoint: string, kib: number, log: (message: string) => void): Promise<void> {
  try {
    const st = await fs.stat(mountpoint);
    await fs.writeFile(`${bdiPath(st.dev)}/read_ahead_kb`, `${Math.max(0, Math.floor(kib))}\n`);
  } catch (e) {
    const denied = (e as { code?: string }).code === 'EACCES' && (process.getuid?.() ?? 0) !== 0;
    // Without root (a fusermount3 mount) this always fails: say so plainly rather than as an error.
    if (denied) log(`fuse: the kernel readahead of ${mountpoint} stays at 128 KiB, since only root may raise it (sysfs read_ahead_kb); sequential reads are slower than in a mount made as root`);
    else log(`fuse: could not set the readahead of ${mountpoint} to ${kib} KiB (${String(e)}); sequential reads will be slower`);
  }
}
