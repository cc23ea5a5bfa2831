/** What the POSIX suite can be tuned with; every field has a small, fast default. */
export interface PosixSuiteOptions {
  /** Size of the file round-tripped through sha256 (default 16 MiB; the soak run uses 1 GiB). */
  bigFileBytes?: number;
  /** Entries in the directory listed by readdir (default 1000). */
  dirEntries?: number;
  /** Files written at the same time by separate writers (default 16). */
  concurrentWriters?: number;
  /** Per-test timeout in milliseconds (default 60 s; the big-file test scales with its size). */
  timeoutMs?: number;
}

export type ResolvedOptions = Required<PosixSuiteOptions>;

export function resolveOptions(o: PosixSuiteOptions): ResolvedOptions {
  return {
    bigFileBytes: o.bigFileBytes ?? 16 * 1024 * 1024,
    dirEntries: o.dirEntries ?? 1000,
    concurrentWriters: o.concurrentWriters ?? 16,
    timeoutMs: o.timeoutMs ?? 60_000,
  };
}

/** What each group of cases gets: a fresh directory per test and the options. */
export interface SuiteContext {
  /** A fresh empty directory named `name` inside the directory under test. */
  dir(name: string): Promise<string>;
  options: ResolvedOptions;
}
