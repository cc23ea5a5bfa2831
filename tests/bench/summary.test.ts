import { AIM_RATIO, belowAim, median, summarise, tableLines, type Column, type RoundRow } from '../../bench/summary.js';

// The bench's table (bench/summary.ts): medians over rounds, ratios taken round by round against
// the baseline of the same round, and the list of figures below the aim. Pure logic: no mounts.

const COLUMNS: Column[] = [
  { key: 'write', title: 'small write', unit: 'files/s' },
  { key: 'stat', title: 'stat', unit: 'files/s' },
];
const BASE = 'passthrough_ll';

function row(target: string, round: number, write: number, stat: number, threads = 1): RoundRow {
  return { target, threads, round, result: { write, stat }, createMicros: 20 + round };
}

describe('bench summary', () => {
  test('median of odd and even counts, NaN for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test('each ratio is taken against the baseline of its own round, then the median of those', () => {
    // The machine halves its speed in round 2: both targets slow down alike.
    const rows = [row(BASE, 1, 1000, 8000), row('juicefs', 1, 400, 6000), row('juicefs', 2, 200, 3000), row(BASE, 2, 500, 4000), row(BASE, 3, 900, 8000), row('juicefs', 3, 450, 6000)];
    const [base, ours] = summarise(rows, COLUMNS, BASE);
    expect(base?.target).toBe(BASE);
    expect(base?.cells?.['write']).toEqual({ median: 900, min: 500, max: 1000, ratio: 1 });
    // The rounds' own ratios are 0.4, 0.4 and 0.5; the ratio of the medians would be 400/900.
    expect(ours?.cells?.['write']).toEqual({ median: 400, min: 200, max: 450, ratio: 0.4 });
    expect(ours?.cells?.['stat']?.ratio).toBe(0.75);
    expect(ours?.createMicros).toBe(22);
    expect(belowAim([base!, ours!], COLUMNS)).toEqual(['juicefs 1 thread(s): small write 0.40x']);
  });

  test('a target that failed in every round is shown skipped with its reason, and not judged', () => {
    const rows: RoundRow[] = [row(BASE, 1, 1000, 8000), { target: 'bindfs', threads: 1, round: 1, result: 'bindfs is not installed' }];
    const summary = summarise(rows, COLUMNS, BASE);
    expect(summary[1]).toMatchObject({ target: 'bindfs', cells: undefined, skipped: 'bindfs is not installed' });
    expect(belowAim(summary, COLUMNS)).toEqual([]);
    const lines = tableLines(summary, COLUMNS, 1);
    expect(lines[0]).toMatch(/^target +\| threads \| small write \(files\/s\) +\| stat \(files\/s\) +\| create \(µs\)$/);
    expect(lines[1]).toMatch(/^passthrough_ll \| 1 +\| 1000\.0 \(1\.00x\) +\| 8000\.0 \(1\.00x\) +\| 21$/);
    expect(lines[2]).toMatch(/^bindfs +\| 1 +\| skipped: bindfs is not installed$/);
  });

  test('with several rounds a cell shows its spread; without a baseline, no ratio', () => {
    const rows = [row('juicefs', 1, 300, 5000), row('juicefs', 2, 500, 7000), row('juicefs', 3, 400, 9000)];
    const summary = summarise(rows, COLUMNS, BASE);
    expect(summary[0]?.cells?.['write']?.ratio).toBeUndefined();
    expect(tableLines(summary, COLUMNS, 3)[1]).toMatch(/^juicefs \| 1 +\| 400\.0 300\.0-500\.0 +\| 7000\.0 5000\.0-9000\.0 \| 22$/);
    expect(belowAim(summary, COLUMNS)).toEqual([]);
  });

  test('the aim is half of the baseline', () => {
    expect(AIM_RATIO).toBe(0.5);
    const rows = [row(BASE, 1, 1000, 1000, 4), row('juicefs', 1, 500, 499, 4)];
    expect(belowAim(summarise(rows, COLUMNS, BASE), COLUMNS)).toEqual(['juicefs 4 thread(s): stat 0.50x']);
  });
});
