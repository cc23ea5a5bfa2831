import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

// What a user gets from npm, rather than from this checkout: the five packages packed as they
// would be published (`pnpm pack` turns `workspace:*` into versions and keeps only `files`), then
// installed with `npm install -g` into a prefix of their own, native addons built as a user's
// machine builds them. Everything else in the test suite runs from the workspace, where a missing
// runtime dependency, a file left out of a package or a broken `exports` map would go unnoticed.
//
// 1. The installed `juicefs` formats, mounts, serves and unmounts a volume.
// 2. The "Using a volume from a Node service" example of packages/core/README.md, taken from the
//    README itself, type-checks (strict, library declarations included) against the installed
//    packages and runs to completion: it prints what it wrote and the process exits by itself.

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../..');
const PACKAGES = ['core', 'meta', 'chunk', 'fuse', 'cli'];
/** Compiling better-sqlite3 and zstd-napi from source takes about 100 s of this 2-core machine. */
const INSTALL_TIMEOUT_MS = 15 * 60 * 1000;

function mounted(mp: string): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mp);
}

/** The first TypeScript block after `heading` in a markdown file. */
function codeBlockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(heading);
  if (at < 0) throw new Error(`the README has no "${heading}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!block?.[1]) throw new Error(`the README's "${heading}" section has no ts code block`);
  return block[1];
}

describe('the packages as npm installs them', () => {
  let dir: string;
  let prefix: string;
  let juicefs: string;

  beforeAll(async () => {
    if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
      throw new Error('these tests mount FUSE: run them as root on a machine with /dev/fuse (scripts/setup.sh installs fuse3)');
    }
    for (const p of PACKAGES) {
      if (!fs.existsSync(path.join(repo, 'packages', p, 'dist/index.js'))) {
        throw new Error(`packages/${p} is not built: run bash scripts/build.sh first (the packages ship dist/)`);
      }
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-install-'));
    const packs = path.join(dir, 'packs');
    prefix = path.join(dir, 'global');
    fs.mkdirSync(packs);
    // The README's commands: `pnpm -r pack --pack-destination DIR`, then `npm i -g DIR/*.tgz`.
    await run('pnpm', ['-r', 'pack', '--pack-destination', packs], { cwd: repo });
    const tarballs = fs.readdirSync(packs).map((f) => path.join(packs, f));
    expect(tarballs.map((f) => path.basename(f).replace(/-\d.*$/, '')).sort()).toEqual(PACKAGES.map((p) => `juicefs-${p}`).sort());
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
      cwd: dir,
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 64 << 20,
    }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`npm install -g of the packed packages failed: ${err.message}\n${err.stderr ?? ''}`);
    });
    juicefs = path.join(prefix, 'bin/juicefs');
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (!dir) return;
    const mp = path.join(dir, 'mnt');
    if (mounted(mp)) spawnSync('umount', ['-l', mp]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs a juicefs command that formats, mounts, serves and unmounts a volume', async () => {
    const { stdout: version } = await run(juicefs, ['version']);
    expect(version).toMatch(/^juicefs version 1\.\d+\.\d+-ts \(juicefs-ts \d+\.\d+\.\d+\)\n$/);

    const meta = `sqlite3://${dir}/meta.db`;
    const mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp);
    // lz4 and SQLite: two of the native addons the install had to provide.
    await run(juicefs, ['format', meta, 'installed', '--bucket', path.join(dir, 'bucket'), '--compress', 'lz4']);
    const { stderr: mountLog } = await run(juicefs, ['mount', meta, mp, '-d', '--log', path.join(dir, 'mount.log'), '--cache-dir', path.join(dir, 'cache')], { timeout: 60_000 });
    expect(mountLog).toMatch(/mounted at/);
    expect(mounted(mp)).toBe(true);

    const data = randomBytes(5 * 1024 * 1024 + 77);
    fs.writeFileSync(path.join(mp, 'data.bin'), data);
    expect(fs.readFileSync(path.join(mp, 'data.bin')).equals(data)).toBe(true);
    const { stdout: info } = await run(juicefs, ['info', path.join(mp, 'data.bin')]);
    expect(info).toMatch(/length: 5\.00 MiB \(5242957 Bytes\)/);

    await run(juicefs, ['umount', mp], { timeout: 60_000 });
    expect(mounted(mp)).toBe(false);
    // Only objects remain below the bucket, and the volume's blocks are among them.
    const objects = fs.readdirSync(path.join(dir, 'bucket/installed/chunks'), { recursive: true });
    expect(objects.length).toBeGreaterThan(0);
  }, 120_000);

  it("runs the core README's Node-service example, type-checked against the installed declarations", async () => {
    const readme = fs.readFileSync(path.join(repo, 'packages/core/README.md'), 'utf8');
    const example = codeBlockAfter(readme, '## Using a volume from a Node service');
    const volume = path.join(dir, 'service');
    fs.mkdirSync(volume);
    const script = example.replace("'sqlite3:///srv/vol.db'", `'sqlite3://${volume}/vol.db'`).replace("'/srv/bucket/'", `'${volume}/bucket/'`);
    expect(script).not.toContain('/srv/'); // the example's paths changed: update the replacements above

    // Beside the global node_modules, so that `@juicefs/core` resolves to the installed package as it
    // would in a project of the user's.
    const app = path.join(prefix, 'lib/consumer');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    fs.writeFileSync(path.join(app, 'app.ts'), script);
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [path.join(repo, 'node_modules/@types')],
          outDir: 'out',
        },
        files: ['app.ts'],
      }),
    );
    await run(path.join(repo, 'node_modules/.bin/tsc'), ['-p', app]).catch((err: Error & { stdout?: string }) => {
      throw new Error(`the README example does not type-check against the installed packages:\n${err.stdout ?? err.message}`);
    });

    // The example must end by itself: a heartbeat or connection left open would keep it running.
    const r = spawnSync(process.execPath, [path.join(app, 'out/app.js')], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    expect(r.stdout).toBe('hello, volume\n\n');
    expect(fs.readdirSync(path.join(volume, 'bucket/myjfs/chunks'), { recursive: true }).length).toBeGreaterThan(0);
  }, 120_000);
});
