// Reading `--flag value` pairs off a bench's command line (the benches keep to plain argv: no
// parser to install, and every flag is a value or a switch).

export interface Flags {
  /** The value after `flag`, or undefined when the flag is absent. */
  get(flag: string): string | undefined;
  /** A positive number (whole when `whole`), `def` when absent; a clear error otherwise. */
  num(flag: string, def: number, whole?: boolean): number;
  /** Whether the switch `flag` is present. */
  has(flag: string): boolean;
}

export function readFlags(argv: readonly string[]): Flags {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    get,
    num(flag, def, whole = false) {
      const v = get(flag);
      const n = v === undefined ? def : Number(v);
      if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n))) throw new Error(`${flag} needs a positive ${whole ? 'whole ' : ''}number, got ${v}`);
      return n;
    },
    has: (flag) => argv.includes(flag),
  };
}
