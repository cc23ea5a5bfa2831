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
