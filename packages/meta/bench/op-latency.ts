import { defaultFormat, ROOT_CONTEXT as ctx, ROOT_INODE } from '@juicefs/core';
import { openMeta } from '../src/open.js';
import { mkdtempSync } from 'node:fs';
async function main() {
  const meta = await openMeta(`sqlite3://${mkdtempSync('/tmp/mb/c-')}/m.db`);
  await meta.init({ ...defaultFormat('c', '22222222-2222-4222-8222-222222222222', '/tmp/c'), TrashDays: 0 });
  await meta.load(); await meta.newSession();
  const d = await meta.mkdir(ctx, ROOT_INODE, 'd', 0o755, 0);
  const f0 = await meta.mknod(ctx, d.ino, 'x', 1, 0o644, 0);
  const time = async (label: string, n: number, op: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await op(i);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(i);
    console.log(label.padEnd(10), (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1), 'us');
  };
  await time('getattr', 20000, () => meta.getAttr(ctx, f0.ino));
  await time('lookup', 20000, () => meta.lookup(ctx, d.ino, 'x'));
  await time('create', 2000, async (i) => { const r = await meta.create(ctx, d.ino, `c${i}-${Math.random()}`, 0o644, 0, 0); await meta.close(ctx, r.ino); });
  await meta.closeSession(); await meta.shutdown();
}
void main();
