import {
  fsError,
  isTrash,
  NodeType,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  ROOT_INODE,
  W_OK,
  X_OK,
  type Attr,
  type Context,
  type Ino,
  type NodeResult,
  type Timespec,
} from '@juicefs/core';
import { checkName, isDotOrDotDot, isTrashName, show } from './names.js';
import { checkAccess, checkDirWrite, checkMutable, checkSticky } from './permissions.js';
import { quotaForMove, quotaTxn } from './quota.js';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';
import { withTrash } from './trash.js';
import { chargeDir, now, requireAttr, requireDir, setCtime, touchDirUnlessRecent } from './tx-util.js';
import { dropLink } from './unlink-node.js';
import { logChange } from './changelog.js';

function checkArgs(m: MetaState, ctx: Context, ps: Ino, ns: Buffer, pd: Ino, nd: Buffer, flags: number): void {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (flags & RENAME_WHITEOUT) throw fsError('EOPNOTSUPP', 'RENAME_WHITEOUT is not supported (as in JuiceFS)');
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
    throw fsError('EINVAL', `unsupported rename flags ${flags}: only RENAME_NOREPLACE and RENAME_EXCHANGE`);
  }
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) {
    throw fsError('EINVAL', 'RENAME_NOREPLACE and RENAME_EXCHANGE exclude each other');
  }
  checkName(ns);
  checkName(nd);
  if (isDotOrDotDot(ns)) throw fsError('EBUSY', `cannot rename ${show(ns)}`);
  if (isDotOrDotDot(nd)) {
    throw fsError(flags & RENAME_NOREPLACE ? 'EEXIST' : 'EBUSY', `cannot rename onto ${show(nd)}`);
  }
  if (isTrash(pd)) throw fsError('EPERM', 'nothing can be moved into the trash');
  if (isTrash(ps) && ctx.uid !== 0 && ctx.checkPermission !== false) {
    throw fsError('EPERM', 'only root may move entries out of the trash');
  }
  if (isTrashName(ps, ns) || isTrashName(pd, nd)) throw fsError('EPERM', 'the trash root cannot be renamed or replaced');
}

/** True when `dir` is `ancestor` or lies below it. */
async function isWithin(tx: TxStore, dir: Ino, ancestor: Ino): Promise<boolean> {
  let cur = dir;
  for (let depth = 0; depth < 100000; depth++) {
    if (cur === ancestor) return true;
    if (cur === ROOT_INODE || cur === 0n) return false;
    const attr = await tx.getAttr(cur);
    if (!attr) return false;
    cur = attr.parent;
  }
  return false;
}

/** Re-parent a node moved from `from` to `to` (hard-linked nodes keep a parent map instead). */
function moveParent(tx: TxStore, ino: Ino, attr: Attr, from: Ino, to: Ino): void {
  if (from === to) return;
  if (attr.parent > 0n) {
    attr.parent = to;
  } else {
    tx.addParent(ino, from, -1);
    tx.addParent(ino, to, 1);
  }
}

/** A directory that changes parent needs write permission on itself: its ".." entry changes. */
function checkMovable(ctx: Context, node: Attr, ino: Ino, changesParent: boolean): void {
  if (node.type === NodeType.Directory && changesParent) checkAccess(node, ctx, W_OK, `directory ${ino} (its ".." changes)`);
}

