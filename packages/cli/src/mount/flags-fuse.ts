import { fsError } from '@juicefs/core';
import type { Options } from 'yargs';
import { log } from '../log.js';
import type { ServeOptions } from './serve.js';

/**
 * JuiceFS mount flags about the FUSE mount itself and the process (cmd/mount_unix.go fuseFlags and
 * mountFlags, cmd/flags.go): what the kernel is told, and what happens at the mount point.
 */
export const FUSE_FLAGS = {
  'max-fuse-io': { type: 'string', default: '1M', describe: 'largest FUSE read/write request, e.g. 128K or 1M (the kernel caps it at 1M); JuiceFS\'s default is 128K' },
  'enable-ioctl': { type: 'boolean', default: false, describe: 'serve ioctl GETFLAGS/SETFLAGS (chattr/lsattr +i, +a); off, they fail (Operation not supported), as on JuiceFS' },
  'enable-selinux': { type: 'boolean', default: false, describe: 'keep security.selinux labels (needs --enable-xattr); off, getting one is ENODATA and setting it EOPNOTSUPP, as on JuiceFS' },
  'force': { type: 'boolean', default: false, describe: 'mount even where something is mounted already (on top of it; unmounting this one uncovers it)' },
  'storage': { type: 'string', describe: 'use this storage type instead of the volume\'s (e.g. s3 for an S3-compatible endpoint of the same bucket)' },
  'umask': { type: 'string', describe: 'umask (octal, e.g. 077) for new files and directories, in place of the creating program\'s own' },
  'consul': { type: 'string', describe: 'not supported: this client does not register with Consul (a warning, not an error)' },
} as const satisfies Record<string, Options>;

/** The parsed flags `fuseTuning` reads. */
export interface FuseFlags {
  'max-fuse-io': string;
  'enable-ioctl': boolean;
  'enable-selinux': boolean;
  'force': boolean;
  'storage'?: string | undefined;
  'umask'?: string | undefined;
  'consul'?: string | undefined;
}

const KiB = 1024;
/** The kernel's FUSE request limit (FUSE_MAX_MAX_PAGES × 4 KiB) and its floor (one page). */
const MAX_FUSE_IO = 1024 * KiB;
const MIN_FUSE_IO = 4 * KiB;

/** A size as JuiceFS's flags write them: bytes, or with K/M (KiB/MiB; an optional i/B is ignored). */
export function parseIoSize(flag: string, text: string): number {
  const m = /^\s*(\d+)\s*([kKmM]?)(?:i?[bB])?\s*$/.exec(text);
  if (!m) throw fsError('EINVAL', `--${flag} ${text}: give a size such as 128K or 1M`);
  const n = Number(m[1]) * (m[2] === '' ? 1 : /[kK]/.test(m[2] ?? '') ? KiB : KiB * KiB);
  if (n < MIN_FUSE_IO || n > MAX_FUSE_IO || n % MIN_FUSE_IO !== 0) {
    throw fsError('EINVAL', `--${flag} ${text}: must be a multiple of 4K from 4K to 1M (the kernel's limits)`);
  }
  return n;
}

/** `--umask` as JuiceFS reads it: octal digits, at most 0777 (a leading 0 is optional). */
export function parseUmask(text: string): number {
  if (!/^\s*[0-7]{1,4}\s*$/.test(text) || parseInt(text, 8) > 0o777) {
    throw fsError('EINVAL', `--umask ${text}: give octal permission bits to clear, such as 022 or 077`);
  }
  return parseInt(text, 8);
}

/** The FUSE and process flags, checked and turned into serve options. */
export function fuseTuning(a: FuseFlags): Partial<ServeOptions> {
  const out: Partial<ServeOptions> = { maxFuseIo: parseIoSize('max-fuse-io', a['max-fuse-io']), enableIoctl: a['enable-ioctl'], enableSelinux: a['enable-selinux'], force: a.force };
  if (a.storage !== undefined && a.storage !== '') {
    if (!/^[a-z0-9]+$/.test(a.storage)) throw fsError('EINVAL', `--storage ${a.storage}: give a storage type such as s3, file, minio or gcs`);
    out.storage = a.storage;
  }
  if (a.umask !== undefined && a.umask !== '') out.umask = parseUmask(a.umask);
  if (a.consul !== undefined && a.consul !== '') log.warn(`warning: --consul ${a.consul}: this client does not register with Consul; scrape its --metrics endpoint instead`);
  return out;
}
