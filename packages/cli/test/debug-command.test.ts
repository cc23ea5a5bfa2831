import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { zipArchive } from '../src/zip.js';
import { scratchVolume } from './support/scratch-volume.js';
import { juicefs, juicefsAsync } from './tools-volume.js';

// `juicefs debug MP`: one zip with what it takes to look into a problem of a mount, read back
// here with Python's zipfile (CRCs checked), as whoever receives it would open it.

/** Names and contents of a zip, its CRCs verified by Python's zipfile. */
function unzip(file: string): Record<string, string> {
  const r = spawnSync('python3', ['-c', `import zipfile, sys, json
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
print(json.dumps({"bad": bad, "files": {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}}))`, file], { encoding: 'utf8' });
  const out = JSON.parse(r.stdout) as { bad: string | null; files: Record<string, string> };
  if (out.bad !== null) throw new Error(`${file}: bad CRC in ${out.bad}`);
  return out.files;
}

describe('zip archives', () => {
  it('hold the bytes given, deflated, under UTF-8 names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-zip-'));
    try {
      const big = Buffer.from('juicefs '.repeat(100_000));
      fs.writeFileSync(path.join(dir, 'a.zip'), zipArchive([{ name: 'empty', data: Buffer.alloc(0) }, { name: 'große.txt', data: Buffer.from('ü\n') }, { name: 'big.log', data: big }]));
      expect({ files: unzip(path.join(dir, 'a.zip')), size: fs.statSync(path.join(dir, 'a.zip')).size < big.length / 10 }).toEqual({
        files: { 'empty': '', 'große.txt': 'ü\n', 'big.log': big.toString() }, size: true,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('juicefs debug', () => {
  const v = scratchVolume('jfs-debug-', 'debug-vol');
  beforeAll(() => v.mount());

  it('collects system info, .config, two .stats samples, the access log, the mount log and a CPU profile', async () => {
    const out = path.join(v.dir, 'out');
    const debug = juicefsAsync('debug', v.mp, '--out-dir', out, '--stats-sec', '1', '--trace-sec', '2', '--profile-sec', '1');
    // Work for the mount for as long as it is watched (however long the command takes to start):
    // the access log and the statistics must show it.
    let done = false;
    const work = (async () => {
      for (let i = 0; !done; i++) {
        fs.writeFileSync(path.join(v.mp, `watched-${i}`), 'x'.repeat(1000));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await debug;
    done = true;
    await work;
    expect(r.code).toBe(0);
    const zip = r.out.trim();
    const files = unzip(zip);
    const config = JSON.parse(files['config.json'] ?? '{}') as { Pid: number; Format: { Name: string } };
    const profile = JSON.parse(files['cpu-1s.cpuprofile'] ?? '{}') as { nodes?: unknown[]; samples?: unknown[] };
    expect({
      zipIn: path.dirname(zip),
      names: Object.keys(files).sort(),
      volume: config.Format.Name,
      process: files['system-info.log']?.includes(`process ${config.Pid}: `) && files['system-info.log'].includes(v.mp),
      stats: /# what moved, per second\n(.|\n)*juicefs_fuse_ops/.test(files['stats.txt'] ?? ''),
      accessLog: /create \(1,watched-\d+/.test(files['accesslog.log'] ?? ''),
      mountLog: files['juicefs.log']?.includes(`is ready at ${v.mp}`),
      profile: (profile.nodes?.length ?? 0) > 0 && (profile.samples?.length ?? 0) > 0,
    }).toEqual({
      zipIn: out,
      names: ['accesslog.log', 'config.json', 'cpu-1s.cpuprofile', 'juicefs.log', 'stats.txt', 'system-info.log'],
      volume: 'debug-vol', process: true, stats: true, accessLog: true, mountLog: true, profile: true,
    });
  });

  it('refuses a directory that is not a JuiceFS mount, and bad durations, before collecting', () => {
    const plain = juicefs('debug', v.dir, '--out-dir', path.join(v.dir, 'never'));
    const bad = juicefs('debug', v.mp, '--stats-sec', '-1', '--out-dir', path.join(v.dir, 'never'));
    expect({
      plain: [plain.code, plain.err.trim()],
      bad: [bad.code, bad.err.trim()],
      made: fs.existsSync(path.join(v.dir, 'never')),
    }).toEqual({
      plain: [1, `juicefs: EINVAL: ${v.dir} is not the mount point of a JuiceFS mount (no .config there): give the directory you mounted`],
      bad: [1, 'juicefs: EINVAL: --stats-sec must be a whole number of at least 0, got -1'],
      made: false,
    });
  });
});
