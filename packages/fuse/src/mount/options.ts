import type { FuseReader, SessionOptions } from '../server/index.js';

export interface MountOptions extends SessionOptions {
  /** Let users other than the mounter access the mount (default true, as JuiceFS does as root). */
  allowOther?: boolean;
  /**
   * Let the kernel check permissions from the mode bits (as JuiceFS mounts do unless
   * --non-default-permission); default true. Off, the kernel asks ACCESS and the file system
   * decides alone.
   */
  defaultPermissions?: boolean;
  /** Mount read-only. */
  readOnly?: boolean;
  /** The source shown by mount(8) and /proc/mounts (default "juicefs"). */
  fsname?: string;
  /** The type shown as fuse.<subtype> (default "juicefs"). */
  subtype?: string;
  /**
   * Kernel readahead window in KiB, set through sysfs once mounted (default 8 MiB; 0 leaves the
   * kernel's 128 KiB). See readahead.ts.
   */
  readaheadKiB?: number;
  /** Extra -o options passed as is (e.g. "noatime"). */
  extraOptions?: readonly string[];
  /**
   * Unmount on SIGINT/SIGTERM; `closed` then resolves and the process ends once the caller's
   * own shutdown is done. Default false: a library should not take over signals unasked.
   */
  handleSignals?: boolean;
  /**
   * A /dev/fuse descriptor already mounted at the mount point (by fusermount3, through
   * spawnThroughFusermount and takeInheritedFuseFd). mount() then runs no mount(8) and only
   * serves it: the options that shape the mount itself were given to whoever mounted it.
   */
  mountedFd?: number;
  /**
   * An open /dev/fuse descriptor not mounted yet, to mount and serve instead of opening one (a
   * supervisor holds a copy, so that the connection outlives this process and a restarted
   * server can take it over with `mountedFd` and `resume`).
   */
  deviceFd?: number;
  /**
   * Mount even where something is mounted already, on top of it (JuiceFS's mount --force);
   * unmounting this mount uncovers the one below. Default false: an existing mount is EBUSY.
   */
  overMount?: boolean;
  /** How /dev/fuse is read (see openFuseChannel); default `poll`. */
  reader?: FuseReader;
}

/** A value for the -o list, refused if it would split or corrupt it. */
export function checkOptionValue(name: string, value: string): string {
  if (/[,\s]/.test(value)) throw new RangeError(`${name} "${value}" must not contain commas or whitespace`);
  return value;
}

/** The -o list for `mount -t fuse.*`, with the /dev/fuse descriptor number the child sees. */
export function mountOptionString(o: MountOptions, fd: number, uid: number, gid: number): string {
  const opts = [`fd=${fd}`, 'rootmode=40000', `user_id=${uid}`, `group_id=${gid}`];
  if (o.allowOther ?? true) opts.push('allow_other');
  if (o.defaultPermissions ?? true) opts.push('default_permissions');
  opts.push(o.readOnly === true ? 'ro' : 'rw');
  for (const x of o.extraOptions ?? []) opts.push(checkOptionValue('mount option', x));
  return opts.join(',');
}
