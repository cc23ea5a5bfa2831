import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, juicefsAsync, mustFormat } from './tools-volume.js';

// The tools against a real FUSE mount (`juicefs mount -d`, SQLite + file storage): info, warmup,
// stats, bench and rmr through the mount's .control and .stats, and the --metrics endpoint.

const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse');

let dir: string;
let mp: string;
let meta: string;
beforeAll(() => {
  if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-tools-mnt-'));
  mp = path.join(dir, 'mp');
  fs.mkdirSync(mp);
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'mnt-vol', path.join(dir, 'bucket'), '--block-size', '64', '--trash-days', '0');
  const m = juicefs('mount', '-d', meta, mp, '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'), '--metrics', '127.0.0.1:0',
    // rmr works beside the kernel's and the VFS's caches (there is no entry invalidation hook
    // yet), so caches are off here to see its result at once.
    '--entry-cache', '0', '--dir-entry-cache', '0', '--attr-cache', '0');
  if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
});
afterAll(() => {
  if (!canMount) return;
  const u = juicefs('umount', mp);
  if (u.code !== 0) juicefs('umount', '--force', mp);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tools on a mount', () => {
  it('info shows the objects of a file and a directory summary; -i takes inodes', () => {
    fs.mkdirSync(path.join(mp, 'x/y'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'x/big'), Buffer.alloc(200000, 7));
    fs.writeFileSync(path.join(mp, 'x/y/s'), 'hello');
    const r = juicefs('info', path.join(mp, 'x/big'), '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as { Ino: number; Paths: string[]; Summary: { Length: number }; Objects: Array<{ Key: string; Size: number }> };
    expect(info.Paths).toEqual(['/x/big']);
    expect(info.Summary.Length).toBe(200000);
    expect(info.Objects.map((o) => o.Size)).toEqual([65536, 65536, 65536, 3392]);
    for (const o of info.Objects) expect(fs.statSync(path.join(dir, 'bucket', o.Key)).size).toBe(o.Size);
    expect(info.Ino).toBe(Number(fs.statSync(path.join(mp, 'x/big')).ino));
    const d = juicefs('info', '-r', path.join(mp, 'x'));
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/files: 2\n\s+dirs: 2\n length: 195\.32 KiB \(200005 Bytes\)/);
    const byIno = juicefs('info', '-i', mp, String(info.Ino), '--json');
    expect((JSON.parse(byIno.out) as { Paths: string[] }).Paths).toEqual(['/x/big']);
  });

  it('warmup fills the cache with a tree, --evict drops a file and --check tells what is cached', () => {
    const w = juicefs('warmup', path.join(mp, 'x'), '--json');
    expect(w.code).toBe(0);
    expect(JSON.parse(w.out)).toMatchObject({ FileCount: 2, SliceCount: 2, TotalBytes: 200005 });
    const e = juicefs('warmup', '--evict', path.join(mp, 'x/big'));
    expect(e.code).toBe(0);
    expect(e.err).toContain('evicted 1 files, 1 slices');
    const check = juicefs('warmup', '--check', path.join(mp, 'x'), '--json');
    expect(check.code).toBe(0);
    const r = JSON.parse(check.out) as { FileCount: number; TotalBytes: number; MissBytes: number; Locations: Record<string, number> };
    expect(r).toMatchObject({ FileCount: 2, TotalBytes: 200005, MissBytes: 200000 });
    expect(Object.values(r.Locations).reduce((a, b) => a + b, 0)).toBe(5);
    expect(juicefs('warmup', path.join(mp, 'x/big')).code).toBe(0);
    const again = juicefs('warmup', '--check', path.join(mp, 'x'));
    expect(again.code).toBe(0);
    // JuiceFS's table (sizes as go-humanize writes them, figures right-aligned) on stdout, and
    // its "check cache" line in the log (stderr).
    expect(again.out).toMatch(/\| +Location +\| +Size +\| Percentage \|/);
    expect(again.out).toMatch(new RegExp(`\\| ${path.join(dir, 'cache')} +\\| +5 B \\| +0\\.0% \\|`));
    expect(again.out).toMatch(/\| memory +\| 195 KiB \| +100\.0% \|/);
    expect(again.err).toMatch(/check cache: 2 files checked, (.+ KiB) of \1 \(100\.0%\) cached\n$/);
  });

  it('summary shows a tree by size, --entries folds the rest into "...", --csv prints bytes', () => {
    const t = juicefs('summary', path.join(mp, 'x'));
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    // Drawn as JuiceFS's printResult does: headers centred, PATH left and the figures right.
    expect(t.out.split('\n').slice(1, 5)).toEqual(['| PATH |   SIZE  | DIRS | FILES |', expect.stringMatching(/^\+/), '| /    | 208 KiB |    2 |     2 |', '| big  | 196 KiB |    0 |     1 |']);
    const rows = t.out.split('\n').slice(3, -2).map((l) => l.split('|').slice(1, 5).map((c) => c.trim()));
    // As JuiceFS prints them: the summarized directory is "/", the rest relative to it.
    expect(rows).toEqual([
      ['/', '208 KiB', '2', '2'],
      ['big', '196 KiB', '0', '1'],
      ['y/', '8.0 KiB', '1', '1'],
      ['y/s', '4.0 KiB', '0', '1'],
    ]);
    const folded = juicefs('summary', path.join(mp, 'x'), '--entries', '1', '--csv');
    expect(folded.code).toBe(0);
    expect(folded.out.trim().split('\n')).toEqual(['PATH,SIZE,DIRS,FILES', '/,212992,2,2', 'big,200704,0,1', '...,8192,1,1']);
    const top = juicefs('summary', path.join(mp, 'x'), '-d', '0', '--csv');
    expect(top.out.trim().split('\n')).toEqual(['PATH,SIZE,DIRS,FILES', '/,212992,2,2']);
    const file = juicefs('summary', path.join(mp, 'x/big'), '--csv');
    expect(file.out.trim().split('\n')).toEqual(['PATH,SIZE,DIRS,FILES', '/,200704,0,1']);
  });

  it('clone copies a tree without its data: shared objects, copy on write, --preserve keeps mode and times', () => {
    fs.symlinkSync('big', path.join(mp, 'x/link'));
    fs.chmodSync(path.join(mp, 'x/y/s'), 0o777);
    fs.utimesSync(path.join(mp, 'x/y/s'), 1_600_000_000, 1_600_000_000);
    const c = juicefs('clone', path.join(mp, 'x'), path.join(mp, 'x2'));
    expect(c.err).toBe('');
    expect(c.code).toBe(0);
    expect(fs.readFileSync(path.join(mp, 'x2/big')).equals(fs.readFileSync(path.join(mp, 'x/big')))).toBe(true);
    expect(fs.readFileSync(path.join(mp, 'x2/y/s'), 'utf8')).toBe('hello');
    expect(fs.readlinkSync(path.join(mp, 'x2/link'))).toBe('big');
    const objects = (p: string) => (JSON.parse(juicefs('info', p, '--json').out) as { Objects: Array<{ Key: string }> }).Objects.map((o) => o.Key);
    expect(objects(path.join(mp, 'x2/big'))).toEqual(objects(path.join(mp, 'x/big'))); // the same objects, not copies
    expect(fs.statSync(path.join(mp, 'x2/y/s')).mode & 0o777).toBe(0o777 & ~process.umask());
    // Writing the copy leaves the source as it was.
    const fd = fs.openSync(path.join(mp, 'x2/big'), 'r+');
    fs.writeSync(fd, Buffer.from('changed'), 0, 7, 0);
    fs.closeSync(fd);
    expect(fs.readFileSync(path.join(mp, 'x/big')).subarray(0, 7).equals(Buffer.alloc(7, 7))).toBe(true);
    const kept = juicefs('clone', '--preserve', path.join(mp, 'x/y'), path.join(mp, 'y3'));
    expect(kept.code).toBe(0);
    const st = fs.statSync(path.join(mp, 'y3/s'));
    expect([st.mode & 0o777, Math.floor(st.mtimeMs / 1000)]).toEqual([0o777, 1_600_000_000]);
    const again = juicefs('clone', path.join(mp, 'x'), path.join(mp, 'x2'));
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/EEXIST/);
    const noParent = juicefs('clone', path.join(mp, 'x'), path.join(mp, 'nope/x'));
    expect(noParent.code).toBe(1);
    expect(noParent.err).toMatch(/not an existing directory/);
    fs.rmSync(path.join(mp, 'x2'), { recursive: true });
    fs.rmSync(path.join(mp, 'y3'), { recursive: true });
    fs.unlinkSync(path.join(mp, 'x/link'));
  });

  it('compact merges the slices of a file written in many flushed pieces', () => {
    const file = path.join(mp, 'frag');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 12; i++) {
      fs.writeSync(fd, Buffer.alloc(1000, i));
      fs.fsyncSync(fd); // each flush commits a slice of its own
    }
    fs.closeSync(fd);
    const slices = () => (JSON.parse(juicefs('info', file, '--raw', '--json').out) as { Chunks: unknown[] }).Chunks.length;
    expect(slices()).toBe(12);
    const c = juicefs('compact', file, '-p', '2');
    expect(c.err).toContain(`compacted ${file} (1 chunks)`);
    expect(c.code).toBe(0);
    expect(slices()).toBe(1);
    const back = fs.readFileSync(file);
    for (let i = 0; i < 12; i++) expect(back.subarray(i * 1000, (i + 1) * 1000).equals(Buffer.alloc(1000, i))).toBe(true);
    const missing = juicefs('compact', path.join(mp, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/ENOENT/);
  });

  it('profile follows the live access log: operations by time spent, then stops after --count screens', async () => {
    let running = true;
    const run = juicefsAsync('profile', mp, '--interval', '1', '--count', '2').finally(() => (running = false));
    // Activity for as long as it watches: it only sees lines logged after it opened the log, and
    // a loaded machine may take a second to start it.
    for (let i = 0; running; i++) {
      fs.statSync(path.join(mp, `x`));
      fs.writeFileSync(path.join(mp, `prof-file-${i % 3}`), 'data');
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await run;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const screens = r.out.split('> JuiceFS Profiling').slice(1);
    expect(screens).toHaveLength(2);
    expect(r.out).toMatch(/Operation +Count +Average\(us\) +Total\(us\) +Percent\(%\)/);
    expect(r.out).toMatch(/^(create|write|flush|release|getattr|lookup) +\d+ +\d+ +\d+ +\d+\.\d$/m);
    const notMount = juicefs('profile', dir);
    expect(notMount.code).toBe(1);
    expect(notMount.err).toMatch(/not the root of a JuiceFS mount/);
  });

  it('stats prints a header and --count lines', () => {
    const s = juicefs('stats', mp, '--count', '2', '--interval', '0.3');
    expect(s.code).toBe(0);
    const lines = s.out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/cpu\s+mem\s+buf\s*\|\s*ops\s+lat\s+read\s+write\s*\|/);
    expect(lines[2]).toMatch(/^\s*[\d.]+%\s*\d+[KMG]/);
  });

  it('bench runs on the mount and adds the rows from .stats', () => {
    const b = juicefs('bench', mp, '-p', '2', '--big-file-size', '2', '--small-file-count', '10', '--small-file-size', '16');
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    const ops = /\|\s+FUSE operation \|\s+(\d+) operations \|/.exec(b.out);
    expect(Number(ops?.[1])).toBeGreaterThan(100);
    // As JuiceFS: object and cache rows with their mean latency, and the mount's usage line.
    const row = (item: string) => new RegExp(`\\|\\s+${item} \\|\\s+(\\d+) operations \\|\\s+([\\d.]+) ms/op \\|`).exec(b.out);
    for (const item of ['Put object', 'Write into cache']) expect(Number(row(item)?.[1])).toBeGreaterThanOrEqual(20); // 20 small files, one block each
    // A put writes a file (a cache write of a file bucket's block is a hard link: it may round to 0.00).
    expect(Number(row('Put object')?.[2])).toBeGreaterThan(0);
    // bench removes its files at the end: their objects go to the trash, so no DELETE during the run.
    for (const item of ['Get object', 'Delete object', 'Read from cache', 'Update meta']) expect(row(item)).not.toBeNull();
    expect(b.out).toMatch(/^Time used: [\d.]+ s, CPU: [\d.]+%, Memory: [\d.]+ MiB$/m);
    expect(fs.readdirSync(mp).filter((n) => n.startsWith('__juicefs_benchmark'))).toEqual([]);
  });

  it('serves Prometheus metrics with the mount’s figures', async () => {
    const url = /prometheus metrics at (\S+)/.exec(fs.readFileSync(path.join(dir, 'log'), 'utf8'))?.[1];
    expect(url).toBeDefined();
    const text = await (await fetch(url!)).text();
    const written = /^juicefs_fuse_written_bytes\{[^}]*vol_name="mnt-vol"[^}]*\} (\d+)$/m.exec(text);
    expect(Number(written?.[1])).toBeGreaterThanOrEqual(200005);
    expect(text).toMatch(/^juicefs_fuse_ops_durations_histogram_seconds_count\{method="write"/m);
  });

  it('rmr removes a tree through the mount; gc and fsck agree with the result', () => {
    const r = juicefs('rmr', path.join(mp, 'x'));
    expect(r.err).toMatch(/removed .*\/x \(4 entries\)/);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(mp, 'x'))).toBe(false);
    expect(juicefs('fsck', meta).code).toBe(0);
    const g = juicefs('gc', meta, '--json');
    expect(g.code).toBe(0);
    expect((JSON.parse(g.out) as { LeakedObjects: { count: number } }).LeakedObjects.count).toBe(0);
  });
});
