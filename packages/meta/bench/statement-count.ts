import Database from 'better-sqlite3';
import { defaultFormat, ROOT_CONTEXT as ctx, ROOT_INODE } from '@juicefs/core';
import { openMeta } from '../src/open.js';
import { mkdtempSync } from 'node:fs';
let n = 0;
const probe = new Database(':memory:');
const S = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
const D = Object.getPrototypeOf(probe) as Record<string, (...a: unknown[]) => unknown>;
for (const k of ['run', 'get', 'all']) { const f = S[k]!; S[k] = function (this: unknown, ...a: unknown[]) { n++; return f.apply(this, a); }; }
const ex = D['exec']!; D['exec'] = function (this: unknown, ...a: unknown[]) { n++; return ex.apply(this, a); };
async function main() {
  const meta = await openMeta(`sqlite3://${mkdtempSync('/tmp/h14/c-')}/m.db`);
  await meta.init({ ...defaultFormat('c', '22222222-2222-4222-8222-222222222222', '/tmp/c'), TrashDays: 0 });
  await meta.load(); await meta.newSession();
  const d = await meta.mkdir(ctx, ROOT_INODE, 'd', 0o755, 0);
  const f0 = await meta.mknod(ctx, d.ino, 'x', 1, 0o644, 0);
  const m = async (label: string, op: () => Promise<unknown>) => { await op(); n = 0; await op(); console.log(label, n); };
  await m('getattr', () => meta.getAttr(ctx, f0.ino));
  await m('lookup', () => meta.lookup(ctx, d.ino, 'x'));
  for (let round = 0; round < 2; round++) {
    n = 0;
    const ino = (await meta.create(ctx, d.ino, 'y', 0o644, 0, 0)).ino;
    const create = n;
    await meta.close(ctx, ino);
    const close = n - create;
    await meta.unlink(ctx, d.ino, 'y');
    if (round === 1) console.log('create', create, 'close', close, 'unlink', n - create - close);
  }
  await meta.closeSession(); await meta.shutdown();
}
void main();
