import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fuseTuning, parseIoSize, parseUmask, type FuseFlags } from '../src/mount/flags-fuse.js';
import { scratchVolume, TAIL_ACCESS_LOG } from './support/scratch-volume.js';
import { juicefs, mustFormat } from './tools-volume.js';

// JuiceFS's flags about the FUSE mount itself: --max-fuse-io, --enable-ioctl, --force, and the
// --storage override, each checked through a real mount.

const defaults: FuseFlags = { 'max-fuse-io': '1M', 'enable-ioctl': false, 'enable-selinux': false, force: false };

describe('FUSE mount flags: parsing', () => {
  it('sizes as JuiceFS writes them, within the kernel limits', () => {
    expect(['128K', '1M', '1MiB', '65536', '256kb'].map((t) => parseIoSize('max-fuse-io', t))).toEqual([131072, 1048576, 1048576, 65536, 262144]);
    for (const bad of ['2M', '1K', '100000', 'lots']) expect(() => parseIoSize('max-fuse-io', bad)).toThrow(`--max-fuse-io ${bad}:`);
  });

  it('turn into serve options; a bad --storage is refused before mounting', () => {
    expect(fuseTuning({ ...defaults, 'max-fuse-io': '128K', 'enable-ioctl': true, storage: 's3' })).toEqual({
      maxFuseIo: 131072, enableIoctl: true, enableSelinux: false, force: false, storage: 's3',
    });
    expect(() => fuseTuning({ ...defaults, storage: 's3://x' })).toThrow('--storage s3://x: give a storage type such as s3, file, minio or gcs');
  });

  it('--umask is octal, as JuiceFS reads it, and nothing beyond the permission bits', () => {
    expect(['022', '77', '0', '0027'].map(parseUmask)).toEqual([0o22, 0o77, 0, 0o27]);
    for (const bad of ['8', '0999', '1777', 'u=rwx', '']) expect(() => parseUmask(bad)).toThrow(`--umask ${bad}: give octal permission bits to clear`);
    expect(fuseTuning({ ...defaults, umask: '077' })).toMatchObject({ umask: 0o77 });
  });
});

