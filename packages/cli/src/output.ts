/**
 * Print a value as indented JSON on stdout (the settings and status views, as JuiceFS prints them).
 * BigInts are strings, unless `bigintsAsNumbers`: then they are written as JSON numbers with all
 * their digits, as Go writes its uint64 fields (lock owners, offsets to 2^64-1), which a JS number
 * would round.
 */
export function printJson(v: unknown, options: { bigintsAsNumbers?: boolean } = {}): void {
  const mark = '\u0000bigint:';
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${options.bigintsAsNumbers ? mark : ''}${x.toString()}` : x), 2);
  process.stdout.write(`${options.bigintsAsNumbers ? text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1') : text}\n`);
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
