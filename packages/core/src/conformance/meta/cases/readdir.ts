import assert from 'node:assert/strict';
import { NodeType } from '../../../types/attr.js';
import { ALICE, BOB, expectCode, formatted, listAll, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'readdir';

export const readdirCases: MetaCase[] = [
  {
    group, name: 'readdir lists every entry with its type, never "." or ".."; plus adds attributes',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const s = await meta.symlink(ROOT, ROOT_INODE, 's', 'f');
      const plain = await meta.readdir(ROOT, ROOT_INODE);
      assert.equal(plain.cursor, undefined, 'one page is enough for three entries');
      const byName = new Map(plain.entries.map((e) => [e.name.toString(), e]));
      assert.deepEqual([...byName.keys()].sort(), ['d', 'f', 's']);
      assert.equal(byName.get('d')?.ino, d.ino);
      assert.equal(byName.get('d')?.type, NodeType.Directory);
      assert.equal(byName.get('f')?.type, NodeType.File);
      assert.equal(byName.get('s')?.type, NodeType.Symlink);
      const plus = await meta.readdir(ROOT, ROOT_INODE, { plus: true });
      for (const e of plus.entries) {
        assert.ok(e.attr, `readdirplus returns attributes for ${e.name.toString()}`);
        assert.deepEqual(e.attr, await meta.getAttr(ROOT, e.ino));
      }
      assert.equal(plus.entries.find((e) => e.ino === s.ino)?.attr?.length, 1);
      assert.equal(plus.entries.find((e) => e.ino === f.ino)?.attr?.type, NodeType.File);
      assert.deepEqual((await meta.readdir(ROOT, d.ino)).entries, []);
    },
  },
  {
    group, name: 'paging a 2,500-entry directory with limit 1000 returns every entry exactly once',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'big', 0o755, 0);
      const expected = new Map<string, bigint>();
      const N = 2500;
      for (let start = 0; start < N; start += 100) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(100, N - start) }, (_, i) => meta.mknod(ROOT, d.ino, `e${start + i}`, NodeType.File, 0o644, 0)),
        );
        batch.forEach((r, i) => expected.set(`e${start + i}`, r.ino));
      }
      let pages = 0;
      const seen = new Map<string, bigint>();
      let cursor: string | undefined;
      do {
        const page = await meta.readdir(ROOT, d.ino, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
        assert.ok(page.entries.length <= 1000, `page of ${page.entries.length} entries exceeds limit 1000`);
        for (const e of page.entries) {
          const name = e.name.toString();
          assert.ok(!seen.has(name), `entry ${name} returned twice`);
          seen.set(name, e.ino);
        }
        cursor = page.cursor;
        pages++;
        assert.ok(pages < 100, 'readdir keeps returning cursors');
      } while (cursor !== undefined);
      assert.ok(pages >= 3, `expected at least 3 pages, got ${pages}`);
      assert.equal(seen.size, N);
      assert.deepEqual(new Map([...seen].sort()), new Map([...expected].sort()));
    },
  },
  {
    group, name: 'readdir needs read permission; lookup needs search (x) permission',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ALICE, ROOT_INODE, 'd', 0o700, 0);
      await mkfile(meta, d.ino, 'f', ALICE);
      await expectCode(meta.readdir(BOB, d.ino), 'EACCES', 'readdir of a 0700 dir by another user');
      await expectCode(meta.lookup(BOB, d.ino, 'f'), 'EACCES', 'lookup in a 0700 dir by another user');
      assert.equal((await listAll(meta, d.ino, { ctx: ALICE })).length, 1);
      const f = await meta.lookup(BOB, d.ino, 'f', false);
      assert.equal(f.attr.uid, 1000, 'lookup with checkPermission false skips the search check');
    },
  },
];
