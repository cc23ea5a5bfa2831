import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLIENT_VERSION, defaultFormat, encodeFormat, ROOT_INODE, TRASH_INODE } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { MemoryEngine } from '../src/memory/index.js';
import { metaScheme, openMeta } from '../src/open.js';
import { codeOf, ROOT } from './base-helpers.js';

// Formatting and loading a volume, and opening engines by META-URL.

const fmt = () => defaultFormat('vol', '11111111-1111-4111-8111-111111111111', '/tmp/b');

describe('BaseMeta: init and load', () => {
  it('init writes root (and the trash root when TrashDays > 0) and the counters', async () => {
    const engine = new MemoryEngine();
    const meta = new BaseMeta(engine);
    await meta.init(fmt());
    const root = await meta.getAttr(ROOT, ROOT_INODE);
    expect([root.mode, root.nlink, root.parent, root.length]).toEqual([0o777, 2, 1n, 4096]);
    const trash = await meta.getAttr(ROOT, TRASH_INODE);
    expect([trash.mode, trash.uid, trash.parent]).toEqual([0o555, 0, 1n]);
    expect(engine.state.counters.get('nextInode')).toBe(2);
    expect(engine.state.format).toBe(encodeFormat(fmt()));
  });

  it('refuses to change layout settings of an existing volume unless forced; other settings update', async () => {
    const meta = new BaseMeta(new MemoryEngine());
    await meta.init(fmt());
    expect(await codeOf(meta.init({ ...fmt(), BlockSize: 1024 }))).toBe('EINVAL');
    expect(await codeOf(meta.init({ ...fmt(), Name: 'other' }))).toBe('EINVAL');
    await meta.init({ ...fmt(), TrashDays: 7 });
    expect((await meta.load()).TrashDays).toBe(7);
    await meta.init({ ...fmt(), Compression: 'lz4' }, true);
    expect((await meta.load()).Compression).toBe('lz4');
  });

  it('load refuses unformatted volumes and versions this client does not support', async () => {
    const engine = new MemoryEngine();
    const meta = new BaseMeta(engine);
    await expect(meta.load()).rejects.toThrow(/juicefs format/);
    await meta.init({ ...fmt(), MinClientVersion: '9.0.0' });
    await expect(meta.load()).rejects.toThrow(/upgrade/);
    expect((await meta.load(false)).Name).toBe('vol'); // no version check
    await meta.init({ ...fmt(), MinClientVersion: '1.1.0-A', MaxClientVersion: '1.0.0' });
    await expect(meta.load()).rejects.toThrow(new RegExp(CLIENT_VERSION.replace(/\./g, '\\.')));
  });
});

describe('BaseMeta: session heartbeat', () => {
  it('refreshes the session expiry every heartbeat until the session closes', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const engine = new MemoryEngine();
      const meta = new BaseMeta(engine);
      await meta.init({ ...fmt(), TrashDays: 0 });
      await meta.load();
      const sid = await meta.newSession({ heartbeat: 2 });
      const first = engine.state.sessions.get(sid)!.expire;
      jest.setSystemTime(Date.now() + 30_000);
      await jest.advanceTimersByTimeAsync(2_000);
      expect(engine.state.sessions.get(sid)!.expire).toBeGreaterThanOrEqual(first + 30);
      await meta.closeSession();
      expect(engine.state.sessions.has(sid)).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('openMeta', () => {
  it('names the scheme of a META-URL; no scheme means Redis', () => {
    expect(metaScheme('sqlite3:///tmp/a.db')).toBe('sqlite3');
    expect(metaScheme('POSTGRES://u@h/db')).toBe('postgres');
    expect(metaScheme('127.0.0.1:6379/1')).toBe('');
  });

  it('refuses unknown schemes and malformed URLs with a message showing valid ones', async () => {
    await expect(openMeta('foo://bar')).rejects.toThrow(/unsupported metadata URL scheme "foo".*sqlite3:\/\//);
    await expect(openMeta('')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(openMeta('nonsense:thing')).rejects.toThrow(/malformed metadata URL/);
  });

  it('memory://NAME shares one volume between clients; memory:// is always fresh', async () => {
    const a = await openMeta('memory://shared-open-test');
    const b = await openMeta('memory://shared-open-test');
    await a.init({ ...fmt(), TrashDays: 0 });
    await b.load();
    await a.mkdir(ROOT, ROOT_INODE, 'seen', 0o755, 0);
    expect((await b.lookup(ROOT, ROOT_INODE, 'seen')).attr.nlink).toBe(2);
    await expect((await openMeta('memory://')).load()).rejects.toThrow(/not formatted/);
  });

  it('sqlite3:// opens the real SQL engine behind BaseMeta', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jfs-open-'));
    try {
      const meta = await openMeta(`sqlite3://${path.join(dir, 'vol.db')}`);
      expect(meta.name).toBe('sqlite3');
      await meta.init({ ...fmt(), TrashDays: 0 });
      await meta.load();
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'dir', 0o755, 0);
      expect((await meta.lookup(ROOT, ROOT_INODE, 'dir')).ino).toBe(d.ino);
      // background jobs claim turns through counters that format does not create
      await meta.newSession();
      const now = Math.floor(Date.now() / 1000);
      expect(await meta.runBackgroundJobs(now)).toEqual({ staleSessions: 0, deletedFiles: 0, deletedSlices: 0, trashEntries: 0, changeLogLines: 0 });
      const lastRun = () => meta.store.txn((tx) => tx.getCounter('lastCleanupSessions'));
      expect(await lastRun()).toBe(now);
      await meta.runBackgroundJobs(now + 10); // not due: no claim
      expect(await lastRun()).toBe(now);
      await meta.runBackgroundJobs(now + 120); // due again
      expect(await lastRun()).toBe(now + 120);
      await meta.closeSession();
      await meta.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('BaseMeta: storage tiers (JuiceFS 1.4)', () => {
  it('new files, directories and symlinks take their directory\'s tier id', async () => {
    const engine = new MemoryEngine();
    const meta = new BaseMeta(engine);
    await meta.init(fmt());
    await meta.load();
    const cold = await meta.mkdir(ROOT, ROOT_INODE, 'cold', 0o755, 0o022);
    // As `juicefs tier set --id 2 /cold` of a Go client leaves it.
    engine.state.attrs.set(cold.ino, { ...engine.state.attrs.get(cold.ino)!, tier: 2 });
    const file = await meta.create(ROOT, cold.ino, 'f', 0o644, 0o022, 0);
    const sub = await meta.mkdir(ROOT, cold.ino, 'sub', 0o755, 0o022);
    const deeper = await meta.create(ROOT, sub.ino, 'g', 0o644, 0o022, 0);
    const link = await meta.symlink(ROOT, cold.ino, 'l', 'f');
    expect([file.attr.tier, sub.attr.tier, deeper.attr.tier, link.attr.tier]).toEqual([2, 2, 2, 2]);
    expect((await meta.getAttr(ROOT, file.ino)).tier).toBe(2);
    expect((await meta.create(ROOT, ROOT_INODE, 'hot', 0o644, 0o022, 0)).attr.tier).toBe(0);
  });
});
