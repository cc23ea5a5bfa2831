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

/**
 * A boxed table as JuiceFS's printResult draws it: headers centred, cells right-aligned except
 * column `leftAlign` (-1: none), so numbers line up the way the Go command shows them.
 */
export function renderAligned(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, leftAlign: number): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${w.map((x) => '-'.repeat(x + 2)).join('+')}+`;
  const centre = (s: string, n: number) => {
    const pad = Math.max(0, n - s.length);
    const before = Math.ceil(pad / 2);
    return `${' '.repeat(before)}${s}${' '.repeat(pad - before)}`;
  };
  const head = `| ${headers.map((h, i) => centre(h, w[i]!)).join(' | ')} |`;
  const body = rows.map((r) => `| ${r.map((c, i) => (i === leftAlign ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`);
  return [line, head, line, ...body, line].join('\n') + '\n';
}
