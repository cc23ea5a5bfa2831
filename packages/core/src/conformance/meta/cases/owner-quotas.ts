import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import type { OwnerQuotaAdmin } from '../../../meta/owner-quota.js';
import { ALICE, BOB, expectCode, formatted, mkfile, ROOT, ROOT_INODE, secondClient } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'user and group quotas';
const KiB = 1024;

function admin(meta: Meta): OwnerQuotaAdmin {
  assert.ok(meta.ownerQuotas, 'the engine offers no ownerQuotas: declare { ownerQuotas: false } in its supports');
  return meta.ownerQuotas;
}

/** A directory everyone may write in, as root. */
async function shared(meta: Meta): Promise<bigint> {
  const d = await meta.mkdir(ROOT, ROOT_INODE, 'shared', 0o777, 0);
  return d.ino;
}

export const ownerQuotaCases: MetaCase[] = [
  {
    group, name: 'a user quota refuses that user\'s creates and growth past it (EDQUOT), not other users\'',
    needs: ['ownerQuotas'],
    async run(env) {
      const meta = await formatted(env);
      const dir = await shared(meta);
      const q = admin(meta);
      const set = await q.set('user', ALICE.uid, { maxInodes: 2, maxSpace: 16 * KiB });
      assert.equal(set.created, true);
      assert.deepEqual(set.quota, { maxSpace: 16 * KiB, maxInodes: 2, usedSpace: 0, usedInodes: 0 });
      const f = await mkfile(meta, dir, 'f', ALICE);
      await mkfile(meta, dir, 'g', ALICE);
      await expectCode(meta.create(ALICE, dir, 'h', 0o644, 0, 0), 'EDQUOT', 'a third inode for alice with a limit of 2');
      await expectCode(meta.mkdir(ALICE, dir, 'd', 0o755, 0), 'EDQUOT', 'a directory counts as an inode too');
      await mkfile(meta, dir, 'bob', BOB);
      // f and g use 4 KiB each: f may grow to 12 KiB, not past it.
      await meta.write(ALICE, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 12 * KiB, off: 0, len: 12 * KiB });
      await expectCode(meta.truncate(ALICE, f.ino, 12 * KiB + 1), 'EDQUOT', 'growth past 16 KiB');
      assert.deepEqual(await q.get('user', ALICE.uid), { maxSpace: 16 * KiB, maxInodes: 2, usedSpace: 16 * KiB, usedInodes: 2 });
      assert.deepEqual([...(await q.list('user')).keys()], [ALICE.uid]);
      // Deleting the quota lifts the limit; the usage stays tracked.
      assert.equal(await q.delete('user', ALICE.uid), true);
      await mkfile(meta, dir, 'h', ALICE);
      assert.deepEqual(await q.get('user', ALICE.uid), { maxSpace: -1, maxInodes: -1, usedSpace: 20 * KiB, usedInodes: 3 });
      assert.deepEqual([...(await q.list('user')).keys()], []);
    },
  },
  {
    group, name: 'removing and chown move usage; a group quota limits its members; check agrees with the tree',
    needs: ['ownerQuotas'],
    async run(env) {
      const meta = await formatted(env);
      const dir = await shared(meta);
      const q = admin(meta);
      const f = await mkfile(meta, dir, 'f', ALICE);
      // Set after f exists: the first quota counts what every owner already has.
      await q.set('group', 1000, { maxInodes: 1 });
      assert.deepEqual(await q.get('group', 1000), { maxSpace: -1, maxInodes: 1, usedSpace: 4 * KiB, usedInodes: 1 });
      await expectCode(meta.create(ALICE, dir, 'g', 0o644, 0, 0), 'EDQUOT', 'group 1000 is full');
      // chown moves f's space and inode to bob and his group.
      await meta.setAttr(ROOT, f.ino, { uid: BOB.uid, gid: BOB.gid });
      assert.deepEqual(await q.get('group', 1000), { maxSpace: -1, maxInodes: 1, usedSpace: 0, usedInodes: 0 });
      assert.deepEqual(await q.get('user', BOB.uid), { maxSpace: -1, maxInodes: -1, usedSpace: 4 * KiB, usedInodes: 1 });
      await mkfile(meta, dir, 'g', ALICE);
      await expectCode(meta.setAttr(ROOT, f.ino, { gid: 1000 }), 'EDQUOT', 'chown into a full group');
      assert.equal((await meta.getAttr(ROOT, f.ino)).gid, BOB.gid);
      // Removing g gives its inode back.
      await meta.unlink(ALICE, dir, 'g');
      assert.deepEqual(await q.get('group', 1000), { maxSpace: -1, maxInodes: 1, usedSpace: 0, usedInodes: 0 });
      await meta.setAttr(ROOT, f.ino, { gid: 1000 });
      const r = await q.check();
      assert.equal(r.repaired, false);
      assert.deepEqual(r.checks.filter((c) => !c.consistent), []);
    },
  },
  {
    group, name: 'usage counted by a second client is stored once it flushes',
    needs: ['ownerQuotas', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const dir = await shared(meta);
      await admin(meta).set('user', ALICE.uid, { maxInodes: 2 });
      const other = await secondClient(env);
      await mkfile(other, dir, 'a', ALICE);
      await mkfile(other, dir, 'b', ALICE);
      await other.flushSession();
      assert.deepEqual(await admin(meta).get('user', ALICE.uid), { maxSpace: -1, maxInodes: 2, usedSpace: 8 * KiB, usedInodes: 2 });
    },
  },
];
