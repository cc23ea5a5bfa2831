import { NodeType } from '@juicefs/core';
import type { Argv } from 'yargs';
import { summaryRequest } from '../control/requests.js';
import { openTarget } from '../control/target.js';
import type { TreeSummary } from '../control/tree.js';
import { renderAligned } from '../output.js';
import { progressBar } from '../progress.js';

/** Sizes as JuiceFS's summary prints them (go-humanize IBytes): "512 B", "4.0 KiB", "195 KiB". */
export function iBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** The table rows of a summary tree, depth first, directories with a trailing slash. */
export function summaryRows(tree: TreeSummary, csv: boolean): string[][] {
  const rows: string[][] = [];
  const visit = (t: TreeSummary) => {
    const path = t.Type === NodeType.Directory && !t.Path.endsWith('/') ? `${t.Path}/` : t.Path;
    rows.push([path, csv ? String(t.Size) : iBytes(t.Size), String(t.Dirs), String(t.Files)]);
    for (const c of t.Children ?? []) visit(c);
  };
  visit(tree);
  return rows;
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function summaryCommand(y: Argv): Argv {
  return y.command(
    'summary <PATH>',
    'Show the sizes and counts of a directory tree, biggest entries first (through the mount)',
    (c) =>
      c
        .positional('PATH', { type: 'string', demandOption: true, describe: 'a directory (or file) in a JuiceFS mount' })
        .option('depth', { alias: 'd', type: 'number', default: 2, describe: 'levels of the tree to show (0: the path alone; at most 10)' })
        .option('entries', { alias: 'e', type: 'number', default: 10, describe: 'biggest entries shown per directory (at most 100)' })
        .option('strict', { type: 'boolean', default: false, describe: 'exact figures (they always are here)' })
        .option('csv', { type: 'boolean', default: false, describe: 'print CSV, sizes in bytes' }),
    async (a) => {
      const target = await openTarget(String(a.PATH), undefined);
      try {
        const where = await target.locate(String(a.PATH));
        const bar = progressBar(`Summarizing ${String(a.PATH)}`, 0, a.csv);
        const tree = await summaryRequest(target.transport, where.ino, Math.min(10, Math.max(0, Math.floor(a.depth))), Math.min(100, Math.max(0, Math.floor(a.entries))), (n) => bar.update(n, n));
        bar.stop();
        const headers = ['PATH', 'SIZE', 'DIRS', 'FILES'];
        const rows = summaryRows(tree, a.csv);
        if (a.csv) process.stdout.write([headers, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n');
        else process.stdout.write(renderAligned(headers, rows, 0)); // JuiceFS's printResult: PATH left, figures right
      } finally {
        await target.close();
      }
    },
  );
}
