// Per-operation latency of the SQLite engine through BaseMeta (no FUSE, no VFS):
//   node -r ./bench/register.cjs -e "require('./bench/op-latency.ts')"
import { ROOT_CONTEXT as ctx } from '@juicefs/core';
import { openSqliteBenchVolume } from './sqlite-volume.js';
async function main() {
  const { meta, dir, file, close } = await openSqliteBenchVolume();
  const time = async (label: string, n: number, op: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await op(i);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(i);
    console.log(label.padEnd(10), (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1), 'us');
  };
  await time('getattr', 20000, () => meta.getAttr(ctx, file));
  await time('lookup', 20000, () => meta.lookup(ctx, dir, 'x'));
  await time('create', 2000, async (i) => { const r = await meta.create(ctx, dir, `c${i}-${Math.random()}`, 0o644, 0, 0); await meta.close(ctx, r.ino); });
  await close();
}
void main();
