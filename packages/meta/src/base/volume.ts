import {
  CLIENT_VERSION,
  compareVersions,
  decodeFormat,
  encodeFormat,
  fsError,
  MAX_META_VERSION,
  TRASH_INODE,
  type Attr,
  type Format,
} from '@juicefs/core';
import type { MetaState } from './state.js';
import { trashDirAttr } from './trash.js';
import { systemDirAttr } from './new-attr.js';

/** Settings that decide how existing data is laid out: changing them would corrupt the volume. */
const IMMUTABLE_SETTINGS = ['Name', 'BlockSize', 'Compression', 'Shards', 'HashPrefix'] as const;

/** The root directory as `juicefs format` creates it: mode 0777, its own parent. */
export function rootAttr(): Attr {
  return systemDirAttr(0o777, 1n);
}

function normalise(v: unknown): unknown {
  return v === undefined || v === null || v === '' || v === 0 || v === false ? undefined : v;
}

/** Format a new volume, or update an existing one's settings (layout settings need `force`). */
export async function init(m: MetaState, format: Format, force = false): Promise<void> {
  if (!format.Name) throw fsError('EINVAL', 'the volume needs a name');
  await m.store.initSchema();
  const raw = await m.store.getFormat();
  if (raw !== undefined) {
    const old = decodeFormat(raw);
    if (!force) {
      for (const key of IMMUTABLE_SETTINGS) {
        if (normalise(old[key]) !== normalise(format[key])) {
          throw fsError(
            'EINVAL',
            `cannot change ${key} of existing volume "${old.Name}" from ${JSON.stringify(old[key])} to ${JSON.stringify(format[key])}: use --force to overwrite`,
          );
        }
      }
    }
    if (format.TrashDays > 0) {
      await m.store.txn(async (tx) => {
        if (!(await tx.getAttr(TRASH_INODE))) tx.setAttr(TRASH_INODE, trashDirAttr(1n));
      });
    }
    await m.store.setFormat(encodeFormat({ ...old, ...format }));
  } else {
    await m.store.initVolume(rootAttr(), format.TrashDays > 0 ? trashDirAttr(1n) : undefined);
    await m.store.setFormat(encodeFormat(format));
  }
  m.format = { ...format };
}

/** Turn on directory statistics in the stored format (directory quotas are kept with them). */
export async function enableDirStats(m: MetaState): Promise<void> {
  const raw = await m.store.getFormat();
  if (raw === undefined) throw fsError('ENOENT', 'volume is not formatted: run `juicefs format` first');
  const format = decodeFormat(raw);
  if (!format.DirStats) await m.store.setFormat(encodeFormat({ ...format, DirStats: true }));
  m.format = { ...(m.format ?? format), DirStats: true };
}

/** Read the volume's format; refuses unformatted volumes and ones this client is too old for. */
export async function load(m: MetaState, checkVersion = true): Promise<Format> {
  const raw = await m.store.getFormat();
  if (raw === undefined) throw fsError('ENOENT', 'volume is not formatted: run `juicefs format` first');
  let format: Format;
  try {
    format = decodeFormat(raw);
  } catch (err) {
    throw fsError('EIO', `the format record is corrupt: ${(err as Error).message}`, err);
  }
  if (checkVersion) {
    if ((format.MetaVersion ?? 0) > MAX_META_VERSION) {
      throw fsError('EINVAL', `metadata version ${format.MetaVersion} is newer than this client supports (${MAX_META_VERSION}): upgrade the client`);
    }
    if (format.MinClientVersion && compareVersions(CLIENT_VERSION, format.MinClientVersion) < 0) {
      throw fsError('EINVAL', `client version ${CLIENT_VERSION} is older than the volume's minimum ${format.MinClientVersion}: upgrade the client`);
    }
    if (format.MaxClientVersion && compareVersions(CLIENT_VERSION, format.MaxClientVersion) > 0) {
      throw fsError('EINVAL', `client version ${CLIENT_VERSION} is newer than the volume's maximum ${format.MaxClientVersion}`);
    }
  }
  m.format = format;
  return format;
}
