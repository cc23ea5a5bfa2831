import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultFormat, ROOT_CONTEXT as ctx, ROOT_INODE, type Ino } from '@juicefs/core';
import type { BaseMeta } from '../src/base/index.js';
import { openMeta } from '../src/open.js';

/** A fresh SQLite volume in a temporary directory, with a session, a directory `d` and a file `d/x`. */
export async function openSqliteBenchVolume(): Promise<{ meta: BaseMeta; dir: Ino; file: Ino; close: () => Promise<void> }> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'jfs-meta-bench-'));
  const meta = await openMeta(`sqlite3://${tmp}/meta.db`);
  await meta.init({ ...defaultFormat('bench', '22222222-2222-4222-8222-222222222222', '/tmp/bench'), TrashDays: 0 });
  await meta.load();
  await meta.newSession();
  const dir = (await meta.mkdir(ctx, ROOT_INODE, 'd', 0o755, 0)).ino;
  const file = (await meta.mknod(ctx, dir, 'x', 1, 0o644, 0)).ino;
  return {
    meta,
    dir,
    file,
    close: async () => {
      await meta.closeSession();
      await meta.shutdown();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
