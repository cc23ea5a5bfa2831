import { NodeType, ROOT_INODE, TRASH_INODE, TRASH_NAME, align4K, fsError, isTrash, type Attr, type Context, type Ino, type Meta, type RemoveOptions } from '@juicefs/core';

/** JuiceFS's meta.Summary: bytes of file content, bytes of space (4 KiB units), counts. */
export interface Summary {
  Length: number;
  Size: number;
  Files: number;
  Dirs: number;
}

const PAGE = 1000;

/** Every entry of a directory, page by page. */
export async function* listDir(meta: Meta, ctx: Context, ino: Ino): AsyncGenerator<{ name: Buffer; ino: Ino; type: NodeType; attr?: Attr }> {
  let cursor: string | undefined;
  do {
    const page = await meta.readdir(ctx, ino, { plus: true, limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
    for (const e of page.entries) yield e;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The inode at a volume path ("/a/b"; "" or "/" is the root). */
export async function resolvePath(meta: Meta, ctx: Context, path: string): Promise<Ino> {
  let ino = ROOT_INODE;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    ino = (await meta.lookup(ctx, ino, part)).ino;
  }
  return ino;
}

/**
 * Summary of a node: a file counts itself; a directory counts itself and its entries, down the
 * whole tree when `recursive` (JuiceFS's GetSummary). `onFile` sees each counted file.
 */
export async function summarize(
  meta: Meta,
  ctx: Context,
  ino: Ino,
  recursive: boolean,
  progress: (s: Summary) => void = () => undefined,
): Promise<Summary> {
  const s: Summary = { Length: 0, Size: 0, Files: 0, Dirs: 0 };
  const add = (attr: Attr) => {
    if (attr.type === NodeType.Directory) {
      s.Dirs++;
      s.Size += 4096;
    } else {
      s.Files++;
      s.Size += attr.type === NodeType.File ? align4K(attr.length) : 4096;
      if (attr.type === NodeType.File) s.Length += attr.length;
    }
    progress(s);
  };
  const attr = await meta.getAttr(ctx, ino);
  add(attr);
  if (attr.type !== NodeType.Directory) return s;
  const walk = async (dir: Ino, deep: boolean): Promise<void> => {
    for await (const e of listDir(meta, ctx, dir)) {
      const a = e.attr ?? (await meta.getAttr(ctx, e.ino));
      add(a);
      if (deep && a.type === NodeType.Directory) await walk(e.ino, deep);
    }
  };
  await walk(ino, recursive);
  return s;
}

/** The path of a node that keeps its parent, by following `parent` up to the root (undefined when cut off). */
async function pathUp(meta: Meta, ctx: Context, ino: Ino): Promise<string | undefined> {
  const names: string[] = [];
  let cur = ino;
  for (let depth = 0; depth < 4096 && cur !== ROOT_INODE; depth++) {
    if (cur === TRASH_INODE) {
      names.unshift(TRASH_NAME); // not an entry of the root's listing
      cur = ROOT_INODE;
      break;
    }
    const attr = await meta.getAttr(ctx, cur);
    if (attr.parent === 0n) return undefined;
    const found = await nameIn(meta, ctx, attr.parent, cur);
    if (found === undefined) return undefined;
    names.unshift(found);
    cur = attr.parent;
  }
  return cur === ROOT_INODE ? `/${names.join('/')}` : undefined;
}

/** The first name of `ino` in directory `dir`. */
async function nameIn(meta: Meta, ctx: Context, dir: Ino, ino: Ino): Promise<string | undefined> {
  for await (const e of listDir(meta, ctx, dir)) if (e.ino === ino) return e.name.toString('utf8');
  return undefined;
}

/**
 * The paths of a node (JuiceFS's GetPaths): one for most; every link of a hard-linked file,
 * whose attributes keep no parent, found through the engine's parents index; empty when none
 * can be told.
 */
export async function pathsOf(meta: Meta, ctx: Context, ino: Ino): Promise<string[]> {
  if (ino === ROOT_INODE) return ['/'];
  if (ino === TRASH_INODE) return [`/${TRASH_NAME}`];
  const attr = await meta.getAttr(ctx, ino);
  if (attr.parent !== 0n || attr.type === NodeType.Directory) {
    const p = await pathUp(meta, ctx, ino);
    return p === undefined ? [] : [p];
  }
  if (!meta.getParents) return [];
  const paths: string[] = [];
  for (const parent of (await meta.getParents(ctx, ino)).keys()) {
    const dir = await pathUp(meta, ctx, parent);
    if (dir === undefined) continue;
    for await (const e of listDir(meta, ctx, parent)) {
      if (e.ino === ino) paths.push(`${dir === '/' ? '' : dir}/${e.name.toString('utf8')}`);
    }
  }
  return paths.sort();
}

/** Regular files under (or at) `ino`, with their attributes. */
export async function* filesUnder(meta: Meta, ctx: Context, ino: Ino): AsyncGenerator<{ ino: Ino; attr: Attr }> {
  const attr = await meta.getAttr(ctx, ino);
  if (attr.type === NodeType.File) {
    yield { ino, attr };
    return;
  }
  if (attr.type !== NodeType.Directory) return;
  for await (const e of listDir(meta, ctx, ino)) yield* filesUnder(meta, ctx, e.ino);
}

/**
 * Remove `name` in `parent` with everything below it, counting removed entries. Deletions go
 * through the ordinary unlink/rmdir, so they land in the trash when the volume keeps one.
 */
export async function removeTree(
  meta: Meta,
  ctx: Context,
  parent: Ino,
  name: Buffer | string,
  counted: () => void,
  options: RemoveOptions = {},
): Promise<void> {
  const { ino, attr } = await meta.lookup(ctx, parent, name);
  if (attr.type === NodeType.Directory) {
    for (;;) {
      const page = await meta.readdir(ctx, ino, { limit: PAGE });
      if (page.entries.length === 0) break;
      for (const e of page.entries) await removeTree(meta, ctx, ino, e.name, counted, options);
    }
    await meta.rmdir(ctx, parent, name, options);
  } else {
    await meta.unlink(ctx, parent, name, options);
  }
  counted();
}

/** One node of `juicefs summary`'s tree, as JuiceFS's TreeSummary (JSON field names included). */
export interface TreeSummary {
  Inode: number;
  Path: string;
  Type: number;
  Size: number;
  Files: number;
  Dirs: number;
  Children?: TreeSummary[];
}

/**
 * The summary tree under `ino`: every node's size, files and directories count what is below it;
 * nodes down to `depth` levels list their `topN` biggest children, and the rest of the children as
 * one `...` entry. Paths are JuiceFS's: relative to `ino`, whose own path is "" and type directory
 * even for a file (so its row reads "/"), children "a", "a/b", "a/...".
 */
export async function summaryTree(
  meta: Meta,
  ctx: Context,
  ino: Ino,
  depth: number,
  topN: number,
  progress: (files: number, bytes: number) => void = () => undefined,
): Promise<TreeSummary> {
  let files = 0;
  let bytes = 0;
  const walk = async (node: Ino, path: string, attr: Attr, level: number): Promise<TreeSummary> => {
    const isDir = attr.type === NodeType.Directory;
    const t: TreeSummary = {
      Inode: Number(node),
      Path: path,
      Type: attr.type,
      Size: isDir || attr.type !== NodeType.File ? 4096 : align4K(attr.length),
      Files: isDir ? 0 : 1,
      Dirs: isDir ? 1 : 0,
    };
    files++;
    bytes += t.Size;
    progress(files, bytes);
    if (!isDir) return t;
    const children: TreeSummary[] = [];
    for await (const e of listDir(meta, ctx, node)) {
      const a = e.attr ?? (await meta.getAttr(ctx, e.ino));
      const child = await walk(e.ino, join(path, e.name.toString()), a, level + 1);
      t.Size += child.Size;
      t.Files += child.Files;
      t.Dirs += child.Dirs;
      if (level < depth) children.push(child);
    }
    if (level < depth && children.length > 0) {
      children.sort((x, y) => y.Size - x.Size);
      const shown = children.slice(0, topN);
      const rest = children.slice(topN);
      if (rest.length > 0) {
        shown.push({
          Inode: 0,
          Path: join(path, '...'),
          Type: 0,
          Size: rest.reduce((n, c) => n + c.Size, 0),
          Files: rest.reduce((n, c) => n + c.Files, 0),
          Dirs: rest.reduce((n, c) => n + c.Dirs, 0),
        });
      }
      t.Children = shown;
    }
    return t;
  };
  const root = await walk(ino, '', await meta.getAttr(ctx, ino), 0);
  return { ...root, Type: NodeType.Directory };
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** How `cloneTree` treats attributes: the caller's (umask applied) or the source's (`--preserve`). */
export interface CloneOptions {
  umask: number;
  preserve: boolean;
}

/**
 * A metadata-only copy of `src` as `dstParent/dstName` (juicefs clone): directories and symlinks
 * made anew, files sharing the source's slices through copyFileRange, so no data is copied. The
 * copy belongs to the caller with the source's mode less the umask, unless `preserve` keeps the
 * source's mode, owner (root only) and times. Extended attributes are copied; each link of a
 * hard-linked file becomes a file of its own.
 */
export async function cloneTree(
  meta: Meta,
  ctx: Context,
  src: Ino,
  dstParent: Ino,
  dstName: Buffer,
  o: CloneOptions,
  counted: (bytes: number) => void,
): Promise<void> {
  // As JuiceFS's Meta.Clone: nothing is cloned from or into the trash.
  if (isTrash(src) || isTrash(dstParent) || (dstParent === ROOT_INODE && dstName.toString() === TRASH_NAME)) {
    throw fsError('EPERM', 'clone: the trash can be neither the source nor the destination of a clone');
  }
  // The copy is made while the source is listed, so a destination inside the source would be
  // cloned into itself again and again, without end (JuiceFS's CLI refuses this too).
  for (let dir = dstParent, depth = 0; dir !== ROOT_INODE && depth < 4096; depth++) {
    if (dir === src) throw fsError('EINVAL', 'clone: the destination is inside the source: choose a destination outside the tree being cloned');
    const parent = (await meta.getAttr(ctx, dir)).parent;
    if (parent === 0n) break;
    dir = parent;
  }
  if (src === ROOT_INODE) throw fsError('EINVAL', 'clone: the destination is inside the source: choose a destination outside the tree being cloned');
  const copy = async (from: Ino, parent: Ino, name: Buffer): Promise<void> => {
    const attr = await meta.getAttr(ctx, from);
    const mode = attr.mode & 0o7777;
    let made: Ino;
    if (attr.type === NodeType.Directory) {
      made = (await meta.mkdir(ctx, parent, name, mode, o.preserve ? 0 : o.umask)).ino;
      for await (const e of listDir(meta, ctx, from)) await copy(e.ino, made, e.name);
    } else if (attr.type === NodeType.File) {
      made = (await meta.create(ctx, parent, name, mode, o.preserve ? 0 : o.umask, 0)).ino;
      try {
        if (attr.length > 0) await meta.copyFileRange(ctx, from, 0, made, 0, attr.length, 0);
      } finally {
        await meta.close(ctx, made);
      }
    } else if (attr.type === NodeType.Symlink) {
      made = (await meta.symlink(ctx, parent, name, await meta.readlink(ctx, from))).ino;
    } else {
      made = (await meta.mknod(ctx, parent, name, attr.type, mode, o.preserve ? 0 : o.umask, attr.rdev)).ino;
    }
    for (const x of await meta.listXattr(ctx, from)) {
      if (x.startsWith('system.posix_acl')) continue; // ACLs go with the mode here
      await meta.setXattr(ctx, made, x, await meta.getXattr(ctx, from, x), 0);
    }
    if (o.preserve && attr.type !== NodeType.Symlink) {
      const owner = ctx.uid === 0 ? { uid: attr.uid, gid: attr.gid } : {};
      await meta.setAttr(ctx, made, {
        mode,
        ...owner,
        atime: { sec: attr.atime, nsec: attr.atimensec },
        mtime: { sec: attr.mtime, nsec: attr.mtimensec },
      });
    }
    counted(attr.type === NodeType.File ? attr.length : 0);
  };
  await copy(src, dstParent, dstName);
}
