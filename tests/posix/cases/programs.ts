import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { py, shOk } from '../helpers.js';
import { buildTree, describeTree } from './tools.js';

// The programs the FUSE issue names beside the coreutils: git (a repository, local clones that
// hard-link its pack, a checkout), rsync (a mirror kept up to date by size and nanosecond mtime),
// sqlite3 on a database file inside the directory (rollback journal and WAL, whose -shm index is a
// shared writable mmap, and its locks between connections) and editors that rewrite a file in
// place or through a temporary file and a rename. scripts/setup.sh installs all of them.

export function registerProgramCases(ctx: SuiteContext): void {
  ctx.test('git: commits, gc, fsck, a hard-linked local clone and a copied one with a checkout', async () => {
    const d = await ctx.dir('programs-git');
    const git = 'git -c user.email=tester@example.com -c user.name=tester -c init.defaultBranch=main -c gc.auto=0';
    await shOk(
      `${git} init -q repo && cd repo && printf 'one\\n' > a.txt && printf '#!/bin/sh\\necho ran\\n' > run.sh && chmod 755 run.sh && ` +
        `ln -s a.txt link && mkdir sub && printf 'b\\n' > sub/b.txt && ${git} add -A && ${git} commit -qm first && ` +
        `for i in 1 2 3 4 5 6; do echo $i >> a.txt; ${git} commit -qam "change $i"; done && ${git} gc -q && ${git} fsck --full --strict`,
      d,
    );
    // A local clone hard-links the packed objects; --no-hardlinks copies them.
    await shOk(`${git} clone -q repo linked && ${git} clone -q --no-hardlinks repo copied`, d);
    await shOk(`cd copied && ${git} checkout -q -b old HEAD~3 && ${git} fsck --full --strict`, d);
    expect({
      packLinks: await shOk("find repo/.git/objects/pack -name '*.pack' -printf '%n\\n'", d),
      copiedPackLinks: await shOk("find copied/.git/objects/pack -name '*.pack' -printf '%n\\n'", d),
      sameHead: (await shOk('git -C linked rev-parse HEAD', d)) === (await shOk('git -C repo rev-parse HEAD', d)),
      log: await shOk('git -C linked log --format=%s', d),
      linkedStatus: await shOk('git -C linked status --porcelain', d),
      copiedStatus: await shOk('git -C copied status --porcelain', d),
      oldA: await fs.readFile(path.join(d, 'copied/a.txt'), 'utf8'),
      run: await shOk('./linked/run.sh', d),
      link: await fs.readlink(path.join(d, 'linked/link')),
      fsckLinked: await shOk('git -C linked fsck --full --strict && echo ok', d),
    }).toEqual({
      packLinks: '2\n',
      copiedPackLinks: '1\n',
      sameHead: true,
      log: 'change 6\nchange 5\nchange 4\nchange 3\nchange 2\nchange 1\nfirst\n',
      linkedStatus: '',
      copiedStatus: '',
      oldA: 'one\n1\n2\n3\n',
      run: 'ran\n',
      link: 'a.txt',
      fsckLinked: 'ok\n',
    });
  });

  ctx.test('rsync -aH mirrors a tree, then sends only what changed (size and ns mtime) and deletes', async () => {
    const d = await ctx.dir('programs-rsync');
    const src = path.join(d, 'src');
    await fs.mkdir(src);
    await buildTree(src);
    await fs.mkdir(path.join(src, 'many'));
    for (let i = 0; i < 40; i++) await fs.writeFile(path.join(src, `many/f${i}`), `file ${i}\n`.repeat(i + 1));
    // Times set, not left to the clock: a directory stamped while rsync ran would differ by chance.
    await shOk('touch -d @1650000000 many', src);
    await shOk('rsync -aH src/ dst/ && diff -r src dst', d);
    const mirrored = (await describeTree(path.join(d, 'dst'))) === (await describeTree(src));
    const again = await shOk('rsync -aH -i src/ dst/', d);
    await shOk('touch -d @1700000000.5 many/f1 && echo more >> many/f2 && touch -d @1700000001 many/f2 && rm many/f3 && touch -d @1700000002 many', src);
    const changes = await shOk('rsync -aH -i --delete src/ dst/ | LC_ALL=C sort', d);
    expect({
      mirrored,
      again,
      changes,
      diff: await shOk('diff -r src dst && echo same', d),
      synced: (await describeTree(path.join(d, 'dst'))) === (await describeTree(src)),
    }).toEqual({
      mirrored: true,
      again: '',
      changes: '*deleting   many/f3\n.d..t...... many/\n>f..t...... many/f1\n>f.st...... many/f2\n',
      diff: 'same\n',
      synced: true,
    });
  });

  ctx.test('sqlite3: a database in rollback-journal and WAL mode, integrity, and locks between connections', async () => {
    const d = await ctx.dir('programs-sqlite');
    const counts: string[] = [];
    for (const mode of ['delete', 'wal']) {
      const db = `t-${mode}.db`;
      await shOk(`sqlite3 ${db} "PRAGMA journal_mode=${mode}; CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT);" >/dev/null`, d);
      for (let b = 0; b < 3; b++) {
        await shOk(
          `sqlite3 ${db} "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<2000) ` +
            `INSERT INTO t(v) SELECT hex(randomblob(100)) FROM c; COMMIT;"`,
          d,
        );
      }
      counts.push(await shOk(`sqlite3 ${db} "PRAGMA integrity_check; SELECT count(*), sum(length(v)) FROM t; PRAGMA journal_mode;"`, d));
    }
    // Two connections to the WAL database: a reader sees the last commit while a writer holds its
    // transaction open (the -shm index, mmapped shared), and a second writer is refused.
    const locks = await py<Record<string, unknown>>(
      `import sqlite3, json, sys
a = sqlite3.connect(sys.argv[1], isolation_level=None); b = sqlite3.connect(sys.argv[1], isolation_level=None)
a.execute('BEGIN IMMEDIATE'); a.execute("INSERT INTO t(v) VALUES ('x')")
during = b.execute('SELECT count(*) FROM t').fetchone()[0]
c = sqlite3.connect(sys.argv[1], timeout=0.2, isolation_level=None)
try:
    c.execute('BEGIN IMMEDIATE'); second = 'allowed'
except sqlite3.OperationalError as e:
    second = str(e)
a.execute('COMMIT')
print(json.dumps({'during': during, 'after': b.execute('SELECT count(*) FROM t').fetchone()[0], 'secondWriter': second}))`,
      [path.join(d, 't-wal.db')],
    );
    expect({ counts, locks }).toEqual({
      counts: ['ok\n6000|1200000\ndelete\n', 'ok\n6000|1200000\nwal\n'],
      locks: { during: 6000, after: 6001, secondWriter: 'database is locked' },
    });
  });

  ctx.test('editors: vim writes in place, sed -i and an atomic save (temp file, fsync, rename) make a new file; mode kept', async () => {
    const d = await ctx.dir('programs-editors');
    const f = path.join(d, 'notes.txt');
    await fs.writeFile(f, 'alpha\nbeta\ngamma\n');
    await fs.chmod(f, 0o640);
    const ino = async (): Promise<number> => (await fs.stat(f)).ino;
    const first = await ino();
    await shOk("vim -Nu NONE -i NONE -es -c 'set nobackup writebackup backupcopy=yes' -c '%s/beta/BETA/' -c 'normal Godelta' -c 'wq' notes.txt", d);
    const inPlace = (await ino()) === first;
    await shOk("sed -i 's/gamma/GAMMA/' notes.txt", d);
    const afterSed = await ino();
    // What gedit, VS Code and friends do: write a temporary file beside it, sync it, rename over.
    await py<null>(
      `import os, sys, tempfile
f = sys.argv[1]; mode = os.stat(f).st_mode & 0o777
text = open(f).read().replace('alpha', 'ALPHA')
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(f), prefix='.notes.')
os.write(fd, text.encode()); os.fsync(fd); os.fchmod(fd, mode); os.close(fd)
os.replace(tmp, f); print('null')`,
      [f],
    );
    const st = await fs.stat(f);
    expect({
      inPlace,
      sedNewFile: afterSed !== first,
      atomicNewFile: st.ino !== afterSed,
      text: await fs.readFile(f, 'utf8'),
      mode: (st.mode & 0o777).toString(8),
      nlink: st.nlink,
      left: (await fs.readdir(d)).sort(),
    }).toEqual({
      inPlace: true,
      sedNewFile: true,
      atomicNewFile: true,
      text: 'ALPHA\nBETA\nGAMMA\ndelta\n',
      mode: '640',
      nlink: 1,
      left: ['notes.txt'],
    });
  });
}
