import type { Ino } from './inode.js';

/** Session info JSON as the Go client writes it (member order matters for byte equality). */
export interface SessionInfo {
  Version: string;
  HostName: string;
  IPAddrs?: string[];
  MountPoint: string;
  MountTime: string;
  ProcessID: number;
}

export interface Session {
  sid: number;
  /** Unix seconds after which the session is stale. */
  expire: number;
  info: SessionInfo | undefined;
  /** Files unlinked while open in this session. */
  sustained: Ino[];
  flocks: Array<{ ino: Ino; owner: bigint; type: 'R' | 'W' }>;
  plocks: Array<{ ino: Ino; owner: bigint; records: PosixLockRecord[] }>;
}

/** Lock type numbers as Linux defines F_RDLCK/F_WRLCK/F_UNLCK (stored as such on disk). */
export const LockType = { Read: 0, Write: 1, Unlock: 2 } as const;
export type LockType = (typeof LockType)[keyof typeof LockType];

/** One POSIX record lock: [start, end] inclusive; end = 2^64-1 means "to EOF". */
export interface PosixLockRecord {
  type: LockType;
  pid: number;
  start: bigint;
  end: bigint;
}

export interface PosixLockRequest {
  type: LockType;
  start: bigint;
  end: bigint;
  pid: number;
}

export interface StatFS {
  totalSpace: number;
  availSpace: number;
  usedInodes: number;
  availInodes: number;
}

export interface DirStat {
  /** Sum of lengths of direct regular-file children. */
  length: number;
  /** Sum of align4K of direct children. */
  space: number;
  /** Number of direct children. */
  inodes: number;
}
