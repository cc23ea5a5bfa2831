/**
 * The raw command line, for telling "flag given" from "default applied" (format and config only
 * change settings that were asked for).
 */
let raw: readonly string[] = [];

export function setRawArgs(args: readonly string[]): void {
  raw = args;
}

export function flagGiven(flag: string): boolean {
  return raw.some((x) => x === `--${flag}` || x.startsWith(`--${flag}=`) || x === `--no-${flag}`);
}

/** The raw command line as `run` got it. */
export function rawArgs(): readonly string[] {
  return raw;
}

/**
 * A flag given twice keeps its last value, as in JuiceFS (urfave/cli): `--cache-dir a --cache-dir b`
 * means b. yargs collects repeats into an array instead, which the commands would then read as
 * `a,b`; flags declared as lists (`-o`, `--exclude`) keep every value. `arrays` are the names of
 * the list flags.
 */
export function keepLastOfRepeated(argv: Record<string, unknown>, arrays: readonly string[]): void {
  const lists = new Set(arrays.flatMap((k) => [k, camelCase(k)]));
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || !Array.isArray(value) || lists.has(key) || value.length === 0) continue;
    argv[key] = value[value.length - 1];
  }
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
