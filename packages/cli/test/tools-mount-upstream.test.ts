import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileTransport, sendControl } from '../src/control/client.js';
import { ControlCode, PayloadWriter, dataFrame } from '../src/control/protocol.js';
import { juicefs, repo } from './tools-volume.js';
import { scratchVolume } from './support/scratch-volume.js';

// The mount-side tools where they once differed from JuiceFS as a user sees it (each case names
// the upstream behaviour it checks), against a real FUSE mount (SQLite + file storage).

const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');

const volume = scratchVolume('jfs-tools-upstream-', 'up-vol', '--block-size', '64');
let dir: string;
let mp: string;
beforeAll(() => {
  ({ dir, mp } = volume);
  volume.mount('--entry-cache', '0', '--dir-entry-cache', '0', '--attr-cache', '0');
});

describe('clone', () => {
  it('refuses a destination inside the source (upstream: "should not be under the SRC path") instead of cloning without end', () => {
    fs.mkdirSync(path.join(mp, 'c1/sub'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'c1/sub/a'), 'hi');
    const r = juicefs('clone', path.join(mp, 'c1'), path.join(mp, 'c1/sub/inside'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is under .*c1: the clone must be made outside the tree it copies/);
    expect(fs.readdirSync(path.join(mp, 'c1/sub'))).toEqual(['a']);
  });

  it('the mount refuses it too, whichever request layout a client sends, and clones from the trash never', async () => {
    const src = fs.statSync(path.join(mp, 'c1'), { bigint: true });
    const into = fs.statSync(path.join(mp, 'c1/sub'), { bigint: true });
    const name = Buffer.from('loop');
    const t = await fileTransport(mp);
    try {
      // The layout older JuiceFS CLIs send (src, dstParent, name, umask, mode) ...
      const legacy = new PayloadWriter().u64(src.ino).u64(into.ino).u8(name.length).bytes(name).u16(0o022).u8(0).build();
      expect(await sendControl(t, ControlCode.Clone, legacy)).toEqual({ errno: 22 }); // EINVAL
      // ... and the newer one, with the source's parent after src.
      const newer = new PayloadWriter().u64(src.ino).u64(1n).u64(into.ino).u8(name.length).bytes(name).u16(0o022).u8(0).build();
      expect(await sendControl(t, ControlCode.Clone, newer)).toEqual({ errno: 22 });
      const fromTrash = new PayloadWriter().u64(src.ino).u64(0x7fffffff10000001n).u64(1n).u8(name.length).bytes(name).u16(0o022).u8(0).build();
      expect(await sendControl(t, ControlCode.Clone, fromTrash)).toEqual({ errno: 1 }); // EPERM
      const intoTrash = new PayloadWriter().u64(src.ino).u64(1n).u64(0x7fffffff10000000n).u8(name.length).bytes(name).u16(0o022).u8(0).build();
      expect(await sendControl(t, ControlCode.Clone, intoTrash)).toEqual({ errno: 1 });
      // The newer layout clones where it is asked to (a Go 1.5 CLI's request).
      const ok = new PayloadWriter().u64(src.ino).u64(1n).u64(1n).u8(name.length).bytes(name).u16(0o022).u8(0).build();
      expect(await sendControl(t, ControlCode.Clone, ok)).toEqual({ errno: 0 });
    } finally {
      await t.close();
    }
    expect(fs.readFileSync(path.join(mp, 'loop/sub/a'), 'utf8')).toBe('hi');
    expect(fs.existsSync(path.join(mp, 'c1/sub/loop'))).toBe(false);
  });

  it('a DST ending in "/" is the directory to clone into, and an existing DST is named', () => {
    fs.mkdirSync(path.join(mp, 'c2'));
    const r = juicefs('clone', path.join(mp, 'c1/sub/a'), `${path.join(mp, 'c2')}/`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(mp, 'c2/a'), 'utf8')).toBe('hi');
    const again = juicefs('clone', path.join(mp, 'c1/sub/a'), path.join(mp, 'c2/a'));
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${path.join(mp, 'c2/a')} already exists`);
  });
});

describe('output', () => {
  it('a reader that goes away (juicefs info ... | head) ends the command quietly, as SIGPIPE ends the Go one', async () => {
    fs.writeFileSync(path.join(mp, 'piped'), 'x');
    const child = spawn(process.execPath, [bin, 'info', path.join(mp, 'piped')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before anything is written
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(141);
  });
});

describe('info', () => {
  /** Run the command from `cwd`, as a user does after `cd` into the mount. */
  const juicefsIn = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', input: '', timeout: 120000 });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };

  it('-i takes inode numbers in the mount of the current directory (upstream: cd /mnt/jfs; juicefs info -i 100)', () => {
    fs.mkdirSync(path.join(mp, 'i1'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'i1/f'), 'data');
    const ino = fs.statSync(path.join(mp, 'i1/f')).ino;
    const r = juicefsIn(path.join(mp, 'i1'), 'info', '-i', String(ino));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${ino} :\n  inode: ${ino}\n`);
    expect(r.out).toContain('   path: /i1/f\n');
    const outside = juicefsIn(os.tmpdir(), 'info', '-i', String(ino));
    expect(outside.code).toBe(1);
    expect(outside.err).toMatch(/is not inside a JuiceFS mount: cd into the mount first, or name it: juicefs info -i MOUNTPOINT INODE/);
    const notIno = juicefsIn(mp, 'info', '-i', mp, 'i1/f');
    expect(notIno.code).toBe(1);
    expect(notIno.err).toContain('i1/f is not an inode number');
  });

  it('a hard-linked file shows all its paths (upstream GetPaths through the parents), not "unknown"', () => {
    fs.mkdirSync(path.join(mp, 'h1'));
    fs.mkdirSync(path.join(mp, 'h2'));
    fs.writeFileSync(path.join(mp, 'h1/a'), 'linked');
    fs.linkSync(path.join(mp, 'h1/a'), path.join(mp, 'h1/b'));
    fs.linkSync(path.join(mp, 'h1/a'), path.join(mp, 'h2/c'));
    const r = juicefs('info', path.join(mp, 'h2/c'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('  paths:\n\t/h1/a\n\t/h1/b\n\t/h2/c\n');
  });

  it('prints the tier and the objects as JuiceFS does: a boxed table with the position of each object in the file', () => {
    fs.mkdirSync(path.join(mp, 'i1'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'i1/two'), Buffer.alloc(100000, 3)); // 64 KiB blocks: two objects
    const r = juicefs('info', path.join(mp, 'i1/two'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('   path: /i1/two\n   tier: 0->default\n objects:\n');
    const table = r.out.split(' objects:\n')[1]!.trim().split('\n');
    expect(table[1]).toMatch(/^\| chunkIndex \| +objectName +\| +size +\| offset \| length \| +pos +\|$/);
    const cells = table.slice(3, -1).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(cells.map((c) => [c[0], c[2], c[3], c[4], c[5]])).toEqual([
      ['0', '65536', '0', '65536', '0'],
      ['0', '34464', '0', '34464', '65536'],
    ]);
    expect(cells[0]![1]).toMatch(/^up-vol\/chunks\/\d+\/\d+\/\d+_0_65536$/);
    const raw = juicefs('info', '--raw', path.join(mp, 'i1/two'));
    expect(raw.out).toMatch(/ chunks:\n\+-+\+.*\n\| chunkIndex \| sliceId \|  size  \| offset \| length \|\n/);
  });

  it('the trash shows its exact inode and its path (upstream: 9223372032828243968, /.trash)', () => {
    const r = juicefs('info', path.join(mp, '.trash'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('  inode: 9223372032828243968\n');
    expect(r.out).toContain('   path: /.trash\n');
    // What goes to a Go CLI: the exact digits in the JSON, as Go encodes a uint64.
    expect(dataFrame({ Ino: 0x7fffffff10000000n }).subarray(5).toString()).toBe('{"Ino":9223372032828243968}');
  });
});

describe('warmup', () => {
  it('skips a path that is gone with a warning and warms the rest; an empty list is no error (upstream: logged and skipped)', () => {
    fs.mkdirSync(path.join(mp, 'w'));
    fs.writeFileSync(path.join(mp, 'w/f'), Buffer.alloc(70000, 1));
    const list = path.join(dir, 'list');
    fs.writeFileSync(list, `${path.join(mp, 'w/gone')}\n${path.join(mp, 'w/f')}\n`);
    const r = juicefs('warmup', '-f', list);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`skipped ${path.join(mp, 'w/gone')}: no such file or directory`);
    expect(r.err).toContain('warmed up 1 files, 1 slices');
    fs.writeFileSync(list, '\n');
    const empty = juicefs('warmup', '-f', list);
    expect(empty.code).toBe(0);
    expect(empty.err).toContain('nothing to do');
    expect(juicefs('warmup').code).toBe(1); // nothing named at all is still a mistake
  });

  it('the mount skips paths it cannot resolve and takes "inode:N" (what the Go CLI sends from a mount at /)', async () => {
    const ino = fs.statSync(path.join(mp, 'w/f'), { bigint: true }).ino;
    const list = Buffer.from(['/w/gone', '/w/f', `inode:${ino}`].join('\n'));
    const t = await fileTransport(mp);
    try {
      const req = new PayloadWriter().u32(list.length).bytes(list).u16(4).u8(0).u8(2).build(); // check
      const r = await sendControl(t, ControlCode.FillCache, req);
      expect(r).toMatchObject({ data: { FileCount: 2, TotalBytes: 140000 } });
    } finally {
      await t.close();
    }
  });
});

describe('rmr', () => {
  it('names the mount point as the root of the volume, and refuses --skip-trash to non-root before asking the mount', () => {
    const r = juicefs('rmr', `${mp}/`);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is the root of the volume: name a directory inside it');
    fs.mkdirSync(path.join(mp, 'r1/a'), { recursive: true });
    const user = spawnSync(process.execPath, [bin, 'rmr', '--skip-trash', path.join(mp, 'r1/a')], { cwd: repo, encoding: 'utf8', uid: 65534, gid: 65534 });
    expect(user.status).toBe(1);
    expect(user.stderr).toContain('only root can remove files directly (--skip-trash)');
    expect(fs.existsSync(path.join(mp, 'r1/a'))).toBe(true);
  });
});

describe('stats', () => {
  it('takes --schema and --verbosity/-l (upstream: juicefs stats /mnt/jfs -l 1) and -c for --count', () => {
    const more = juicefs('stats', mp, '-l', '1', '-c', '1', '--interval', '0.3');
    expect(more.err).toBe('');
    expect(more.code).toBe(0);
    const [sections, names] = more.out.split('\n');
    expect(sections).toMatch(/usage-* -+fuse-* -+meta-* -+blockcache-* -+object/);
    expect(names).toMatch(/cpu\s+mem\s+buf\s+cache\s*\|/);
    expect(names).toMatch(/ops\s+lat\s+txn\s+lat\s+retry\s*\|/);
    expect(names).toMatch(/get\s+get_c\s+lat\s+put\s+put_c\s+lat\s+del_c\s+lat\s*$/);
    const some = juicefs('stats', mp, '--schema', 'tu', '--count', '1', '--interval', '0.3');
    expect(some.code).toBe(0);
    const lines = some.out.trim().split('\n');
    expect(lines[0]).toMatch(/^-+system-+ -+usage-+$/);
    expect(lines[2]).toMatch(/^\d\d-\d\d \d\d:\d\d:\d\d\|/);
    const none = juicefs('stats', mp, '--schema', 'x', '--count', '1');
    expect(none.code).toBe(1);
    expect(none.err).toContain("no section for 'x' in --schema x");
    expect(none.err).toContain('no section to watch in --schema x');
  });
});

describe('info of several paths', () => {
  it('shows every path it can and names the one that failed (upstream logs it and goes on)', () => {
    fs.mkdirSync(path.join(mp, 'm1'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'm1/a'), 'a');
    const r = juicefs('info', path.join(mp, 'm1/a'), path.join(mp, 'm1/missing'), path.join(mp, 'm1'));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${path.join(mp, 'm1/a')} :\n`);
    expect(r.out).toContain(`${path.join(mp, 'm1')} :\n`);
    expect(r.err).toContain(`${path.join(mp, 'm1/missing')}: ENOENT`);
    expect(r.err).toContain('1 of 3 paths failed (named above)');
  });
});
