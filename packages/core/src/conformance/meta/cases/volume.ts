import assert from 'node:assert/strict';
import { NodeType } from '../../../types/attr.js';
import { ROOT_INODE } from '../../../types/inode.js';
import { formatted, ROOT, testFormat } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'volume';

export const volumeCases: MetaCase[] = [
  {
    group, name: 'load of an unformatted volume fails and says to run juicefs format',
    async run(env) {
      await assert.rejects(env.meta.load(true), (err: Error) => /juicefs format/.test(err.message));
    },
  },
  {
    group, name: 'init then load returns the format; the root is a 0777 directory owned by root',
    async run(env) {
      const fmt = testFormat({ Name: 'vol-a', TrashDays: 0 });
      await env.meta.init(fmt);
      const loaded = await env.meta.load(true);
      assert.equal(loaded.Name, 'vol-a');
      assert.equal(loaded.UUID, fmt.UUID);
      assert.equal(loaded.BlockSize, 4096);
      assert.equal(loaded.TrashDays, 0);
      const root = await env.meta.getAttr(ROOT, ROOT_INODE);
      assert.equal(root.type, NodeType.Directory);
      assert.equal(root.mode, 0o777);
      assert.equal(root.uid, 0);
      assert.equal(root.gid, 0);
      assert.equal(root.nlink, 2);
      assert.equal(root.parent, ROOT_INODE);
    },
  },
  {
    group, name: 'a volume with MetaVersion 2 is refused',
    async run(env) {
      let initFailed = false;
      try {
        await env.meta.init(testFormat({ MetaVersion: 2 }));
      } catch {
        initFailed = true;
      }
      if (!initFailed) await assert.rejects(env.meta.load(true), /version/i);
    },
  },
  {
    group, name: 'a second client sees the same format and tree',
    needs: ['concurrency'],
    async run(env) {
      const meta = await formatted(env, { Name: 'shared' });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'dir', 0o755, 0);
      const other = await env.newClient();
      assert.equal((await other.load(true)).Name, 'shared');
      const seen = await other.lookup(ROOT, ROOT_INODE, 'dir');
      assert.equal(seen.ino, d.ino);
    },
  },
  {
    group, name: 'reset removes the volume: load fails again',
    async run(env) {
      const meta = await formatted(env);
      await meta.mkdir(ROOT, ROOT_INODE, 'dir', 0o755, 0);
      await meta.closeSession();
      await meta.reset();
      await assert.rejects(meta.load(true), /juicefs format/);
    },
  },
  {
    group, name: 'init with force updates the settings of an existing volume and keeps its tree',
    async run(env) {
      const meta = await formatted(env, { Capacity: 0 });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'kept', 0o755, 0);
      const current = await meta.load(true);
      await meta.init({ ...current, Capacity: 1 << 30, TrashDays: 3 }, true);
      const loaded = await meta.load(true);
      assert.equal(loaded.Capacity, 1 << 30);
      assert.equal(loaded.TrashDays, 3);
      assert.equal(loaded.UUID, current.UUID);
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'kept')).ino, d.ino);
    },
  },
];
