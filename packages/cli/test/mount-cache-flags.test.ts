import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheServeOptions, parseCacheMode, type CacheFlagValues } from '../src/mount/flags-cache.js';
import { parseDurationFlag as parseSeconds } from '../src/duration-flag.js';
import { juicefs } from './tools-volume.js';
import { scratchVolume } from './support/scratch-volume.js';

// JuiceFS's disk cache flags on `juicefs mount` command lines: checked before anything is
// mounted, then shown by what they do to the files in a real cache directory of a real mount.

const defaults: CacheFlagValues = {
  'cache-mode': '0600',
  'cache-items': 0,
  'cache-eviction': '2-random',
  'cache-expire': '0',
  'cache-scan-interval': '3600',
  'cache-partial-only': false,
  'verify-cache-checksum': 'extend',
};

describe('cache flags: parsing', () => {
  it('defaults as JuiceFS has them', () => {
    expect(cacheServeOptions(defaults)).toEqual({
      cacheMode: 0o600, cacheItems: 0, cacheEviction: '2-random', cacheExpire: 0, cacheScanInterval: 3600,
      cachePartialOnly: false, verifyCacheChecksum: 'extend',
    });
  });

  it('octal modes and Go durations, as JuiceFS reads them', () => {
    expect([parseCacheMode('0644'), parseCacheMode('640'), parseCacheMode('0')]).toEqual([0o644, 0o640, 0]);
    expect([parseSeconds('f', '3600'), parseSeconds('f', '1h'), parseSeconds('f', '1h30m'), parseSeconds('f', '90s'), parseSeconds('f', '0s'), parseSeconds('f', '1.5')])
      .toEqual([3600, 3600, 5400, 90, 0, 1.5]);
    expect(cacheServeOptions({ ...defaults, 'cache-scan-interval': '-1', 'cache-expire': '12h', 'cache-eviction': 'lru', 'verify-cache-checksum': 'shrink' }))
      .toMatchObject({ cacheScanInterval: 0, cacheExpire: 43200, cacheEviction: 'lru', verifyCacheChecksum: 'shrink' });
  });

  it('junk is refused, naming the flag and what to give', () => {
    const errorOf = (f: Partial<CacheFlagValues>): string => {
      try {
        cacheServeOptions({ ...defaults, ...f });
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(errorOf({ 'cache-mode': '0x1ff' })).toMatch(/--cache-mode 0x1ff: not an octal file mode; give e.g. 0600/);
    expect(errorOf({ 'cache-mode': '0800' })).toMatch(/--cache-mode 0800: not an octal file mode/);
    expect(errorOf({ 'cache-mode': '77777' })).toMatch(/--cache-mode 77777: not an octal file mode/);
    expect(errorOf({ 'cache-items': -1 })).toMatch(/--cache-items -1: give a whole number of blocks/);
    expect(errorOf({ 'cache-items': 2.5 })).toMatch(/--cache-items 2.5/);
    expect(errorOf({ 'cache-eviction': 'random' })).toMatch(/--cache-eviction random: use one of 2-random, lru, none/);
    expect(errorOf({ 'verify-cache-checksum': 'yes' })).toMatch(/--verify-cache-checksum yes: use one of none, full, shrink, extend/);
    expect(errorOf({ 'cache-expire': 'soon' })).toMatch(/--cache-expire "soon" is not a duration/);
    expect(errorOf({ 'cache-expire': '-5' })).toMatch(/--cache-expire -5: give a duration of 0/);
    expect(errorOf({ 'cache-scan-interval': '1 day' })).toMatch(/--cache-scan-interval "1 day" is not a duration/);
  });

  it('a bad value fails the command before anything is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-cache-bad-'));
    try {
      const r = juicefs('mount', `sqlite3://${dir}/none.db`, dir, '--cache-mode', 'rw-r--r--');
      expect({ code: r.code, err: r.err.trim().split('\n')[0] }).toEqual({
        code: 1,
        err: 'juicefs: EINVAL: --cache-mode rw-r--r--: not an octal file mode; give e.g. 0600 (owner only) or 0644',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const BS = 64 * 1024;

describe('cache flags: a mount that uses them', () => {
  const v = scratchVolume('jfs-cacheflags-', 'cache-vol', '--block-size', '64', '--trash-days', '0');
  /** Ten full blocks, one block and a 10 KiB tail, and the same again under another name. */
  const big = Buffer.alloc(10 * BS);
  const tail = Buffer.alloc(BS + 10 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 16)) & 0xff;
  for (let i = 0; i < tail.length; i++) tail[i] = (i * 13 + 5) & 0xff;

  const cacheDir = (): string => path.join(v.dir, 'cache');
  /** Block files under the cache directory (staging aside), with their sizes and modes. */
  const cacheFiles = (): Array<{ file: string; name: string; size: number; mode: number }> => {
    const out: Array<{ file: string; name: string; size: number; mode: number }> = [];
    const walk = (d: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // a directory emptied and removed meanwhile
        throw err;
      }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/^\d+_\d+_\d+$/.test(e.name) && p.includes(`${path.sep}raw${path.sep}`)) {
          // The mount may evict or expire the file between the listing and this stat: then it is gone.
          const st = fs.statSync(p, { throwIfNoEntry: false });
          if (st !== undefined) out.push({ file: p, name: e.name, size: st.size, mode: st.mode & 0o7777 });
        }
      }
    };
    if (fs.existsSync(cacheDir())) walk(cacheDir());
    return out.sort((a, b) => a.name.localeCompare(b.name));
  };
  /** Block files of full blocks (64 KiB in their names). */
  const fullBlocks = () => cacheFiles().filter((f) => f.name.endsWith(`_${BS}`));
  const emptyCache = (): void => fs.rmSync(cacheDir(), { recursive: true, force: true });
  const read = (name: string): Buffer => fs.readFileSync(path.join(v.mp, name));

  /** Waits until `ok` holds (background cache writes and the expiry loop run on their own). */
  const until = async (ok: () => boolean, ms = 10_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error('timed out waiting for the cache directory');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(() => {
    v.mount();
    fs.writeFileSync(path.join(v.mp, 'big'), big);
    fs.writeFileSync(path.join(v.mp, 'big2'), big);
    fs.writeFileSync(path.join(v.mp, 'tail'), tail);
    v.unmount();
  });
  beforeEach(() => emptyCache()); // each test reads into an empty cache (and a fresh page cache: a new mount)
  afterEach(() => {
    if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === v.mp)) v.unmount();
  });

  it('--cache-mode 0640 --cache-items 3: cached files get the mode, directories 0770, and no more than three blocks stay', async () => {
    v.mount('--cache-mode', '0640', '--cache-items', '3');
    expect(read('big').equals(big)).toBe(true);
    await until(() => cacheFiles().length > 0);
    v.unmount(); // writes in flight land before the process exits
    const files = cacheFiles();
    const dirMode = (fs.statSync(path.dirname(files[0]!.file)).mode & 0o7777).toString(8);
    expect({
      atMostThree: files.length <= 3,
      modes: [...new Set(files.map((f) => f.mode.toString(8)))],
      dirMode,
      // JuiceFS's checksums (two 32 KiB pieces) follow each block.
      sizes: [...new Set(files.map((f) => f.size))],
    }).toEqual({ atMostThree: true, modes: ['640'], dirMode: '770', sizes: [BS + 8] });
  });

  it('without --cache-items all ten blocks read stay cached (what the bound changes)', async () => {
    v.mount();
    expect(read('big').equals(big)).toBe(true);
    await until(() => fullBlocks().length === 10);
    expect(fullBlocks().map((f) => f.mode.toString(8))[0]).toBe('600');
  });

  it('--cache-eviction none --cache-items 2: the cache keeps its first two blocks and takes no others', async () => {
    v.mount('--cache-eviction', 'none', '--cache-items', '2');
    expect(read('big').equals(big)).toBe(true);
    await until(() => fullBlocks().length === 2);
    const kept = fullBlocks().map((f) => f.name);
    expect(read('big2').equals(big)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(fullBlocks().map((f) => f.name)).toEqual(kept);
  });

  it('--verify-cache-checksum: a flipped byte in a cache file is caught (extend, the default) and returned only with none', async () => {
    v.mount();
    expect(read('big').equals(big)).toBe(true);
    await until(() => fullBlocks().length === 10);
    v.unmount();
    // Flip a byte in the middle of every cached block.
    for (const f of fullBlocks()) {
      const b = fs.readFileSync(f.file);
      b[BS / 2] = b[BS / 2]! ^ 0xff;
      fs.writeFileSync(f.file, b);
    }
    v.mount('--verify-cache-checksum', 'none');
    const unchecked = read('big');
    v.unmount();
    v.mount(); // extend
    const checked = read('big');
    expect({ uncheckedRight: unchecked.equals(big), checkedRight: checked.equals(big) }).toEqual({ uncheckedRight: false, checkedRight: true });
    // The bad files were dropped and good copies written from object storage.
    const good = (f: { file: string; name: string }): boolean => {
      const index = Number(f.name.split('_')[1]);
      return fs.readFileSync(f.file).subarray(0, BS).equals(big.subarray(index * BS, (index + 1) * BS));
    };
    await until(() => fullBlocks().length === 10 && fullBlocks().every(good));
  });

  it('--cache-partial-only: only the short block (the file\'s tail) is cached, not the full one', async () => {
    v.mount('--cache-partial-only');
    expect(read('tail').equals(tail)).toBe(true);
    expect(read('big').equals(big)).toBe(true);
    await until(() => cacheFiles().length > 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(cacheFiles().map((f) => Number(f.name.split('_')[2]))).toEqual([10 * 1024]);
  });

  it('--cache-scan-interval 1: blocks put into the cache directory while mounted are found and served without a GET', async () => {
    v.mount();
    expect(read('big').equals(big)).toBe(true);
    await until(() => fullBlocks().length === 10);
    v.unmount();
    const raw = path.dirname(path.dirname(path.dirname(path.dirname(fullBlocks()[0]!.file)))); // <uuid>/raw
    const aside = path.join(v.dir, 'aside');
    fs.rmSync(aside, { recursive: true, force: true });
    fs.renameSync(raw, aside);
    /** GETs to object storage, and cached bytes, from the mount's .stats. */
    const stat = (name: string): number => Number(/^(\S+) (\S+)$/m.exec(fs.readFileSync(path.join(v.mp, '.stats'), 'utf8').split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2]);
    const gets = (): number => stat('juicefs_object_request_durations_histogram_seconds_GET_total');

    const cachedAfterCopyingIn = async (...flags: string[]): Promise<number> => {
      v.mount(...flags);
      fs.cpSync(aside, raw, { recursive: true });
      await new Promise((r) => setTimeout(r, 2500)); // two periodic scans with an interval of 1 s
      const before = gets();
      expect(read('big').equals(big)).toBe(true);
      const fetched = gets() - before;
      v.unmount();
      fs.rmSync(raw, { recursive: true, force: true });
      return fetched;
    };
    // Found by the periodic scan: served from the cache. With the default hourly scan the
    // mount does not know them yet and reads the blocks from object storage.
    expect({ scanned: await cachedAfterCopyingIn('--cache-scan-interval', '1'), hourly: await cachedAfterCopyingIn() }).toEqual({ scanned: 0, hourly: 10 });
  });

  it('--cache-dir a:b: blocks spread over both directories, .config names both, and a mount with the list reversed reads every block from them', async () => {
    const [ssd1, ssd2] = [path.join(cacheDir(), 'ssd1'), path.join(cacheDir(), 'ssd2')];
    const under = (d: string): number => fullBlocks().filter((f) => f.file.startsWith(d + path.sep)).length;
    const gets = (): number => Number(/ (\S+)$/.exec(fs.readFileSync(path.join(v.mp, '.stats'), 'utf8').split('\n').find((l) => l.startsWith('juicefs_object_request_durations_histogram_seconds_GET_total ')) ?? '')?.[1]);
    v.mount('--cache-dir', `${ssd1}:${ssd2}`); // the last --cache-dir given wins, as in JuiceFS
    const shown = (JSON.parse(fs.readFileSync(path.join(v.mp, '.config'), 'utf8')) as { Chunk: { CacheDir: string }; Format: { UUID: string } });
    expect(read('big').equals(big)).toBe(true);
    await until(() => fullBlocks().length === 10);
    v.unmount();
    const spread = { ssd1: under(ssd1), ssd2: under(ssd2) };
    v.mount('--cache-dir', `${ssd2}:${ssd1}`);
    const before = gets();
    const again = read('big');
    const fetched = gets() - before;
    expect({
      cacheDir: shown.Chunk.CacheDir,
      all: spread.ssd1 + spread.ssd2,
      both: spread.ssd1 > 0 && spread.ssd2 > 0,
      again: again.equals(big),
      fetched,
    }).toEqual({
      cacheDir: `${path.join(ssd1, shown.Format.UUID)}:${path.join(ssd2, shown.Format.UUID)}`,
      all: 10, both: true, again: true, fetched: 0,
    });
  });

  it('--cache-expire 1 --cache-scan-interval 1: blocks nobody reads again are removed from the cache directory', async () => {
    v.mount('--cache-expire', '1', '--cache-scan-interval', '1');
    expect(read('big').equals(big)).toBe(true);
    await until(() => cacheFiles().length > 0);
    await until(() => cacheFiles().length === 0);
  });
});
