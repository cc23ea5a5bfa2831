import fs from 'node:fs';
import path from 'node:path';
import { fsError } from '@juicefs/core';
import { FuseSession, MAX_MAX_WRITE, openFuseChannel, type FuseHandler } from '../server/index.js';
import { unmountCommand } from './fusermount.js';
import { checkMountedAt, checkMountPoint, isMountPoint, mountCount } from './mountpoint.js';
import { mountOptionString, type MountOptions } from './options.js';
import { DEFAULT_READAHEAD_KIB, setReadahead } from './readahead.js';
import { runCommand } from './run.js';

/** The descriptor number /dev/fuse has in the mount(8) child (its stdio slot 3). */
const CHILD_FD = 3;

export interface UnmountOptions {
  /** Detach now even if busy (umount -l); the kernel finishes when the last user goes. */
  lazy?: boolean;
}

/** A live mount: the session serving it and the way to take it down. */
export class FuseMount {
  /** Resolves with the reason once the mount is gone and the device closed. */
  readonly closed: Promise<string>;
  private signalCleanup: (() => void) | undefined;

  constructor(
    readonly mountpoint: string,
    readonly session: FuseSession,
  ) {
    this.closed = session.ended.then(async (reason) => {
      this.signalCleanup?.();
      await session.close();
      return reason;
    });
  }

  /**
   * Run umount(8) (umount -l with `lazy`; without root, fusermount3 -u [-z]) and return once the
   * mount point is detached; the session ends later, when the kernel lets go (at once, or after
   * the last open file of a lazily detached mount closes). A busy mount fails with EBUSY naming
   * the fix.
   */
  async detach(options: UnmountOptions = {}): Promise<void> {
    if (!(await isMountPoint(this.mountpoint))) return;
    const [cmd, args] = unmountCommand(this.mountpoint, options.lazy === true);
    const r = await runCommand(cmd, args);
    if (r.code !== 0 && (await isMountPoint(this.mountpoint))) {
      const busy = /busy/i.test(r.stderr);
      const [lazyCmd, lazyArgs] = unmountCommand(this.mountpoint, true);
      throw fsError(
        busy ? 'EBUSY' : 'EIO',
        `${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}${busy ? `; close files and leave the directory, or unmount lazily (${path.basename(lazyCmd)} ${lazyArgs.join(' ')})` : ''}`,
      );
    }
  }

  /** Detach (see detach) and wait until the session has ended and /dev/fuse is closed. */
  async unmount(options: UnmountOptions = {}): Promise<void> {
    await this.detach(options);
    await this.closed;
  }

