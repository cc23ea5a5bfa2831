import { ERRNO, fsError, isErrnoCode, type ErrnoCode } from '@juicefs/core';
import { sendControl, type ControlTransport } from './client.js';
import { CacheAction, ControlCode, PayloadWriter, type ControlResult } from './protocol.js';
import type { Summary, TreeSummary } from './tree.js';

/** The client side of the `.control` requests the CLI makes, as the Go CLI encodes them. */

type Progress = (count: number, bytes: number) => void;

function errnoName(n: number): ErrnoCode | undefined {
  if (n === ERRNO.ENOTSUP) return 'ENOTSUP'; // shares its number with EOPNOTSUPP; the commoner name
  for (const [name, value] of Object.entries(ERRNO)) if ((value & 0xff) === n && isErrnoCode(name)) return name;
  return undefined;
}

/** Throw an FsError for a non-zero errno answer, naming what failed. */
function check(result: ControlResult, what: string): unknown {
  if ('data' in result) return result.data;
  if (result.errno === 0) return undefined;
  const code = errnoName(result.errno) ?? 'EIO';
  const hint =
    code === 'ENOSYS' ? ': the mount has no .control handler for this request (is it an older client?)'
    : code === 'ENOTSUP' ? ': this client does not support that option yet'
    : '';
  throw fsError(code, `${what}: ${code}${hint}`);
}

export async function rmrRequest(t: ControlTransport, parent: bigint, name: Buffer, skipTrash: boolean, threads: number, progress?: Progress): Promise<void> {
  if (name.length > 255) throw fsError('ENAMETOOLONG', `name too long: ${name.toString()}`);
  const p = new PayloadWriter().u64(parent).u8(name.length).bytes(name).u8(skipTrash ? 1 : 0).u8(Math.min(255, threads)).build();
  check(await sendControl(t, ControlCode.Rmr, p, progress), `remove ${name.toString()}`);
}

/** Compact every chunk of the files under `ino`; progress reports (chunks found, chunks done). */
export async function compactRequest(t: ControlTransport, ino: bigint, threads: number, progress?: Progress): Promise<void> {
  const p = new PayloadWriter().u64(ino).u16(Math.max(1, Math.min(65535, threads))).build();
  check(await sendControl(t, ControlCode.CompactPath, p, progress), `compact inode ${ino}`);
}

/** The summary tree of `ino` (see TreeSummary); progress reports (nodes seen, bytes). */
export async function summaryRequest(t: ControlTransport, ino: bigint, depth: number, topN: number, progress?: Progress): Promise<TreeSummary> {
  const p = new PayloadWriter().u64(ino).u8(Math.max(0, Math.min(10, depth))).u8(Math.max(0, Math.min(100, topN))).u8(1).build();
  const data = check(await sendControl(t, ControlCode.OpSummary, p, progress), `summary of inode ${ino}`) as { Errno?: number; Tree?: TreeSummary } | undefined;
  if (!data?.Tree) throw fsError('EIO', 'summary: the mount answered without a tree');
  return data.Tree;
}

/**
 * Clone `src` (in `srcParent`) as `dstParent/dstName` (metadata only); progress reports (entries,
 * bytes). The newer JuiceFS layout (1.5-dev), with the source's parent, which those mounts expect.
 */
export async function cloneRequest(
  t: ControlTransport,
  src: bigint,
  srcParent: bigint,
  dstParent: bigint,
  dstName: Buffer,
  o: { umask: number; preserve: boolean },
  progress?: Progress,
): Promise<void> {
  if (dstName.length > 255) throw fsError('ENAMETOOLONG', `name too long: ${dstName.toString()}`);
  const p = new PayloadWriter().u64(src).u64(srcParent).u64(dstParent).u8(dstName.length).bytes(dstName).u16(o.umask & 0o7777).u8(o.preserve ? 1 : 0).build();
  check(await sendControl(t, ControlCode.Clone, p, progress), `clone to ${dstName.toString()}`);
}

export interface InfoResponse {
  Ino: number;
  Failed: boolean;
  Reason: string;
  Summary: Summary;
  Paths?: string[] | null;
  Chunks?: Array<{ ChunkIndex: number; Pos: number; Id: number; Size: number; Off: number; Len: number }> | null;
  Objects?: Array<{ ChunkIndex: number; Key: string; Size: number; Off: number; Len: number }> | null;
  /** The file's storage tier and its class ("default" for tier 0); absent from older mounts. */
  TierID?: number;
  TierStr?: string;
}

export async function infoRequest(t: ControlTransport, ino: bigint, o: { recursive: boolean; raw: boolean; strict: boolean }, progress?: Progress): Promise<InfoResponse> {
  const p = new PayloadWriter().u64(ino).u8(o.recursive ? 1 : 0).u8(o.raw ? 1 : 0).u8(o.strict ? 1 : 0).build();
  const data = check(await sendControl(t, ControlCode.InfoV2, p, progress), `info of inode ${ino}`);
  if (data === undefined) throw fsError('EIO', `info of inode ${ino}: the mount sent no data`);
  return data as InfoResponse;
}

export interface CacheResponse {
  FileCount: number;
  SliceCount: number;
  TotalBytes: number;
  MissBytes: number;
  Locations?: Record<string, number> | null;
}

export async function fillCacheRequest(
  t: ControlTransport,
  paths: readonly string[],
  o: { threads: number; background: boolean; action: CacheAction },
  progress?: Progress,
): Promise<CacheResponse> {
  const list = Buffer.from(paths.join('\n'));
  const p = new PayloadWriter().u32(list.length).bytes(list).u16(Math.min(65535, o.threads)).u8(o.background ? 1 : 0).u8(o.action).build();
  const data = check(await sendControl(t, ControlCode.FillCache, p, progress), 'warmup');
  return (data ?? { FileCount: 0, SliceCount: 0, TotalBytes: 0, MissBytes: 0 }) as CacheResponse;
}