describe('FUSE mount flags: a mount that uses them', () => {
  const v = scratchVolume('jfs-fuseflags-', 'fuse-vol', '--trash-days', '0');

  // One 1 MiB write; the access log shows the sizes of the WRITE requests it arrived in.
  const largestWrite = (): number => {
    const probe = `import os, sys, threading, time, json, re
m = sys.argv[1]
${TAIL_ACCESS_LOG}
fd = os.open(m + "/big", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"w" * (1 << 20)); os.close(fd)
time.sleep(1.2)
sizes = [int(x) for x in re.findall(r"write \\(\\d+,(\\d+),", "".join(lines))]
print(json.dumps(max(sizes) if sizes else 0))`;
    const r = spawnSync('python3', ['-c', probe, v.mp], { encoding: 'utf8' });
    return JSON.parse(r.stdout) as number;
  };

  it('--max-fuse-io caps the kernel\'s WRITE requests (1 MiB by default here, JuiceFS\'s 128K when asked)', () => {
    const sizes: number[] = [];
    const shown: number[] = [];
    for (const flags of [[], ['--max-fuse-io', '128K']]) {
      v.mount(...flags);
      try {
        sizes.push(largestWrite());
        expect(fs.statSync(path.join(v.mp, 'big')).size).toBe(1 << 20);
        shown.push((JSON.parse(fs.readFileSync(path.join(v.mp, '.config'), 'utf8')) as { Chunk: { MaxWrite: number } }).Chunk.MaxWrite);
      } finally {
        v.unmount();
      }
    }
    // .config shows the same figure, as JuiceFS's Chunk.MaxWrite does.
    expect({ sizes, shown }).toEqual({ sizes: [1 << 20, 128 << 10], shown: [1 << 20, 128 << 10] });
  });

  it('--enable-ioctl: lsattr/chattr work only with it, as on JuiceFS', () => {
    const attrs = (flags: string[]) => {
      v.mount(...flags);
      try {
        const f = path.join(v.mp, 'flagged');
        fs.writeFileSync(f, 'x');
        const set = spawnSync('chattr', ['+a', f], { encoding: 'utf8' });
        const get = spawnSync('lsattr', ['-d', f], { encoding: 'utf8' });
        spawnSync('chattr', ['-a', f]);
        fs.rmSync(f);
        // The kernel turns the refusal of these two into EOPNOTSUPP for the caller.
        const refused = (r: { stderr: string }) => (r.stderr.includes('Operation not supported') ? 'EOPNOTSUPP' : r.stderr);
        return { set: set.status === 0 ? 'ok' : refused(set), get: get.status === 0 ? (get.stdout.split(' ')[0] ?? '').includes('a') : refused(get) };
      } finally {
        v.unmount();
      }
    };
    expect([attrs([]), attrs(['--enable-ioctl'])]).toEqual([{ set: 'EOPNOTSUPP', get: 'EOPNOTSUPP' }, { set: 'ok', get: true }]);
  });

  it('--enable-selinux: security.selinux labels are kept only with it (with --enable-xattr), other xattrs either way', () => {
    const labels = (flags: string[]) => {
      v.mount('--enable-xattr', ...flags);
      try {
        const f = path.join(v.mp, 'labelled');
        fs.writeFileSync(f, 'x');
        // Python's os.setxattr/getxattr: the attr tools are not installed on every machine.
        const probe = `import os, sys, json
f = sys.argv[1]
def attempt(fn):
    try: return fn()
    except OSError as e: return {95: "EOPNOTSUPP", 61: "ENODATA"}.get(e.errno, str(e))
out = {"set": attempt(lambda: os.setxattr(f, "security.selinux", b"system_u:object_r:tmp_t:s0") or "ok"),
       "get": attempt(lambda: os.getxattr(f, "security.selinux").decode().rstrip("\\0")),
       "user": attempt(lambda: os.setxattr(f, "user.k", b"v") or os.getxattr(f, "user.k").decode())}
print(json.dumps(out))`;
        const r = spawnSync('python3', ['-c', probe, f], { encoding: 'utf8' });
        fs.rmSync(f);
        return JSON.parse(r.stdout) as unknown;
      } finally {
        v.unmount();
      }
    };
    expect([labels([]), labels(['--enable-selinux'])]).toEqual([
      { set: 'EOPNOTSUPP', get: 'ENODATA', user: 'v' },
      { set: 'ok', get: 'system_u:object_r:tmp_t:s0', user: 'v' },
    ]);
  });

  it('--umask replaces the creating program\'s umask for files, directories, fifos and O_CREAT opens', () => {
    // Each row is made by a shell with its own umask; the mount's --umask wins over it either way.
    const modes = (flags: string[], shellUmask: string) => {
      v.mount(...flags);
      try {
        const d = path.join(v.mp, `um-${shellUmask}`);
        const r = spawnSync('sh', ['-c', `umask ${shellUmask} && mkdir "$1" && touch "$1/f" && mkfifo "$1/p" && mkdir "$1/sub" && stat -c %a "$1" "$1/f" "$1/p" "$1/sub"`, 'sh', d], { encoding: 'utf8' });
        fs.rmSync(d, { recursive: true });
        return r.stdout.trim().split('\n').join(' ');
      } finally {
        v.unmount();
      }
    };
    expect({
      without: modes([], '027'),
      strict: modes(['--umask', '077'], '000'),
      loose: modes(['--umask', '002'], '077'),
    }).toEqual({
      without: '750 640 640 750',
      strict: '700 600 600 700',
      loose: '775 664 664 775',
    });
  });

  it('--force mounts a second volume on top of the first; unmounting it uncovers the first', () => {
    const other = `sqlite3://${v.dir}/other.db`;
    mustFormat(other, 'other-vol', path.join(v.dir, 'other-bucket'), '--trash-days', '0');
    const volumeAt = () => (JSON.parse(fs.readFileSync(path.join(v.mp, '.config'), 'utf8')) as { Format: { Name: string } }).Format.Name;
    const mountOther = (...flags: string[]) =>
      juicefs('mount', '-d', other, v.mp, '--log', path.join(v.dir, 'other-log'), '--cache-dir', path.join(v.dir, 'other-cache'), '--metrics', '127.0.0.1:0', ...flags);
    v.mount();
    try {
      const refused = mountOther();
      const stillFirst = volumeAt();
      const forced = mountOther('--force');
      const onTop = volumeAt();
      const top = juicefs('umount', v.mp);
      expect({
        refused: [refused.code, /already a mount point/.test(refused.err)],
        stillFirst, forced: forced.code, onTop, top: top.code, uncovered: volumeAt(),
      }).toEqual({ refused: [1, true], stillFirst: 'fuse-vol', forced: 0, onTop: 'other-vol', top: 0, uncovered: 'fuse-vol' });
    } finally {
      v.unmount();
    }
  });

  it('--storage overrides the storage type of the volume (here: a mem volume served from a directory)', () => {
    const memMeta = `sqlite3://${v.dir}/mem.db`;
    expect(juicefs('format', memMeta, 'mem-vol', '--storage', 'mem', '--trash-days', '0').code).toBe(0);
    const bucket = path.join(v.dir, 'mem-as-file');
    const bad = juicefs('mount', '-d', memMeta, v.mp, '--storage', 'tape', '--log', path.join(v.dir, 'mem-log'), '--metrics', '127.0.0.1:0');
    const r = juicefs('mount', '-d', memMeta, v.mp, '--storage', 'file', '--bucket', bucket, '--log', path.join(v.dir, 'mem-log'),
      '--cache-dir', path.join(v.dir, 'mem-cache'), '--metrics', '127.0.0.1:0');
    try {
      expect(r.code).toBe(0);
      fs.writeFileSync(path.join(v.mp, 'kept'), Buffer.alloc(5000, 3));
      const objects = fs.readdirSync(path.join(bucket, 'mem-vol', 'chunks'), { recursive: true }).filter((f) => /_0_5000$/.test(String(f)));
      expect({ bad: [bad.code, /--storage tape is not supported: use file, mem, s3/.test(bad.err)], objects: objects.length }).toEqual({ bad: [1, true], objects: 1 });
    } finally {
      v.unmount();
    }
  });
});

