import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { shOk } from '../helpers.js';

// Everyday tools over a small tree: cp -a and tar must carry contents, modes, times, symlinks and
// hard links through, and ls must show what was made.

/** Build a tree with a file, an executable, a symlink, a hard link, a subdirectory and set times. */
export async function buildTree(root: string): Promise<void> {
  await fs.mkdir(path.join(root, 'sub/deeper'), { recursive: true });
  await fs.writeFile(path.join(root, 'plain.txt'), 'plain text\n');
  await fs.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
  await fs.chmod(path.join(root, 'run.sh'), 0o750);
  await fs.writeFile(path.join(root, 'sub/deeper/data.bin'), Buffer.alloc(200_000, 0x5a));
  await fs.symlink('../plain.txt', path.join(root, 'sub/link'));
  await fs.link(path.join(root, 'plain.txt'), path.join(root, 'sub/hard'));
  await shOk('touch -h -d @1600000000 sub/link && touch -d @1500000000.25 plain.txt sub/deeper/data.bin && touch -d @1400000000 sub/deeper sub', root);
}

/** One line per entry: type, mode, size, mtime (ns), link count and link target, sorted by path. */
export async function describeTree(root: string): Promise<string> {
  return shOk(`find . -mindepth 1 -printf '%p %y %m %s %T@ %n %l\\n' | LC_ALL=C sort`, root);
}

export function registerToolCases(ctx: SuiteContext): void {
  ctx.test('cp -a copies a tree with modes, times, symlinks and hard links intact', async () => {
    const d = await ctx.dir('tools-cp');
    await fs.mkdir(path.join(d, 'src'));
    await buildTree(path.join(d, 'src'));
    await shOk('cp -a src dst && diff -r src dst', d);
    const src = await describeTree(path.join(d, 'src'));
    expect({ dst: await describeTree(path.join(d, 'dst')), run: await shOk('./dst/run.sh', d) }).toEqual({ dst: src, run: 'ran\n' });
    expect(src).toBe(
      [
        './plain.txt f 644 11 1500000000.2500000000 2 ',
        './run.sh f 750 19 ' + src.split('\n')[1]?.split(' ')[4] + ' 1 ',
        './sub d 755 4096 1400000000.0000000000 3 ',
        './sub/deeper d 755 4096 1400000000.0000000000 2 ',
        './sub/deeper/data.bin f 644 200000 1500000000.2500000000 1 ',
        './sub/hard f 644 11 1500000000.2500000000 2 ',
        './sub/link l 777 12 1600000000.0000000000 1 ../plain.txt',
        '',
      ].join('\n'),
    );
  });

  ctx.test('tar archives a tree and extracts it elsewhere unchanged; ls -l shows the entries', async () => {
    const d = await ctx.dir('tools-tar');
    await fs.mkdir(path.join(d, 'src'));
    await buildTree(path.join(d, 'src'));
    await shOk('tar --format=posix -C src -cf tree.tar . && mkdir out && tar -C out -xpf tree.tar && diff -r src out', d);
    const ls = await shOk('LC_ALL=C ls -l --time-style=+%s src', d);
    const src = await describeTree(path.join(d, 'src'));
    expect({
      extracted: await describeTree(path.join(d, 'out')),
      listing: await shOk('tar -tf tree.tar | LC_ALL=C sort', d),
      lsNames: ls.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(5).join(' ')),
      lsModes: ls.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]),
    }).toEqual({
      extracted: src,
      listing: './\n./plain.txt\n./run.sh\n./sub/\n./sub/deeper/\n./sub/deeper/data.bin\n./sub/hard\n./sub/link\n',
      lsNames: ['1500000000 plain.txt', expect.stringMatching(/^\d+ run\.sh$/), '1400000000 sub'],
      lsModes: ['-rw-r--r--', '-rwxr-x---', 'drwxr-xr-x'],
    });
  });
}
