import { fsError } from '../errors/fs-error.js';
import { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../vfs/flags.js';

/** Node-style flag strings ('r', 'w+', 'ax'…; the 's' variants equal the plain ones, since every close commits) or numeric open(2) flags. */
export type OpenFlags = number | string;

const TABLE: Record<string, number> = {
  r: O_RDONLY,
  'r+': O_RDWR,
  rs: O_RDONLY,
  'rs+': O_RDWR,
  w: O_WRONLY | O_CREAT | O_TRUNC,
  wx: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  'w+': O_RDWR | O_CREAT | O_TRUNC,
  'wx+': O_RDWR | O_CREAT | O_TRUNC | O_EXCL,
  a: O_WRONLY | O_CREAT | O_APPEND,
  ax: O_WRONLY | O_CREAT | O_APPEND | O_EXCL,
  'a+': O_RDWR | O_CREAT | O_APPEND,
  'ax+': O_RDWR | O_CREAT | O_APPEND | O_EXCL,
  as: O_WRONLY | O_CREAT | O_APPEND,
  'as+': O_RDWR | O_CREAT | O_APPEND,
};

export function parseOpenFlags(flags: OpenFlags): number {
  if (typeof flags === 'number') return flags;
  const n = TABLE[flags.replace('xw', 'wx')];
  if (n === undefined) throw fsError('EINVAL', `unknown open flags "${flags}" (use r, r+, w, wx, w+, a, a+ …)`);
  return n;
}
