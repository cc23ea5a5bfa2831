import {
  align4K,
  AttrFlag,
  CHUNK_SIZE,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_ZERO_RANGE,
  fsError,
  NodeType,
  W_OK,
  type Attr,
  type Context,
  type Ino,
} from '@juicefs/core';
import { checkAccess } from './permissions.js';
import { quotaTxn } from './quota.js';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';
import { chargeParents, chargeVolume, checkQuota, now, requireAttr, setCtime, setMtime } from './tx-util.js';
import { logChange } from './changelog.js';

/** Largest file JuiceFS supports (2^57 bytes; we stay within exact JS integers as well). */
export const MAX_FILE_SIZE = Math.min(2 ** 57, Number.MAX_SAFE_INTEGER);

function checkFile(attr: Attr, ino: Ino): void {
  if (attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
  if (attr.type !== NodeType.File) throw fsError('EINVAL', `inode ${ino} is not a regular file`);
}

/** Append hole records (id 0) covering [from, to) chunk by chunk, as JuiceFS does. */
function writeHoles(tx: TxStore, ino: Ino, from: number, to: number, existing?: ReadonlySet<number>): void {
  let off = from;
  while (off < to) {
    const indx = Math.floor(off / CHUNK_SIZE);
    const pos = off % CHUNK_SIZE;
    const len = Math.min(to - off, CHUNK_SIZE - pos);
    // A whole-chunk hole only matters where the chunk has data (Redis RPUSHX).
    if (off === from || pos !== 0 || len !== CHUNK_SIZE || !existing || existing.has(indx)) {
      tx.appendSlice(ino, indx, { pos, id: 0, size: 0, off: 0, len });
    }
    off += len;
  }
}

/** Change a file's length: charge the space difference and zero the range between old and new. */
async function resize(m: MetaState, tx: TxStore, ino: Ino, attr: Attr, length: number): Promise<void> {
  const old = attr.length;
  const spaceDelta = align4K(length) - align4K(old);
  await checkQuota(m, tx, spaceDelta, 0, { file: ino, attr });
  const lo = Math.min(old, length);
  const hi = Math.max(old, length);
  if (hi > lo) writeHoles(tx, ino, lo, hi, new Set(await tx.listChunks(ino)));
  attr.length = length;
  chargeVolume(tx, spaceDelta, 0, attr);
  await chargeParents(m, tx, ino, attr, length - old, spaceDelta);
}

export async function truncate(
  m: MetaState,
  ctx: Context,
  ino: Ino,
  length: number,
  skipPermCheck: boolean,
): Promise<Attr> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (!Number.isSafeInteger(length) || length < 0) throw fsError('EINVAL', `invalid length ${length}`);
  if (length > MAX_FILE_SIZE) throw fsError('EFBIG', `length ${length} exceeds the largest file size ${MAX_FILE_SIZE}`);
  return quotaTxn(m, async (tx) => {
    const attr = await requireAttr(tx, ino);
    checkFile(attr, ino);
    if (attr.flags & (AttrFlag.Immutable | AttrFlag.Append)) {
      throw fsError('EPERM', `inode ${ino} is immutable or append-only (chattr): cannot truncate`);
    }
    if (!skipPermCheck) checkAccess(attr, ctx, W_OK, `inode ${ino}`);
    if (length !== attr.length) await resize(m, tx, ino, attr, length);
    const t = now();
    setMtime(attr, t);
    setCtime(attr, t);
    tx.setAttr(ino, attr);
    logChange(m, tx, 'TRUNCATE', [ino, length]);
    return attr;
  });
}

const KNOWN_MODES = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;

/**
 * fallocate(2): preallocation (length only: JuiceFS has nothing to reserve), KEEP_SIZE,
 * PUNCH_HOLE (with KEEP_SIZE) and ZERO_RANGE, which write hole records over the range.
 */
export async function fallocate(
  m: MetaState,
  ctx: Context,
  ino: Ino,
  mode: number,
  offset: number,
  size: number,
): Promise<Attr> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size <= 0) {
    throw fsError('EINVAL', `invalid fallocate range: offset ${offset}, size ${size}`);
  }
  if (mode & ~KNOWN_MODES) throw fsError('EOPNOTSUPP', `fallocate mode ${mode} is not supported (collapse/insert range)`);
  if (mode & FALLOC_FL_PUNCH_HOLE && mode & FALLOC_FL_ZERO_RANGE) {
    throw fsError('EOPNOTSUPP', 'PUNCH_HOLE and ZERO_RANGE exclude each other');
  }
  if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) {
    throw fsError('EINVAL', 'PUNCH_HOLE needs KEEP_SIZE (as JuiceFS answers; the kernel checks it first)');
  }
  if (offset + size > MAX_FILE_SIZE) throw fsError('EFBIG', `range end ${offset + size} exceeds the largest file size`);
  return quotaTxn(m, async (tx) => {
    const attr = await requireAttr(tx, ino);
    // vfs_fallocate's order: chattr flags, then the node type, then (here) write permission.
    if (attr.flags & AttrFlag.Immutable) throw fsError('EPERM', `inode ${ino} is immutable (chattr +i)`);
    if (attr.flags & AttrFlag.Append && mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
      throw fsError('EPERM', `inode ${ino} is append-only (chattr +a): cannot punch or zero`);
    }
    if (attr.type === NodeType.FIFO) throw fsError('ESPIPE', `inode ${ino} is a fifo`);
    if (attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
    if (attr.type !== NodeType.File) throw fsError('ENODEV', `inode ${ino} is not a regular file`);
    checkAccess(attr, ctx, W_OK, `inode ${ino}`);
    const old = attr.length;
    const end = offset + size;
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) && offset < old) {
      writeHoles(tx, ino, offset, Math.min(end, old));
    }
    if (end > old && !(mode & FALLOC_FL_KEEP_SIZE)) {
      const spaceDelta = align4K(end) - align4K(old);
      await checkQuota(m, tx, spaceDelta, 0, { file: ino, attr });
      attr.length = end;
      chargeVolume(tx, spaceDelta, 0, attr);
      await chargeParents(m, tx, ino, attr, end - old, spaceDelta);
    }
    const t = now();
    setMtime(attr, t);
    setCtime(attr, t);
    tx.setAttr(ino, attr);
    logChange(m, tx, 'FALLOCATE', [ino, mode, offset, size], attr.length);
    return attr;
  });
}
