import Database from 'better-sqlite3';
import { ROOT_CONTEXT as ctx } from '@juicefs/core';
import { openSqliteBenchVolume } from './sqlite-volume.js';
let n = 0;
const probe = new Database(':memory:');
const S = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
const D = Object.getPrototypeOf(probe) as Record<string, (...a: unknown[]) => unknown>;
for (const k of ['run', 'get', 'all']) { const f = S[k]!; S[k] = function (this: unknown, ...a: unknown[]) { n++; return f.apply(this, a); }; }
const ex = D['exec']!; D['exec'] = function (this: unknown, ...a: unknown[]) { n++; return ex.apply(this, a); };
async function main() {
  const { meta, dir, file, close: closeVolume } = await openSqliteBenchVolume();
  const m = async (label: string, op: () => Promise<unknown>) => { await op(); n = 0; await op(); console.log(label, n); };
  await m('getattr', () => meta.getAttr(ctx, file));
  await m('lookup', () => meta.lookup(ctx, dir, 'x'));
  for (let round = 0; round < 2; round++) {
    n = 0;
    const ino = (await meta.create(ctx, dir, 'y', 0o644, 0, 0)).ino;
    const create = n;
    await meta.close(ctx, ino);
    const close = n - create;
    await meta.unlink(ctx, dir, 'y');
    if (round === 1) console.log('create', create, 'close', close, 'unlink', n - create - close);
  }
  await closeVolume();
}
void main();
