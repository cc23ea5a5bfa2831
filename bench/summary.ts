// The bench's table: every target's figures against passthrough_ll's at the same thread count.
// With several rounds (`--rounds`) a cell shows the median, the median of the ratios taken round
// by round (each against the baseline measured in that same round, so a slow minute of the
// machine counts against both sides alike) and the spread. Pure functions, kept apart from the
// mounts so that they can be tested without any.

/** One target's figures for one round and thread count, by column key. */
export type Figures = Readonly<Record<string, number>>;

export interface Column {
  key: string;
  title: string;
  unit: string;
}

export interface RoundRow {
  target: string;
  threads: number;
  round: number;
  /** The figures, or why the round could not run. */
  result: Figures | string;
  /** µs a create took in the work dir just before the round. */
  createMicros?: number;
}

/** The issue's aim: every figure at least this share of passthrough_ll's. */
export const AIM_RATIO = 0.5;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Cell {
  median: number;
  min: number;
  max: number;
  /** Median of the per-round ratios to the baseline; undefined without a baseline. */
  ratio: number | undefined;
}

export interface SummaryRow {
  target: string;
  threads: number;
  /** By column key; undefined when no round of this row ran. */
  cells: Record<string, Cell> | undefined;
  /** Why the rounds that did not run failed (the first reason). */
  skipped: string | undefined;
  createMicros: number | undefined;
}

/** Rows in the order targets and thread counts first appear, each summarising its rounds. */
export function summarise(rows: readonly RoundRow[], columns: readonly Column[], baseline: string): SummaryRow[] {
  const keys: string[] = [];
  const byKey = new Map<string, RoundRow[]>();
  for (const row of rows) {
    const key = `${row.target}\u0000${row.threads}`;
    if (!byKey.has(key)) {
      keys.push(key);
      byKey.set(key, []);
    }
    byKey.get(key)!.push(row);
  }
  const baseOf = (threads: number, round: number): Figures | undefined => {
    const found = rows.find((r) => r.target === baseline && r.threads === threads && r.round === round);
    return found !== undefined && typeof found.result === 'object' ? found.result : undefined;
  };
  return keys.map((key) => {
    const group = byKey.get(key)!;
    const first = group[0]!;
    const ran = group.filter((r): r is RoundRow & { result: Figures } => typeof r.result === 'object');
    const failed = group.find((r) => typeof r.result === 'string');
    const creates = group.flatMap((r) => (r.createMicros === undefined ? [] : [r.createMicros]));
    let cells: Record<string, Cell> | undefined;
    if (ran.length > 0) {
      cells = {};
      const bases = ran.map((r) => baseOf(r.threads, r.round));
      for (const c of columns) {
        const values = ran.map((r) => r.result[c.key]!);
        const ratios = ran.flatMap((r, i) => {
          const base = bases[i];
          return base === undefined ? [] : [r.result[c.key]! / base[c.key]!];
        });
        cells[c.key] = { median: median(values), min: Math.min(...values), max: Math.max(...values), ratio: ratios.length > 0 ? median(ratios) : undefined };
      }
    }
    return {
      target: first.target,
      threads: first.threads,
      cells,
      skipped: failed === undefined ? undefined : (failed.result as string),
      createMicros: creates.length > 0 ? median(creates) : undefined,
    };
  });
}

/** The table's lines: one header, one line per row; `rounds` > 1 adds each cell's spread. */
export function tableLines(summary: readonly SummaryRow[], columns: readonly Column[], rounds: number): string[] {
  const header = ['target', 'threads', ...columns.map((c) => `${c.title} (${c.unit})`), 'create (µs)'];
  const lines: string[][] = [header];
  for (const row of summary) {
    if (row.cells === undefined) {
      lines.push([row.target, String(row.threads), `skipped: ${row.skipped ?? 'no round ran'}`]);
      continue;
    }
    const cells = row.cells;
    const text = columns.map((c) => {
      const cell = cells[c.key]!;
      const ratio = cell.ratio === undefined ? '' : ` (${cell.ratio.toFixed(2)}x)`;
      const spread = rounds > 1 ? ` ${cell.min.toFixed(1)}-${cell.max.toFixed(1)}` : '';
      return `${cell.median.toFixed(1)}${ratio}${spread}`;
    });
    lines.push([row.target, String(row.threads), ...text, row.createMicros?.toFixed(0) ?? '-']);
  }
  return alignColumns(lines);
}

/**
 * Rows of cells joined by " | ", each column as wide as its widest cell among the rows as long as
 * the first (the header). A shorter row (a skipped target's reason) keeps its last cell unpadded
 * and out of the widths.
 */
export function alignColumns(lines: readonly (readonly string[])[]): string[] {
  const full = lines[0]?.length ?? 0;
  const widths = Array.from({ length: full }, (_, i) => Math.max(...lines.filter((l) => l.length === full).map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (l.length < full && i === l.length - 1 ? c : c.padEnd(widths[i]!))).join(' | ').trimEnd());
}

/** The figures below AIM_RATIO of the baseline, as "target N thread(s): column 0.25x". */
export function belowAim(summary: readonly SummaryRow[], columns: readonly Column[]): string[] {
  const out: string[] = [];
  for (const row of summary) {
    if (row.cells === undefined) continue;
    const low = columns.filter((c) => {
      const r = row.cells![c.key]!.ratio;
      return r !== undefined && r < AIM_RATIO;
    });
    if (low.length > 0) {
      out.push(`${row.target} ${row.threads} thread(s): ${low.map((c) => `${c.title} ${row.cells![c.key]!.ratio!.toFixed(2)}x`).join(', ')}`);
    }
  }
  return out;
}
