/** What the POSIX suite can be tuned with; every field has a small, fast default. */
export interface PosixSuiteOptions {
  /** Size of the file round-tripped through sha256 (default 16 MiB; the soak run uses 1 GiB). */
  bigFileBytes?: number;
  /** Entries in the directory listed by readdir (default 1000). */
  dirEntries?: number;
  /** Files written at the same time by separate writers (default 16). */
  concurrentWriters?: number;
  /**
   * fsx operations the directory refuses (EOPNOTSUPP, or EINVAL for an O_DIRECT write; default
   * none): a FUSE reference server without fallocate, say. The rest must agree with fsx's model
   * byte for byte.
   */
  fsxUnsupported?: readonly string[];
  /** Operations of each of the two fsx runs (default 1000; JFS_FSX_OPS overrides both). */
  fsxOps?: number;
  /** Per-test timeout in milliseconds (default 60 s; the big-file test scales with its size). */
  timeoutMs?: number;
  /**
   * Cases this directory is known to fail, by test title (the start of it is enough), with the
   * reason. They run as `test.failing` with the reason in their name, so they stay visible and
   * report when they start passing.
   */
  knownFailures?: Readonly<Record<string, string>>;
}

export type ResolvedOptions = Required<Omit<PosixSuiteOptions, 'knownFailures'>>;

/**
 * JFS_POSIX_BIG_FILE sets the big-file size for a soak run without editing tests: a byte count, or
 * `soak` for 1 GiB (e.g. `JFS_POSIX_BIG_FILE=soak npx jest tests/posix/mount-sqlite`).
 */
function bigFileFromEnv(): number | undefined {
  const v = process.env['JFS_POSIX_BIG_FILE'];
  if (v === undefined || v === '') return undefined;
  if (v === 'soak') return 1024 * 1024 * 1024;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`JFS_POSIX_BIG_FILE must be a byte count or "soak", got ${v}`);
  return n;
}

export function resolveOptions(o: PosixSuiteOptions): ResolvedOptions {
  return {
    bigFileBytes: o.bigFileBytes ?? bigFileFromEnv() ?? 16 * 1024 * 1024,
    dirEntries: o.dirEntries ?? 1000,
    concurrentWriters: o.concurrentWriters ?? 16,
    timeoutMs: o.timeoutMs ?? 60_000,
    fsxUnsupported: o.fsxUnsupported ?? [],
    fsxOps: o.fsxOps ?? 1000,
  };
}

/** What each group of cases gets: a fresh directory per test and the options. */
export interface SuiteContext {
  /** A fresh empty directory named `name` inside the directory under test. */
  dir(name: string): Promise<string>;
  /** The directory under test itself. */
  root(): string;
  options: ResolvedOptions;
  /** Register a case (as `test.failing` when listed in knownFailures). */
  test(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
  /** Register a case that cannot run here, with the reason in its name. */
  skip(name: string, fn: () => void): void;
}