  /**
   * On SIGINT/SIGTERM, unmount (lazily if busy). The process is not exited here: whoever awaits
   * `closed` still has work to do (commit buffered writes, close the metadata session), and the
   * process ends by itself once that is done. The handlers are removed when the mount is gone,
   * so a later signal has its default effect.
   */
  handleSignals(): void {
    if (this.signalCleanup !== undefined) return;
    const onSignal = (signal: NodeJS.Signals): void => {
      void this.unmount()
        .catch(() => this.unmount({ lazy: true }))
        .catch((e: unknown) => console.error(`fuse: unmount on ${signal} failed: ${String(e)}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    this.signalCleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
}

function openDevFuse(): number {
  try {
    return fs.openSync('/dev/fuse', 'r+');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw fsError('ENODEV', '/dev/fuse does not exist; load the module (modprobe fuse) or give the container --device /dev/fuse', e);
    if (code === 'EACCES' || code === 'EPERM') throw fsError('EACCES', 'cannot open /dev/fuse: permission denied; mount as root', e);
    throw fsError('EIO', `cannot open /dev/fuse: ${String(e)}`, e);
  }
}

/** Attach the open /dev/fuse descriptor `fd` at `abs` with `mount -i -t fuse.<subtype>` (as root). */
async function attachWithMount8(abs: string, fd: number, session: FuseSession, options: MountOptions): Promise<void> {
  const optString = mountOptionString(options, CHILD_FD, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  const subtype = options.subtype ?? 'juicefs';
  const fsname = options.fsname ?? 'juicefs';
  let result;
  try {
    result = await runCommand('mount', ['-i', '-t', `fuse.${subtype}`, '-o', optString, fsname, abs], ['ignore', 'pipe', 'pipe', fd]);
  } catch (e) {
    await session.close();
    throw fsError('EIO', `cannot run mount(8) to mount ${abs}: ${String(e)}; install util-linux`, e);
  }
  if (result.code !== 0) {
    await session.close();
    throw fsError('EIO', `mount ${abs} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
}

/**
 * Run mount(8) and start serving as soon as the kernel has the mount: not before (a polling
 * reader that reads an unattached descriptor fails with EPERM and ends), and not only after
 * mount(8) exits, in case a mount(8) waits for the file system to answer (e.g. a stat of the
 * mount point) and would otherwise wait for us forever.
 */
async function attachServing(abs: string, fd: number, session: FuseSession, options: MountOptions): Promise<void> {
  let started = false;
  let settled = false;
  const start = (): void => {
    if (!started) {
      started = true;
      session.start();
    }
  };
  // Counted, not just checked: over an existing mount (overMount) the point is a mount point
  // before ours is attached, and reading the device before then would fail.
  const before = await mountCount(abs);
  const watch = (async () => {
    while (!settled && !started) {
      if ((await mountCount(abs)) > before) start();
      else await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    await attachWithMount8(abs, fd, session, options);
    start();
  } finally {
    settled = true;
    await watch;
  }
}

/**
 * Mount `handler` at `mountpoint`. As root: open /dev/fuse, let `mount -i -t fuse.<subtype>`
 * attach it (the descriptor is the child's fd 3), then start serving it. With
 * `mountedFd` (a descriptor fusermount3 already mounted there, see spawnThroughFusermount):
 * serve it, no root needed. Resolves once the kernel has completed INIT, so the mount is usable
 * when this returns.
 */
export async function mount(mountpoint: string, handler: FuseHandler, options: MountOptions = {}): Promise<FuseMount> {
  const mounted = options.mountedFd;
  const abs = mounted === undefined ? await checkMountPoint(mountpoint, { overMount: options.overMount ?? false }) : await checkMountedAt(mountpoint, mounted);
  if (mounted === undefined && (process.getuid?.() ?? 0) !== 0) {
    // Without root only fusermount3 can mount, and it hands the descriptor back over a Unix
    // socket (SCM_RIGHTS), which Node cannot receive: a helper has to start this process with it.
    throw fsError(
      'EPERM',
      `mounting ${abs} needs root, or a descriptor mounted by fusermount3: run as root, or start the serving process ` +
        'through spawnThroughFusermount() and pass takeInheritedFuseFd() as mountedFd (juicefs mount does this by itself when fusermount3 and python3 are installed)',
    );
  }
  const fd = mounted ?? options.deviceFd ?? openDevFuse();
  const maxWrite = Math.min(options.maxWrite ?? MAX_MAX_WRITE, MAX_MAX_WRITE);
  const log = options.log ?? ((m: string) => console.error(m));
  // Room for the largest WRITE plus headers, and for a 64 KiB xattr value with its name.
  const channel = openFuseChannel(fd, Math.max(maxWrite, 128 * 1024) + 8192, log, options.reader);
  const session = new FuseSession(channel, handler, options);
  if (mounted === undefined) await attachServing(abs, fd, session, options);
  else session.start();
  const m = new FuseMount(abs, session);
  const ready = await Promise.race([session.ready.then(() => 'ready'), session.ended]);
  // A resumed connection keeps the readahead and the rest its first server set up.
  if (ready === 'ready' && options.resume !== undefined) {
    if (options.handleSignals === true) m.handleSignals();
    return m;
  }
  if (ready !== 'ready') {
    // Take the failed mount away, so the reader thread sees ENODEV and the device is closed.
    await m.detach({ lazy: true }).catch(() => undefined);
    throw fsError('EIO', `mount ${abs} ended before the kernel completed INIT: ${ready}`);
  }
  const readahead = options.readaheadKiB ?? DEFAULT_READAHEAD_KIB;
  if (readahead > 0) await setReadahead(abs, readahead, log);
  if (options.handleSignals === true) m.handleSignals();
  return m;
}