export async function rename(
  m: MetaState,
  ctx: Context,
  ps: Ino,
  ns: Buffer,
  pd: Ino,
  nd: Buffer,
  flags = 0,
): Promise<NodeResult> {
  checkArgs(m, ctx, ps, ns, pd, nd, flags);
  return withTrash(m, () =>
    quotaTxn(m, async (tx) => {
      // Checks run in Linux's order (do_renameat2, then vfs_rename): lookups, existence,
      // loops, then the delete/create permissions of each side, then emptiness.
      const psAttr = await requireDir(tx, ps);
      const pdAttr = ps === pd ? psAttr : await requireDir(tx, pd);
      checkAccess(psAttr, ctx, X_OK, `directory ${ps}`);
      checkAccess(pdAttr, ctx, X_OK, `directory ${pd}`);
      const src = await tx.getEntry(ps, ns);
      if (!src) throw fsError('ENOENT', `no entry ${show(ns)} in directory ${ps}`);
      const dst = await tx.getEntry(pd, nd);
      if (dst && flags & RENAME_NOREPLACE) throw fsError('EEXIST', `${show(nd)} already exists in directory ${pd}`);
      if (!dst && flags & RENAME_EXCHANGE) throw fsError('ENOENT', `no entry ${show(nd)} in directory ${pd} to exchange with`);
      // lock_rename's trap: the source may not be an ancestor of the target (EINVAL), nor the
      // target an ancestor of the source (ENOTEMPTY; EINVAL when exchanging).
      if (src.type === NodeType.Directory && ps !== pd && (await isWithin(tx, pd, src.ino))) {
        throw fsError('EINVAL', `cannot move directory ${show(ns)} into its own subtree`);
      }
      if (dst && dst.type === NodeType.Directory && ps !== pd && (await isWithin(tx, ps, dst.ino))) {
        throw fsError(flags & RENAME_EXCHANGE ? 'EINVAL' : 'ENOTEMPTY', `${show(nd)} is an ancestor of ${show(ns)}`);
      }
      const srcAttr = await requireAttr(tx, src.ino, `inode ${src.ino} of ${show(ns)}`);
      if (dst && dst.ino === src.ino) return { ino: src.ino, attr: srcAttr }; // two links of one node: nothing to do
      if (pdAttr.nlink === 0) throw fsError('ENOENT', `directory ${pd} was removed`);
      checkDirWrite(psAttr, ctx, `directory ${ps}`);
      checkSticky(psAttr, srcAttr, ctx, show(ns));
      checkMutable(srcAttr, show(ns));
      if (pd !== ps) checkDirWrite(pdAttr, ctx, `directory ${pd}`);
      const dstAttr = dst ? await tx.getAttr(dst.ino) : undefined;
      if (dst && dstAttr) {
        checkSticky(pdAttr, dstAttr, ctx, show(nd));
        checkMutable(dstAttr, show(nd));
      }
      const t = now();
      // Link counts before the move: a directory moving between them always dates both.
      const links = { ps: psAttr.nlink, pd: pdAttr.nlink };

      if (flags & RENAME_EXCHANGE) {
        if (!dstAttr) throw fsError('ENOENT', `inode ${dst!.ino} of ${show(nd)} does not exist`);
        checkMovable(ctx, srcAttr, src.ino, ps !== pd);
        checkMovable(ctx, dstAttr, dst!.ino, ps !== pd);
        await quotaForMove(m, tx, ps, pd, src.ino, srcAttr);
        await quotaForMove(m, tx, pd, ps, dst!.ino, dstAttr);
        exchange(m, tx, { ps, psAttr, ns, pd, pdAttr, nd }, src.ino, srcAttr, dst!.ino, dstAttr, t);
        touchParents(m, tx, { ps, psAttr, pd, pdAttr }, links, t);
        logChange(m, tx, 'MOVE', [ps, ns, pd, nd, flags], src.ino);
        return { ino: src.ino, attr: srcAttr };
      }
      if (dst) {
        const dstIsDir = dst.type === NodeType.Directory;
        if (src.type === NodeType.Directory && !dstIsDir) throw fsError('ENOTDIR', `${show(nd)} is not a directory`);
        if (src.type !== NodeType.Directory && dstIsDir) throw fsError('EISDIR', `${show(nd)} is a directory`);
      }
      checkMovable(ctx, srcAttr, src.ino, ps !== pd);
      await quotaForMove(m, tx, ps, pd, src.ino, srcAttr);
      if (dst) {
        const dstIsDir = dst.type === NodeType.Directory;
        if (dstIsDir && (await tx.hasEntries(dst.ino))) throw fsError('ENOTEMPTY', `directory ${show(nd)} is not empty`);
        await dropLink(m, tx, pd, nd, dst.ino, dstAttr, t);
        if (dstIsDir && pdAttr.nlink > 2) pdAttr.nlink--;
      }
      tx.deleteEntry(ps, ns);
      tx.setEntry(pd, nd, src.ino, src.type);
      if (ps !== pd) {
        moveParent(tx, src.ino, srcAttr, ps, pd);
        if (src.type === NodeType.Directory) {
          if (psAttr.nlink > 2) psAttr.nlink--; // trash hour directories never counted theirs
          pdAttr.nlink++;
        }
        chargeDir(m, tx, ps, srcAttr, -1);
        chargeDir(m, tx, pd, srcAttr, 1);
      }
      setCtime(srcAttr, t);
      tx.setAttr(src.ino, srcAttr);
      touchParents(m, tx, { ps, psAttr, pd, pdAttr }, links, t);
      logChange(m, tx, 'MOVE', [ps, ns, pd, nd, flags], src.ino);
      return { ino: src.ino, attr: srcAttr };
    }),
  );
}

interface Sides {
  ps: Ino;
  psAttr: Attr;
  ns: Buffer;
  pd: Ino;
  pdAttr: Attr;
  nd: Buffer;
}

/** RENAME_EXCHANGE: swap two entries atomically, fixing parents, link counts and stats. */
function exchange(
  m: MetaState,
  tx: TxStore,
  s: Sides,
  srcIno: Ino,
  srcAttr: Attr,
  dstIno: Ino,
  dstAttr: Attr,
  t: Timespec,
): void {
  tx.setEntry(s.ps, s.ns, dstIno, dstAttr.type);
  tx.setEntry(s.pd, s.nd, srcIno, srcAttr.type);
  if (s.ps !== s.pd) {
    moveParent(tx, srcIno, srcAttr, s.ps, s.pd);
    moveParent(tx, dstIno, dstAttr, s.pd, s.ps);
    const srcDir = srcAttr.type === NodeType.Directory ? 1 : 0;
    const dstDir = dstAttr.type === NodeType.Directory ? 1 : 0;
    s.psAttr.nlink += dstDir - srcDir;
    s.pdAttr.nlink += srcDir - dstDir;
    chargeDir(m, tx, s.ps, srcAttr, -1);
    chargeDir(m, tx, s.pd, srcAttr, 1);
    chargeDir(m, tx, s.pd, dstAttr, -1);
    chargeDir(m, tx, s.ps, dstAttr, 1);
  }
  setCtime(srcAttr, t);
  setCtime(dstAttr, t);
  tx.setAttr(srcIno, srcAttr);
  tx.setAttr(dstIno, dstAttr);
}

/** Both directories of a rename, dated unless --skip-dir-mtime says their last change was just now. */
function touchParents(
  m: MetaState,
  tx: TxStore,
  s: { ps: Ino; psAttr: Attr; pd: Ino; pdAttr: Attr },
  links: { ps: number; pd: number },
  t: Timespec,
): void {
  if (touchDirUnlessRecent(m, s.psAttr, t, s.psAttr.nlink !== links.ps)) tx.setAttr(s.ps, s.psAttr);
  if (s.pd !== s.ps && touchDirUnlessRecent(m, s.pdAttr, t, s.pdAttr.nlink !== links.pd)) tx.setAttr(s.pd, s.pdAttr);
}
