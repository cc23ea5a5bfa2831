import {
  AttrFlag,
  fsError,
  MAX_TIER_ID,
  NodeType,
  ROOT_INODE,
  W_OK,
  type Attr,
  type Context,
  type Ino,
  type SetAttrRequest,
  type Timespec,
  setidToKill,
  withoutSetid,
} from '@juicefs/core';
import { checkAccess, checksPermission, inGroup, isOwnerOrRoot } from './permissions.js';
import type { MetaState } from './state.js';
import { now, readOnly, requireAttr, setAtime, setCtime, setMtime, spaceOf } from './tx-util.js';
import { noteOwnerChange, quotaTxn } from './quota.js';
import { checkOwnerQuotas } from './owner-quota.js';
import type { TxStore } from './store.js';
import { truncate } from './truncate.js';
import { changeLogEnabled, logChange } from './changelog.js';

export async function getAttr(m: MetaState, ino: Ino): Promise<Attr> {
  const target = ino === 0n ? ROOT_INODE : ino;
  // One primary-key read, outside a transaction where the engine allows it.
  return readOnly(m, (tx) => requireAttr(tx, target));
}

function checkTime(t: Timespec | 'now' | undefined, what: string): void {
  if (t === undefined || t === 'now') return;
  if (!Number.isInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec > 999_999_999) {
    throw fsError('EINVAL', `${what} must be whole seconds plus 0..999999999 nanoseconds`);
  }
}

/** chown: Linux rules (only root changes the owner; the owner may chgrp to a group of theirs). */
function applyOwner(ctx: Context, attr: Attr, set: SetAttrRequest): boolean {
  if (set.uid === undefined && set.gid === undefined) return false;
  const privileged = !checksPermission(ctx) || ctx.uid === 0;
  if (set.uid !== undefined && !privileged && !(ctx.uid === attr.uid && set.uid === attr.uid)) {
    throw fsError('EPERM', `only root may change the owner of a file (uid ${ctx.uid})`);
  }
  if (set.gid !== undefined && !privileged) {
    if (ctx.uid !== attr.uid) throw fsError('EPERM', `uid ${ctx.uid} does not own the file: only its owner or root may chgrp`);
    if (set.gid !== attr.gid && !inGroup(ctx, set.gid)) {
      throw fsError('EPERM', `uid ${ctx.uid} is not a member of group ${set.gid}`);
    }
  }
  if (set.uid !== undefined) attr.uid = set.uid;
  if (set.gid !== undefined) attr.gid = set.gid;
  // Linux clears setuid on chown, and setgid when it means "group-executable" (not locking).
  if (attr.type !== NodeType.Directory) attr.mode = withoutSetid(attr.mode);
  return true;
}

function applyMode(ctx: Context, attr: Attr, mode: number | undefined): boolean {
  if (mode === undefined) return false;
  if (!isOwnerOrRoot(attr, ctx)) throw fsError('EPERM', `uid ${ctx.uid} does not own the file: only its owner or root may chmod`);
  let bits = mode & 0o7777;
  if (checksPermission(ctx) && ctx.uid !== 0 && !inGroup(ctx, attr.gid)) bits &= ~0o2000;
  attr.mode = bits;
  return true;
}

function applyTimes(ctx: Context, attr: Attr, set: SetAttrRequest, t: Timespec): boolean {
  if (set.atime === undefined && set.mtime === undefined) return false;
  const explicit = (set.atime !== undefined && set.atime !== 'now') || (set.mtime !== undefined && set.mtime !== 'now');
  if (!isOwnerOrRoot(attr, ctx)) {
    if (explicit) throw fsError('EPERM', `uid ${ctx.uid} may only set times to now on a file it does not own`);
    checkAccess(attr, ctx, W_OK, 'the file (setting its times to now)');
  }
  if (set.atime !== undefined) setAtime(attr, set.atime === 'now' ? t : set.atime);
  if (set.mtime !== undefined) setMtime(attr, set.mtime === 'now' ? t : set.mtime);
  return true;
}

