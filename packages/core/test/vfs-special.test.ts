import { ACCESSLOG_INODE, CONFIG_INODE, CONTROL_INODE, O_RDONLY, O_RDWR, O_WRONLY, ROOT_INODE, STATS_INODE, TRASH_INODE } from '../src/index.js';
import { Vfs } from '../src/index.js';
import { createFile, newHarness } from './vfs-harness.js';

describe('VFS virtual files in the root', () => {
  it('are found by lookup in the root only, and listed (except .control) unless hidden', async () => {
    const h = await newHarness();
    for (const [name, ino] of [['.accesslog', ACCESSLOG_INODE], ['.stats', STATS_INODE], ['.config', CONFIG_INODE], ['.control', CONTROL_INODE]] as const) {
      expect((await h.vfs.lookup(h.ctx, ROOT_INODE, name)).ino).toBe(ino);
    }
    const d = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0);
    await expect(h.vfs.lookup(h.ctx, d.ino, '.stats')).rejects.toMatchObject({ code: 'ENOENT' });
    const { fh } = await h.vfs.opendir(h.ctx, ROOT_INODE);
    const names = (await h.vfs.readdir(h.ctx, ROOT_INODE, fh, 0)).map((e) => e.name.toString());
    expect(names).toEqual(expect.arrayContaining(['.accesslog', '.stats', '.config', '.trash', 'd']));
    expect(names).not.toContain('.control');

    const hidden = await newHarness({ hideInternal: true });
    const dh = await hidden.vfs.opendir(hidden.ctx, ROOT_INODE);
    const hiddenNames = (await hidden.vfs.readdir(hidden.ctx, ROOT_INODE, dh.fh, 0)).map((e) => e.name.toString());
    expect(hiddenNames).toEqual(['.', '..']);
    expect((await hidden.vfs.lookup(hidden.ctx, ROOT_INODE, '.stats')).ino).toBe(STATS_INODE);
  });

  it('with prefixInternal are named .jfs.*, leaving the plain names to users', async () => {
    const h = await newHarness({ prefixInternal: true });
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, '.jfs.stats')).ino).toBe(STATS_INODE);
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, '.jfs.control')).ino).toBe(CONTROL_INODE);
    await expect(h.vfs.lookup(h.ctx, ROOT_INODE, '.stats')).rejects.toMatchObject({ code: 'ENOENT' });
    const mine = await h.vfs.mkdir(h.ctx, ROOT_INODE, '.stats', 0o755, 0);
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, '.stats')).ino).toBe(mine.ino);
    await expect(h.vfs.mkdir(h.ctx, ROOT_INODE, '.jfs.config', 0o755, 0)).rejects.toMatchObject({ code: 'EEXIST' });
    const { fh } = await h.vfs.opendir(h.ctx, ROOT_INODE);
    const names = (await h.vfs.readdir(h.ctx, ROOT_INODE, fh, 0)).map((e) => e.name.toString());
    expect(names).toEqual(['.', '..', '.stats', '.jfs.accesslog', '.jfs.stats', '.jfs.config', '.trash']);
  });

  it('without virtualFiles are not served: their names are ordinary names, and the trash stays', async () => {
    const h = await newHarness({ virtualFiles: false });
    for (const name of ['.accesslog', '.stats', '.config', '.control']) {
      await expect(h.vfs.lookup(h.ctx, ROOT_INODE, name)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    const d = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0);
    await expect(h.vfs.lookup(h.ctx, d.ino, '.control')).rejects.toMatchObject({ code: 'ENOENT' });
    const mine = await createFile(h, '.config');
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, '.config')).ino).toBe(mine.ino);
    expect(mine.ino).not.toBe(CONFIG_INODE);
    const { fh } = await h.vfs.opendir(h.ctx, ROOT_INODE);
    const names = (await h.vfs.readdir(h.ctx, ROOT_INODE, fh, 0)).map((e) => e.name.toString());
    expect(names.sort()).toEqual(['.', '..', '.config', '.trash', 'd']);
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, '.trash')).ino).toBe(TRASH_INODE);
  });

  it('are read-only and cannot be replaced, removed, renamed over or linked', async () => {
    const h = await newHarness();
    await expect(h.vfs.open(h.ctx, STATS_INODE, O_WRONLY)).rejects.toMatchObject({ code: 'EACCES' });
    // A change is ignored and the node's attributes answered, as upstream (so `touch .stats` succeeds).
    expect((await h.vfs.setattr(h.ctx, CONFIG_INODE, { mode: 0o777 })).attr.mode).toBe(0o400);
    await expect(h.vfs.flock(h.ctx, STATS_INODE, 1, 1n, 'W', false)).rejects.toMatchObject({ code: 'EPERM' });
    await expect(h.vfs.mkdir(h.ctx, ROOT_INODE, '.stats', 0o755, 0)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(h.vfs.create(h.ctx, ROOT_INODE, '.config', 0o644, 0, O_WRONLY)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(h.vfs.unlink(h.ctx, ROOT_INODE, '.accesslog')).rejects.toMatchObject({ code: 'EPERM' });
    const f = await createFile(h, 'f');
    await expect(h.vfs.rename(h.ctx, ROOT_INODE, 'f', ROOT_INODE, '.stats')).rejects.toMatchObject({ code: 'EPERM' });
    await expect(h.vfs.link(h.ctx, STATS_INODE, ROOT_INODE, 'stats-link')).rejects.toMatchObject({ code: 'EPERM' });
    await expect(h.vfs.link(h.ctx, f.ino, ROOT_INODE, '.config')).rejects.toMatchObject({ code: 'EPERM' });
    await expect(h.vfs.setxattr(h.ctx, STATS_INODE, 'user.x', Buffer.from('1'), 0)).rejects.toMatchObject({ code: 'EPERM' });
  });

  it('.stats shows live counters as "name value" lines', async () => {
    const h = await newHarness();
    // The engine's count of re-run transactions, read when .stats is opened (engines count it; see the meta tests).
    Object.defineProperty(h.meta, 'txRestarts', { get: () => 3 });
    Object.defineProperty(h.meta, 'txDurations', { get: () => ({ total: 5, sum: 0.25 }) });
    const { ino, fh } = await createFile(h, 'f');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.alloc(5000, 1));
    await h.vfs.read(h.ctx, ino, fh, 0, 5000);
    const o = await h.vfs.open(h.ctx, STATS_INODE, O_RDONLY);
    expect(o.directIo).toBe(true);
    const text = (await h.vfs.read(h.ctx, STATS_INODE, o.fh, 0, 1 << 20)).toString();
    const stats = new Map(text.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]* -?[0-9.e+-]+$/);
    expect(Number(stats.get('juicefs_fuse_written_bytes'))).toBe(5000);
    expect(Number(stats.get('juicefs_fuse_read_bytes'))).toBe(5000);
    expect(Number(stats.get('juicefs_fuse_ops_durations_histogram_seconds_total'))).toBeGreaterThanOrEqual(3);
    expect(Number(stats.get('juicefs_meta_ops_durations_histogram_seconds_total'))).toBeGreaterThan(0);
    expect(stats.get('juicefs_transaction_restart')).toBe('3');
    // The engine's own transaction timings, not the metadata operations'.
    expect([stats.get('juicefs_transaction_durations_histogram_seconds_total'), stats.get('juicefs_transaction_durations_histogram_seconds_sum')]).toEqual(['5', '0.25']);
    expect(Number(stats.get('juicefs_object_request_durations_histogram_seconds_PUT_total'))).toBeGreaterThanOrEqual(2);
    expect(Number(stats.get('juicefs_fuse_open_handlers'))).toBe(2);
    await h.vfs.release(h.ctx, STATS_INODE, o.fh);
  });

  it('.config is the running configuration as JSON, without secrets, its length in getattr', async () => {
    const h = await newHarness({ attrCache: 7 });
    const attr = (await h.vfs.getattr(h.ctx, CONFIG_INODE)).attr;
    const o = await h.vfs.open(h.ctx, CONFIG_INODE, O_RDONLY);
    const data = await h.vfs.read(h.ctx, CONFIG_INODE, o.fh, 0, 1 << 20);
    expect(data.length).toBe(attr.length);
    const config = JSON.parse(data.toString()) as { Format: { Name: string; SecretKey: string }; AttrTimeout: number };
    expect(config.Format.Name).toBe('vfs-test');
    expect(config.Format.SecretKey).toBe('removed');
    expect(config.AttrTimeout).toBe(7e9);
    expect(data.toString()).not.toContain('sekrit');
    // Reads at an offset continue the same snapshot.
    expect(await h.vfs.read(h.ctx, CONFIG_INODE, o.fh, 5, 10)).toEqual(data.subarray(5, 15));
  });

  it('.accesslog streams one line per operation while open', async () => {
    const h = await newHarness();
    const o = await h.vfs.open(h.ctx, ACCESSLOG_INODE, O_RDONLY);
    await h.vfs.mkdir({ uid: 0, gid: 0, gids: [0], pid: 77 }, ROOT_INODE, 'logged', 0o755, 0);
    await expect(h.vfs.lookup(h.ctx, ROOT_INODE, 'nope')).rejects.toMatchObject({ code: 'ENOENT' });
    const text = (await h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 1 << 16)).toString();
    const all = text.trim().split('\n');
    // The open of `.accesslog` itself is the first line, as upstream logs it after starting the stream.
    expect(all[0]).toMatch(/\] open \(9223372032559808513,0x0\): OK \[fh:\d+\]/);
    const lines = all.slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d\.\d{6} \[uid:0,gid:0,pid:77\] mkdir \(1,logged,0755\): OK \(\d+,.*\) <\d+\.\d{6}>$/);
    expect(lines[1]).toMatch(/lookup \(1,nope\): ENOENT <\d+\.\d{6}>$/);
    // Stamped to the microsecond, as JuiceFS does, and in order: not milliseconds padded with zeros.
    const stamps = all.map((l) => l.slice(0, 26));
    expect(stamps.some((t) => !t.endsWith('000'))).toBe(true);
    expect([...stamps].sort()).toEqual(stamps);
    // A small buffer gets whole lines when they fit, the head of a longer one otherwise.
    await h.vfs.getattr(h.ctx, ROOT_INODE);
    const head = await h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 10);
    expect(head.length).toBe(10);
    await h.vfs.release(h.ctx, ACCESSLOG_INODE, o.fh);
  });

  it('.accesslog answers a quiet second with a "#" line, as JuiceFS does, so cat keeps following', async () => {
    const h = await newHarness();
    const o = await h.vfs.open(h.ctx, ACCESSLOG_INODE, O_RDONLY);
    expect((await h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 1 << 16)).toString()).toMatch(/\] open \(/);
    const started = Date.now();
    // An empty read would be end-of-file to cat and tail -f.
    expect((await h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 1 << 16)).toString()).toBe('#\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // A line that comes while a read waits ends the wait with that line.
    const waiting = h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 1 << 16);
    await h.vfs.getattr(h.ctx, ROOT_INODE);
    expect((await waiting).toString()).toMatch(/\] getattr \(1\): OK/);
    // Closing the handle ends a waiting read with nothing.
    const cut = h.vfs.read(h.ctx, ACCESSLOG_INODE, o.fh, 0, 1 << 16);
    await h.vfs.release(h.ctx, ACCESSLOG_INODE, o.fh);
    expect((await cut).length).toBe(0);
  });

  it('.control carries a framed request to the handler and its replies back, one per read', async () => {
    const h = await newHarness();
    const seen: Array<{ cmd: number; payload: string; pid: number }> = [];
    const vfs = new Vfs({
      meta: h.meta,
      store: h.store,
      format: h.vfs.format,
      control: async (ctx, cmd, payload, reply) => {
        seen.push({ cmd, payload: payload.toString(), pid: ctx.pid });
        reply(Buffer.from('progress-frame'));
        await new Promise((r) => setImmediate(r));
        reply(Buffer.from([0]));
      },
    });
    const ctx = { ...h.ctx, pid: 99 };
    const o = await vfs.open(ctx, CONTROL_INODE, O_RDWR);
    const message = Buffer.alloc(8 + 5);
    message.writeUInt32BE(1002, 0);
    message.writeUInt32BE(5, 4);
    message.write('hello', 8);
    // Written in two pieces: the handler runs once the message is complete.
    await vfs.write(ctx, CONTROL_INODE, o.fh, 0, message.subarray(0, 6));
    expect(seen).toHaveLength(0);
    await vfs.write(ctx, CONTROL_INODE, o.fh, 6, message.subarray(6));
    expect((await vfs.read(ctx, CONTROL_INODE, o.fh, 0, 100)).toString()).toBe('progress-frame');
    expect([...(await vfs.read(ctx, CONTROL_INODE, o.fh, 14, 100))]).toEqual([0]);
    expect((await vfs.read(ctx, CONTROL_INODE, o.fh, 15, 100)).length).toBe(0);
    expect(seen).toEqual([{ cmd: 1002, payload: 'hello', pid: 99 }]);
    await vfs.release(ctx, CONTROL_INODE, o.fh);

    // Without a handler the answer is the errno byte ENOSYS.
    const plain = await h.vfs.open(h.ctx, CONTROL_INODE, O_RDWR);
    await h.vfs.write(h.ctx, CONTROL_INODE, plain.fh, 0, message);
    expect([...(await h.vfs.read(h.ctx, CONTROL_INODE, plain.fh, 0, 100))]).toEqual([38]);
  });

  it('the trash directory is a node of the engine under a virtual name', async () => {
    const h = await newHarness();
    const e = await h.vfs.lookup(h.ctx, ROOT_INODE, '.trash');
    expect(e.ino).toBe(TRASH_INODE);
    expect(e.attr.type).toBe(2);
  });
});

describe('VFS access log subscribers', () => {
  it('get every operation\'s line while subscribed, without an open .accesslog, and none after', async () => {
    const h = await newHarness();
    const lines: string[] = [];
    const stop = h.vfs.logAccessTo((line) => lines.push(line.toString()));
    await h.vfs.mkdir(h.ctx, ROOT_INODE, 'seen', 0o755, 0);
    stop();
    await h.vfs.mkdir(h.ctx, ROOT_INODE, 'unseen', 0o755, 0);
    expect(lines.filter((l) => / mkdir \(/.test(l)).map((l) => /mkdir \(1,(\w+)/.exec(l)?.[1])).toEqual(['seen']);
    expect(lines.every((l) => l.endsWith('>\n'))).toBe(true);
  });
});
