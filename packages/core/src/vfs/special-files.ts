import { fsError } from '../errors/fs-error.js';
import type { Attr } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Format } from '../types/format.js';
import type { VfsOptions } from './options.js';

const SECRET_MEMBERS = ['SecretKey', 'SessionToken', 'EncryptKey'] as const;
const NS_PER_SEC = 1e9;

/** The format record with its secrets replaced by "removed", as upstream's RemoveSecret does. */
export function formatWithoutSecrets(format: Format): Format {
  const copy: Format = { ...format };
  for (const key of SECRET_MEMBERS) {
    if (copy[key]) copy[key] = 'removed';
  }
  return copy;
}

/**
 * The `.config` content: the running configuration as indented JSON. Durations are Go
 * `time.Duration` nanoseconds, as the Go client writes them, so tools reading it agree.
 */
export function configJson(format: Format, options: VfsOptions, blockSize: number): Buffer {
  const config = {
    Format: formatWithoutSecrets(format),
    Chunk: { ...options.chunkConfig, BlockSize: blockSize, BufferSize: options.bufferSize, MaxWrite: options.maxWrite },
    Version: options.version,
    AttrTimeout: options.attrCache * NS_PER_SEC,
    DirEntryTimeout: options.dirEntryCache * NS_PER_SEC,
    EntryTimeout: options.entryCache * NS_PER_SEC,
    ReadOnly: options.readOnly,
    HideInternal: options.hideInternal,
    MountPoint: options.mountPoint,
    // As Go's: tools (juicefs debug) find the serving process, its command line and its log.
    Pid: process.pid,
    PPid: process.ppid,
  };
  return Buffer.from(JSON.stringify(config, null, ' '));
}

/** access(2) on a virtual node: plain owner/other permission bits, root passes. */
export function checkInternalAccess(ctx: Context, attr: Attr, mask: number): void {
  if (ctx.uid === 0 || mask === 0) return;
  const bits = ctx.uid === attr.uid ? (attr.mode >> 6) & 7 : ctx.gids.includes(attr.gid) ? (attr.mode >> 3) & 7 : attr.mode & 7;
  if ((bits & mask) !== mask) throw fsError('EACCES', `access mask ${mask} denied on a virtual file (mode ${attr.mode.toString(8)})`);
}
