/** Print a value as indented JSON on stdout (the settings and status views, as JuiceFS prints them). */
export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
}

/** A boxed text table with a header row, columns left-aligned (as JuiceFS prints its tables). */
export function renderGrid(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)) + 2);
  const line = `+${w.map((x) => '-'.repeat(x)).join('+')}+`;
  const fmt = (r: readonly string[]) => `|${r.map((c, i) => ` ${c.padEnd(w[i]! - 1)}`).join('|')}|`;
  return [line, fmt(headers), line, ...rows.map(fmt), line].join('\n') + '\n';
}
