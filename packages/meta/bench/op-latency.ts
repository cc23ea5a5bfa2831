// Per-operation latency of the SQLite engine through BaseMeta (no FUSE, no VFS), the database in
// a new directory under $TMPDIR (the file system matters: checkpoints fsync):
//   node -r ./bench/register.cjs -e "require('./bench/op-latency.ts')"
import { ROOT_CONTEXT as ctx } from '@juicefs/core';
import { openSqliteBenchVolume } from './sqlite-volume.js';
async function main() {
  const { meta, dir, file, close } = await openSqliteBenchVolume();
  const time = async (label: string, n: number, op: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await op(i);
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(i);
    console.log(label.padEnd(16), (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1), 'us');
  };
  await time('getattr', 20000, () => meta.getAttr(ctx, file));
  await time('lookup', 20000, () => meta.lookup(ctx, dir, 'x'));
  // A name that is not there, as every new file's path walk asks first (an ENOENT).
  await time('lookup (missing)', 20000, (i) => meta.lookup(ctx, dir, `missing${i}`).then(() => { throw new Error('found a missing name'); }, (e: { code?: string }) => { if (e.code !== 'ENOENT') throw e; }));
  await time('create', 2000, async (i) => { const r = await meta.create(ctx, dir, `c${i}-${Math.random()}`, 0o644, 0, 0); await meta.close(ctx, r.ino); });
  // A small file as a mount makes it: create, then at close its one slice (a 128 KiB block).
  const writes: number[] = [];
  await time('small file', 2000, async (i) => {
    const r = await meta.create(ctx, dir, `s${i}-${Math.random()}`, 0o644, 0, 0);
    const id = await meta.newSlice();
    const t = process.hrtime.bigint();
    await meta.write(ctx, r.ino, 0, { pos: 0, id, size: 131072, off: 0, len: 131072 });
    writes.push(Number(process.hrtime.bigint() - t) / 1000);
    await meta.close(ctx, r.ino);
  });
  writes.sort((a, b) => a - b);
  const at = (q: number): string => (writes[Math.floor(q * (writes.length - 1))] ?? 0).toFixed(0);
  console.log('  its write', `p50 ${at(0.5)} us, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}, mean ${(writes.reduce((a, b) => a + b, 0) / writes.length).toFixed(0)}`);
  await close();
}
void main();
