import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canMount } from './support/scratch-volume.js';
import { repo } from './tools-volume.js';

// An sm4gcm volume through FUSE: JuiceFS 1.4's SM4-GCM with an SM2 key, the key PEM protected by
// a passphrase given in JFS_RSA_PASSPHRASE, which format and the mount daemon both need.

const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
const env = { ...process.env, JFS_RSA_PASSPHRASE: 'pw' };
function juicefs(...args: string[]): { code: number; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', env, input: '', timeout: 120000 });
  return { code: r.status ?? -1, err: r.stderr };
}

describe('mount: an sm4gcm volume with a protected SM2 key', () => {
  let dir = '';
  let mp = '';
  let meta = '';
  const mount = () => {
    const m = juicefs('mount', '-d', meta, mp, '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'), '--cache-size', '0', '--metrics', '127.0.0.1:0', '--no-usage-report');
    if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
  };
  const unmount = () => {
    if (juicefs('umount', mp).code !== 0) juicefs('umount', '--force', mp);
  };

  beforeAll(() => {
    if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sm4-'));
    mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    meta = `sqlite3://${dir}/meta.db`;
    const keyFile = path.join(dir, 'sm2.pem');
    fs.writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }));
    const f = juicefs('format', meta, 'sm4-vol', '--bucket', path.join(dir, 'bucket'), '--encrypt-rsa-key', keyFile, '--encrypt-algo', 'sm4gcm', '--block-size', '1024', '--trash-days', '0');
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.err}`);
  });
  afterAll(() => {
    if (!dir) return;
    if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mp)) unmount();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('what is written reads back after a remount with no cache, and the bucket holds only sealed blocks', () => {
    const data = randomBytes(2.5 * 1024 * 1024);
    mount();
    fs.writeFileSync(path.join(mp, 'big'), data);
    fs.writeFileSync(path.join(mp, 'small'), 'sm4');
    unmount();

    const root = path.join(dir, 'bucket/sm4-vol/chunks');
    const blocks = fs.readdirSync(root, { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f));
    expect(blocks.map((f) => Number(f.split('_')[2])).sort((a, b) => a - b)).toEqual([3, 524288, 1048576, 1048576]);
    for (const f of blocks) {
      const obj = fs.readFileSync(path.join(root, f));
      const k = obj.readUInt16BE(0);
      // SM2-wrapped 16-byte data key (ASN.1), 12-byte nonce, then ciphertext and tag.
      expect([obj[2], obj[3], obj.length]).toEqual([12, 0x30, 3 + k + 12 + Number(f.split('_')[2]) + 16]);
      expect(obj.includes(data.subarray(0, 64))).toBe(false);
    }

    // Nothing cached on disk either: the second mount must fetch and open every block.
    fs.rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
    mount();
    expect(fs.readFileSync(path.join(mp, 'big')).equals(data)).toBe(true);
    expect(fs.readFileSync(path.join(mp, 'small'), 'utf8')).toBe('sm4');
    unmount();
  });
});
