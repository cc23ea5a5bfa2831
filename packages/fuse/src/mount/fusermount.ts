import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fsError } from '@juicefs/core';
import { FUSERMOUNT_HELPER_SOURCE } from './fusermount-helper.js';
import { checkOptionValue, type MountOptions } from './options.js';

// Mounting without root: fusermount3 (setuid root) does the mount(2) and passes the /dev/fuse
// descriptor back; a small Python helper (fusermount-helper.ts) receives it and execs the serving
// process with it as fd 3. mount() then serves that descriptor (the `mountedFd` option).

/** The environment variable through which the helper tells the serving process its descriptor. */
export const FUSE_FD_ENV = 'JFS_FUSE_FD';
/** Set to 1 to take the fusermount3 path even as root (tests; setups that want fusermount3). */
export const FORCE_FUSERMOUNT_ENV = 'JFS_FUSERMOUNT';

/** The first executable `name` on PATH that this process may run, or undefined. */
export function findOnPath(name: string, pathVar: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      // access(2) also fails when a parent directory is closed to us (e.g. a pyenv shim under
      // /root seen by another user), which is exactly the case to skip.
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether /etc/fuse.conf lets users other than root ask for allow_other (a `user_allow_other` line). */
export function userAllowOther(confText?: string): boolean {
  let text = confText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/etc/fuse.conf', 'utf8');
    } catch {
      return false;
    }
  }
  return text.split('\n').some((line) => line.replace(/#.*/, '').trim() === 'user_allow_other');
}

/** Whether this process should mount through fusermount3: not root, or asked to by JFS_FUSERMOUNT=1. */
export function wantsFusermount(env: NodeJS.ProcessEnv = process.env): boolean {
  return (process.getuid?.() ?? 0) !== 0 || env[FORCE_FUSERMOUNT_ENV] === '1';
}

/**
 * The -o list for fusermount3. No fd, rootmode, user_id or group_id: fusermount3 sets those
 * itself (from the caller and the mount point; measured: a non-root caller's user_id=0 is
 * replaced by its own uid). allow_other only where fusermount3 accepts it (root, or
 * user_allow_other in /etc/fuse.conf); otherwise it would refuse to mount at all.
 */
export function fusermountOptionString(o: MountOptions, allowOtherPermitted: boolean): string {
  const opts = [`fsname=${checkOptionValue('fsname', o.fsname ?? 'juicefs')}`, `subtype=${checkOptionValue('subtype', o.subtype ?? 'juicefs')}`];
  if ((o.allowOther ?? true) && allowOtherPermitted) opts.push('allow_other');
  if (o.defaultPermissions ?? true) opts.push('default_permissions');
  opts.push(o.readOnly === true ? 'ro' : 'rw');
  for (const x of o.extraOptions ?? []) opts.push(checkOptionValue('mount option', x));
  return opts.join(',');
}

export interface FusermountTools {
  fusermount: string;
  python: string;
}

/**
 * Find fusermount3 and python3 and check that this user may open /dev/fuse (fusermount3 opens
 * it with the caller's permissions). Throws an FsError naming the fix otherwise.
 */
export function findFusermountTools(pathVar: string = process.env.PATH ?? '', devFuse = '/dev/fuse'): FusermountTools {
  const root = (process.getuid?.() ?? 0) === 0;
  const fusermount = findOnPath('fusermount3', pathVar);
  if (fusermount === undefined) {
    throw fsError('EPERM', 'mounting without root needs fusermount3, which is not on PATH: install fuse3 (apt-get install fuse3), or mount as root');
  }
  const python = findOnPath('python3', pathVar);
  if (python === undefined) {
    throw fsError('EPERM', 'mounting without root needs python3 (3.9 or newer) to take the /dev/fuse descriptor from fusermount3, and it is not on PATH: install python3, or mount as root');
  }
  if (!root) {
    try {
      fs.accessSync(devFuse, fs.constants.R_OK | fs.constants.W_OK);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT') throw fsError('ENODEV', `${devFuse} does not exist; load the module (modprobe fuse) or give the container --device /dev/fuse`, e);
      const mode = (fs.statSync(devFuse).mode & 0o777).toString(8);
      throw fsError(
        'EACCES',
        `${devFuse} (mode 0${mode}) is not readable and writable by uid ${process.getuid?.() ?? '?'}, and fusermount3 opens it as the caller: ` +
          `make it crw-rw-rw- (chmod 0666 ${devFuse}, as the fuse3 package's udev rule does), or mount as root`,
        e,
      );
    }
  }
  return { fusermount, python };
}

export interface FusermountLaunch {
  /** The mount point (made absolute here). */
  mountpoint: string;
  /** Options for the -o list (see fusermountOptionString); allowOther is dropped where not permitted. */
  options: MountOptions;
  /** The serving command and its arguments; it finds the mounted descriptor through takeInheritedFuseFd(). */
  command: string;
  args: readonly string[];
  stdio?: StdioOptions;
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
  tools?: FusermountTools;
}

/**
 * Start `command` through the helper: fusermount3 mounts `mountpoint`, and the command runs (in
 * the same process as the helper, by exec) with the descriptor as fd 3. The returned child is
 * that serving process. A failed mount shows up as the child exiting non-zero with
 * fusermount3's message on its stderr.
 */
export function spawnThroughFusermount(l: FusermountLaunch): ChildProcess {
  const tools = l.tools ?? findFusermountTools();
  const root = (process.getuid?.() ?? 0) === 0;
  const opts = fusermountOptionString(l.options, root || userAllowOther());
  const helperArgs = ['-c', FUSERMOUNT_HELPER_SOURCE, tools.fusermount, opts, path.resolve(l.mountpoint), l.command, ...l.args];
  return spawn(tools.python, helperArgs, {
    stdio: l.stdio ?? 'inherit',
    detached: l.detached ?? false,
    env: l.env ?? process.env,
  });
}

/**
 * The descriptor the helper mounted for this process (env JFS_FUSE_FD), or undefined when this
 * process was not started through it. The variable is removed so that processes started from
 * here do not take it for theirs. Throws if the number is not an open /dev/fuse descriptor.
 */
export function takeInheritedFuseFd(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[FUSE_FD_ENV];
  if (raw === undefined) return undefined;
  delete env[FUSE_FD_ENV];
  const fd = Number(raw);
  let st: fs.Stats | undefined;
  try {
    st = Number.isInteger(fd) && fd >= 0 ? fs.fstatSync(fd) : undefined;
  } catch {
    st = undefined;
  }
  // /dev/fuse is the character device 10:229.
  if (st === undefined || !st.isCharacterDevice() || st.rdev !== ((10 << 8) | 229)) {
    throw fsError('EBADF', `${FUSE_FD_ENV}=${raw} is not an open /dev/fuse descriptor; unset it, or start the process through the fusermount3 helper`);
  }
  return fd;
}

/**
 * The command that unmounts `mountpoint`: umount(8) as root (umount -l when lazy), fusermount3 -u
 * otherwise (-z when lazy), since umount(8) refuses users and fusermount3 lets them take down
 * their own FUSE mounts.
 */
export function unmountCommand(mountpoint: string, lazy: boolean): [string, string[]] {
  if ((process.getuid?.() ?? 0) === 0) return ['umount', lazy ? ['-l', mountpoint] : [mountpoint]];
  return [findOnPath('fusermount3') ?? 'fusermount3', lazy ? ['-u', '-z', mountpoint] : ['-u', mountpoint]];
}
