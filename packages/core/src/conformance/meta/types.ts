import type { Meta } from '../../meta/meta.js';

/**
 * Capabilities an engine may lack. Every case that needs one names it; an engine declares what it
 * lacks (`false`) and those cases are registered with `it.skip`, the reason in the test name.
 * Absent means supported.
 */
export interface MetaSupports {
  /** Sessions: list, refresh, close, stale-session cleanup. */
  sessions?: boolean;
  /** BSD flock and POSIX record locks. */
  locks?: boolean;
  /** TrashDays > 0: removed entries go to .trash. */
  trash?: boolean;
  /** Capacity / Inodes volume quotas (ENOSPC). */
  quotas?: boolean;
  /** compactChunk. */
  compaction?: boolean;
  /** Extended attributes. */
  xattrs?: boolean;
  /** A second client of the same volume (newClient) and racing operations. */
  concurrency?: boolean;
  /** configure(): atime modes, skipDirMtime, the open-file cache, fastStatfs. */
  clientOptions?: boolean;
  /** User and group quotas (Meta.ownerQuotas, JuiceFS 1.4): EDQUOT past a uid's/gid's limit. */
  ownerQuotas?: boolean;
  /**
   * An xattr value of exactly 64 KiB. MySQL stores values in a BLOB column (JuiceFS's own table),
   * which holds at most 65535 bytes, so there such a value is E2BIG, as with the Go client.
   */
  xattrValue64KiB?: boolean;
}

export type MetaCapability = keyof MetaSupports;

/** One fresh, isolated, UNFORMATTED volume (the suite formats it) and its first client. */
export interface MetaTestEnv {
  meta: Meta;
  /** Another client of the same volume (not yet loaded nor in a session). */
  newClient(): Promise<Meta>;
  /** Close every client handed out and drop the volume's data (own DB, schema, file...). */
  cleanup(): Promise<void>;
  supports?: MetaSupports;
}

export type MetaFactory = () => Promise<MetaTestEnv>;

/** One conformance case as data, so it can run outside jest registration (e.g. against broken engines). */
export interface MetaCase {
  group: string;
  name: string;
  /** Capabilities this case needs beyond the basics. */
  needs?: readonly MetaCapability[];
  run(env: MetaTestEnv): Promise<void>;
}