describe('umount --flush', () => {
  const v = scratchVolume('jfs-flush-', 'flush-vol', '--trash-days', '0');
  const objects = () => (fs.existsSync(path.join(v.dir, 'bucket')) ? fs.readdirSync(path.join(v.dir, 'bucket'), { recursive: true }).filter((f) => /_0_300000$/.test(String(f))).length : 0);
  const staged = () => fs.readdirSync(path.join(v.dir, 'cache'), { recursive: true }).filter((f) => String(f).includes('rawstaging') && /_0_300000$/.test(String(f))).length;

  it('waits for the blocks --writeback staged (held by --upload-delay) before unmounting; a plain umount leaves them staged', () => {
    const round = (flush: boolean) => {
      v.mount('--writeback', '--upload-delay', '2');
      fs.writeFileSync(path.join(v.mp, flush ? 'flushed' : 'left'), Buffer.alloc(300000, flush ? 1 : 2));
      const before = objects();
      // What JuiceFS's own `umount --flush` reads: .config's Chunk.Writeback, and the staged
      // files under <Chunk.CacheDir>/rawstaging, which it waits to see gone.
      const chunk = (JSON.parse(fs.readFileSync(path.join(v.mp, '.config'), 'utf8')) as { Chunk: { Writeback?: boolean; CacheDir?: string } }).Chunk;
      const stagingDir = path.join(chunk.CacheDir ?? '', 'rawstaging');
      const goSees = chunk.Writeback === true && fs.existsSync(stagingDir) && fs.readdirSync(stagingDir, { recursive: true }).some((f) => /_0_300000$/.test(String(f)));
      const r = juicefs('umount', ...(flush ? ['--flush'] : []), v.mp);
      return { before, goSees, code: r.code, said: /waiting for 1 staged block to be uploaded/.test(r.err), after: objects(), staged: staged() };
    };
    expect(round(false)).toEqual({ before: 0, goSees: true, code: 0, said: false, after: 0, staged: 1 });
    // The next mount uploads what the first left too (its delay counts from the staged file's
    // mtime); --flush returns only once both are in the bucket.
    const second = round(true);
    expect({ ...second, before: undefined }).toEqual({ before: undefined, goSees: true, code: 0, said: true, after: 2, staged: 0 });
  });
});
