/** Print a value as indented JSON on stdout (the settings and status views, as JuiceFS prints them). */
export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
}