/**
 * chown moves the node's own space and inode from its old owner/group to the new ones (EDQUOT
 * if the new one is full), as JuiceFS 1.4 does; a directory's contents keep their owners.
 */
function moveOwnerUsage(m: MetaState, tx: TxStore, before: { uid: number; gid: number }, attr: Attr): void {
  if (before.uid === attr.uid && before.gid === attr.gid) return;
  const space = spaceOf(attr);
  checkOwnerQuotas(m, { uid: before.uid === attr.uid ? undefined : attr.uid, gid: before.gid === attr.gid ? undefined : attr.gid }, space, 1);
  noteOwnerChange(tx, before, -space, -1);
  noteOwnerChange(tx, attr, space, 1);
}

/** setattr: size (truncate), owner, mode, times and flags in one call, ctime updated as Linux does. */
/** A storage tier (JuiceFS 1.4) is 0-3 and, as an administrator's setting, changed by root only. */
function checkTier(ctx: Context, ino: Ino, tier: number): void {
  if (!Number.isInteger(tier) || tier < 0 || tier > MAX_TIER_ID) throw fsError('EINVAL', `storage tier ${tier}: a tier is 0 to ${MAX_TIER_ID}`);
  if (checksPermission(ctx) && ctx.uid !== 0) throw fsError('EPERM', `only root may change the storage tier of inode ${ino}`);
}

export async function setAttr(m: MetaState, ctx: Context, ino: Ino, set: SetAttrRequest): Promise<Attr> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  checkTime(set.atime, 'atime');
  checkTime(set.mtime, 'mtime');
  if (set.size !== undefined) await truncate(m, ctx, ino, set.size, false);
  return quotaTxn(m, async (tx) => {
    const attr = await requireAttr(tx, ino);
    const before = { uid: attr.uid, gid: attr.gid };
    const t = now();
    const changesFlags = set.flags !== undefined && set.flags !== attr.flags;
    if (attr.flags & AttrFlag.Immutable && (set.mode !== undefined || set.uid !== undefined || set.gid !== undefined || set.atime !== undefined || set.mtime !== undefined)) {
      throw fsError('EPERM', `inode ${ino} is immutable (chattr +i): clear the flag first`);
    }
    let changed = applyOwner(ctx, attr, set);
    if (changed) moveOwnerUsage(m, tx, before, attr);
    changed = applyMode(ctx, attr, set.mode) || changed;
    changed = applyTimes(ctx, attr, set, t) || changed;
    // A write or truncate by a caller without CAP_FSETID (see SetAttrRequest.killSetid).
    const kill = set.killSetid === true ? setidToKill(attr, ctx.gids) : 0;
    if (kill !== 0) {
      attr.mode &= ~kill;
      changed = true;
    }
    if (changesFlags) {
      if (!isOwnerOrRoot(attr, ctx)) throw fsError('EPERM', `uid ${ctx.uid} may not change the flags of inode ${ino}`);
      attr.flags = set.flags!;
      changed = true;
    }
    if (set.tier !== undefined && set.tier !== attr.tier) {
      checkTier(ctx, ino, set.tier);
      attr.tier = set.tier;
      changed = true;
    }
    if (set.ctime !== undefined) setCtime(attr, set.ctime);
    else if (changed) setCtime(attr, t);
    if (changed || set.ctime !== undefined) {
      tx.setAttr(ino, attr);
      if (changeLogEnabled(m)) {
        logChange(m, tx, 'SETATTR', [
          ino, attr.mode, attr.uid, attr.gid,
          `${attr.atime}.${attr.atimensec}`, `${attr.mtime}.${attr.mtimensec}`, attr.flags, attr.tier ?? 0,
        ]);
      }
    }
    return attr;
  });
}
