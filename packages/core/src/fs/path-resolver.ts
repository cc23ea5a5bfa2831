import { fsError } from '../errors/fs-error.js';
import { NodeType, type Attr } from '../types/attr.js';
import type { Context } from '../types/context.js';
import { ROOT_INODE, type Ino } from '../types/inode.js';
import type { Vfs } from '../vfs/vfs.js';

/** Symlinks followed in one resolution before ELOOP, as Linux's MAXSYMLINKS. */
export const MAX_SYMLINKS = 40;

export interface Resolved {
  ino: Ino;
  attr: Attr;
}

export interface ResolvedParent {
  parent: Ino;
  /** Last component; absent for the root itself. */
  name: string | undefined;
  /** The path ended with '/': the node must be a directory. */
  trailingSlash: boolean;
}

/** Components of a path; empty ones and '.' dropped ('..' is kept: it needs the tree). */
export function splitPath(path: string): string[] {
  if (path.length === 0) throw fsError('ENOENT', 'empty path');
  if (path.includes('\0')) throw fsError('EINVAL', 'path contains a NUL byte');
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Walks paths to inodes with VFS lookups, as the kernel's namei does: every directory on the
 * way must allow search (the lookup checks it), '..' goes to the parent (staying at the root),
 * symlinks in the middle are always followed and the last one only when asked, relative link
 * targets resolve from the link's directory, and more than 40 links end in ELOOP.
 */
export class PathResolver {
  constructor(
    private readonly vfs: Vfs,
    private readonly ctx: Context,
  ) {}

  async resolve(path: string, follow = true): Promise<Resolved> {
    const trailingSlash = path.endsWith('/');
    const r = await this.walk([ROOT_INODE], splitPath(path), follow || trailingSlash, { links: 0 });
    if (trailingSlash && r.attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `"${path}" ends with "/" but is not a directory`);
    return r;
  }

  /** The directory that holds the last component of `path`, and that component. */
  async resolveParent(path: string): Promise<ResolvedParent> {
    const parts = splitPath(path);
    const trailingSlash = path.endsWith('/');
    let name = parts.pop();
    if (name === '..') {
      // "a/.." names a directory by its parent's side; there is no entry to create or remove.
      parts.push(name);
      name = undefined;
    }
    const dir = await this.walk([ROOT_INODE], parts, true, { links: 0 });
    if (dir.attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `a component of "${path}" is not a directory`);
    return { parent: dir.ino, name, trailingSlash };
  }

  private async walk(stack: Ino[], parts: string[], followLast: boolean, state: { links: number }): Promise<Resolved> {
    const queue = [...parts];
    let current = stack[stack.length - 1]!;
    let attr = (await this.vfs.getattr(this.ctx, current)).attr;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `"${part}" is looked up in inode ${current}, which is not a directory`);
      if (part === '..') {
        if (stack.length > 1) stack.pop();
        current = stack[stack.length - 1]!;
        attr = (await this.vfs.getattr(this.ctx, current)).attr;
        continue;
      }
      const entry = await this.vfs.lookup(this.ctx, current, part);
      if (entry.attr.type === NodeType.Symlink && (queue.length > 0 || followLast)) {
        if (++state.links > MAX_SYMLINKS) throw fsError('ELOOP', `more than ${MAX_SYMLINKS} symbolic links while resolving "${part}"`);
        const target = (await this.vfs.readlink(this.ctx, entry.ino)).toString();
        if (target.startsWith('/')) stack.splice(1);
        queue.unshift(...splitPath(target));
        current = stack[stack.length - 1]!;
        attr = (await this.vfs.getattr(this.ctx, current)).attr;
        continue;
      }
      stack.push(entry.ino);
      current = entry.ino;
      attr = entry.attr;
    }
    return { ino: current, attr };
  }
}
