import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { sm3Kdf, sm4GcmOpen } from '@juicefs/chunk';
import { commandWord } from '../src/main.js';
import * as zlib from 'node:zlib';

// The juicefs command as a user runs it: a real process (the TypeScript entry under node), real
// SQLite/Redis/PostgreSQL, checking output, exit codes and the volume afterwards.

const repo = path.resolve(__dirname, '../../..');
const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
const sample = path.resolve(repo, '../shared/fixtures/metadata.sample');
const redisBase = (process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390').replace(/\/\d*$/, '');
const pgBase = process.env['JFS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';

/**
 * A fresh PostgreSQL schema of the test server for one test: its META-URL, and `drop` for the
 * test's finally. Fails at once, with the fix, when the server is not up.
 */
function scratchPgSchema(prefix: string): { url: string; drop: () => void } {
  const schema = `${prefix}${randomBytes(5).toString('hex')}`;
  const psql = (sql: string) => spawnSync('psql', [pgBase, '-qtAc', sql], { encoding: 'utf8' });
  const ping = psql('SELECT 1');
  if (ping.status !== 0) {
    throw new Error(`PostgreSQL not reachable at ${pgBase} (${ping.stderr || ping.error?.message}): run bash scripts/services/postgres.sh`);
  }
  return { url: `${pgBase}${pgBase.includes('?') ? '&' : '?'}search_path=${schema}`, drop: () => void psql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`) };
}

function juicefs(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', input: '', timeout: 60000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('juicefs', () => {
  it('finds the command word past flags and the values of the global flags that take one', () => {
    expect(commandWord(['status', 'sqlite3://x'])).toBe('status');
    expect(commandWord(['--debug', '--log-id', 'run-1', 'mount', '-d'])).toBe('mount');
    expect(commandWord(['--log-level=debug', 'gc'])).toBe('gc');
    expect(commandWord(['--pyroscope', 'http://p', '--', 'info'])).toBe('info');
    expect(commandWord(['--help'])).toBeUndefined();
  });

  it('prints help and version, and fails on an unknown command', () => {
    const help = juicefs('--help');
    expect(help.code).toBe(0);
    for (const c of ['format', 'status', 'config', 'destroy', 'dump', 'load']) expect(help.out).toContain(`juicefs ${c}`);
    expect(juicefs('format', '--help').out).toContain('--trash-days');
    // Only the named command's module loads: after a global flag's value, through `help`, and
    // with every command for a line that names none.
    expect(juicefs('--log-level', 'warn', 'format', '--help').out).toContain('--trash-days');
    expect(juicefs('help', 'format').out).toContain('--trash-days');
    expect(juicefs('help').out).toContain('juicefs objbench');
    expect(juicefs('--version').out).toMatch(/^juicefs version 1\.4\.0-ts/);
    expect(juicefs('-V').out).toBe(juicefs('version').out);
    const bad = juicefs('frobnicate');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/juicefs: Unknown argument: frobnicate/);
    // A missing argument stops before the command runs (no attempt to open an "undefined" URL).
    const missing = juicefs('dump');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^juicefs: Not enough non-option arguments.*\n\(run juicefs dump --help for usage\)\n$/);
  });

  it('the built command (an ES module) wraps help at spaces, within the width, as the sources do', () => {
    // yargs's ES-module build cut words at the column ("~/.bas" / "hrc"); the tests run the
    // sources as CommonJS, which never showed it, so this one runs dist/.
    const built = spawnSync(process.execPath, [path.join(__dirname, '../dist/bin/juicefs.js'), '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '' } });
    const lines = built.stdout.split('\n');
    expect({
      code: built.status,
      widest: Math.max(...lines.map((l) => l.length)) <= 100,
      whole: ['(juicefs completion >> ~/.bashrc)', 'through fusermount3 without root'].map((w) => built.stdout.replace(/\s+/g, ' ').includes(w)),
      same: built.stdout === juicefs('--help').out,
    }).toEqual({ code: 0, widest: true, whole: [true, true], same: true });
  });

  it('formats a SQLite volume with defaults and flags, and status shows it with secrets removed', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    const f = juicefs('format', meta, 'vol-1', '--bucket', `${dir}/bucket`, '--secret-key', 'hush', '--capacity', '2', '--inodes', '1000', '--block-size', '3000', '--compress', 'lz4', '--trash-days', '0');
    expect(f.code).toBe(0);
    expect(fs.existsSync(`${dir}/bucket`)).toBe(true);
    const st = juicefs('status', meta);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.out) as { Setting: Record<string, unknown>; Sessions: unknown[]; Statistic: Record<string, unknown> };
    expect(status.Setting).toMatchObject({
      Name: 'vol-1', Storage: 'file', Bucket: `${dir}/bucket/`, BlockSize: 2048, Compression: 'lz4',
      Capacity: 2 * 1024 ** 3, Inodes: 1000, TrashDays: 0, SecretKey: 'removed', KeyEncrypted: true,
    });
    expect(status.Sessions).toEqual([]);
    expect(status.Statistic).toMatchObject({ UsedSpace: 0, UsedInodes: 0, AvailableInodes: 1000 });
    // The stored secret is encrypted, not the literal text: dump --keep-secret-key shows the ciphertext.
    const d = juicefs('dump', meta, '--keep-secret-key');
    expect(d.code).toBe(0);
    expect(d.out).not.toContain('hush');
    expect(d.out).not.toContain('"Trash"');
  });

  it('refuses to change the block size of an existing volume without --force, and updates the rest', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'vol-2', '--bucket', `${dir}/b`).code).toBe(0);
    const refused = juicefs('format', meta, 'vol-2', '--block-size', '1024');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot change BlockSize.*--force/);
    expect(juicefs('format', meta, 'vol-2', '--trash-days', '3').code).toBe(0);
    expect(JSON.parse(juicefs('config', meta).out)).toMatchObject({ TrashDays: 3, BlockSize: 4096 });
    expect(juicefs('format', meta, 'vol-2', '--block-size', '1024', '--force').code).toBe(0);
    expect(JSON.parse(juicefs('config', meta).out)).toMatchObject({ BlockSize: 1024 });
  });

  it('umount takes down JuiceFS mounts only: a plain directory or another file system is refused and stays', () => {
    const plain = juicefs('umount', dir);
    expect([plain.code, plain.err.trim()]).toEqual([1, `juicefs: EINVAL: ${dir} is not a mount point`]);
    const mp = path.join(dir, 'tmpfs');
    fs.mkdirSync(mp);
    const m = spawnSync('mount', ['-t', 'tmpfs', 'jfs-test-tmpfs', mp], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`this test mounts a tmpfs and needs root: ${m.stderr}`);
    try {
      const other = juicefs('umount', '--force', mp);
      expect([other.code, other.err.trim()]).toEqual([1, `juicefs: EINVAL: ${mp} is not a JuiceFS mount (tmpfs from jfs-test-tmpfs): unmount it with umount ${mp}`]);
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toContain(` ${mp} `);
    } finally {
      spawnSync('umount', [mp]);
    }
  });

  it('rejects a bad volume name and an unformatted database with messages that say what to do', () => {
    const bad = juicefs('format', `sqlite3://${dir}/m.db`, 'Bad_Name');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/invalid volume name "Bad_Name": use 3 to 63/);
    const none = juicefs('status', `sqlite3://${dir}/empty.db`);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/not formatted: run juicefs format/);
    // A path with a typo is not made into an empty database by the tools that only read a volume.
    for (const args of [['status'], ['dump'], ['config'], ['fsck'], ['gc'], ['mount', `${dir}/mp`]]) {
      const r = juicefs(args[0]!, `sqlite3://${dir}/typo.db`, ...args.slice(1));
      expect([args[0], r.code, r.err]).toEqual([args[0], 1, expect.stringContaining(`(there is no file ${dir}/typo.db; check the path`)]);
    }
    expect(fs.existsSync(`${dir}/typo.db`)).toBe(false);
  });

  it('formats on S3 (creating the bucket), refuses unusable storage, and destroys the objects there', () => {
    const endpoint = process.env['JFS_TEST_S3_ENDPOINT'] ?? 'http://127.0.0.1:9000';
    const meta = `sqlite3://${dir}/meta.db`;
    const bucket = `${endpoint}/jfs-cli-${randomBytes(4).toString('hex')}`;
    const f = juicefs('format', meta, 'vol-s3', '--storage', 's3', '--bucket', bucket, '--access-key', 'S3RVER', '--secret-key', 'S3RVER');
    if (f.code !== 0 && /ECONNREFUSED|connect/i.test(f.err)) throw new Error(`no S3 server at ${endpoint}: run bash scripts/services/s3.sh (${f.err})`);
    expect(f.code).toBe(0);
    const bad = juicefs('format', `sqlite3://${dir}/other.db`, 'vol-bad', '--storage', 's3', '--bucket', 'http://127.0.0.1:1/nowhere', '--access-key', 'a', '--secret-key', 'b');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot use s3 storage "http:\/\/127.0.0.1:1\/nowhere".*check --storage, --bucket and the access keys/);
    expect(juicefs('status', `sqlite3://${dir}/other.db`).err).toMatch(/not formatted/);
    const uuid = (JSON.parse(juicefs('status', meta).out) as { Setting: { UUID: string } }).Setting.UUID;
    const d = juicefs('destroy', meta, uuid, '--yes');
    expect(d.code).toBe(0);
    // The juicefs_uuid object format put there.
    expect(d.err).toMatch(/deleted 1 objects of volume vol-s3/);
  });

  describe.each([
    ['sm4gcm', 'rsa'],
    ['sm4gcm', 'sm2'],
    ['aes256gcm-rsa', 'rsa'],
  ] as const)('format --encrypt-rsa-key … --encrypt-algo %s with an %s key', (algo, keyType) => {
    it('seals the secrets per FORMAT.md 6.1 and the objects per 7.3; data synced in reads back', () => {
      const meta = `sqlite3://${dir}/meta.db`;
      const keyFile = path.join(dir, 'key.pem');
      const pem = (keyType === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' })
        : generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem' })).toString();
      fs.writeFileSync(keyFile, pem);
      const f = juicefs('format', meta, 'vol-enc', '--bucket', `${dir}/bucket`, '--secret-key', 'hush', '--encrypt-rsa-key', keyFile, '--encrypt-algo', algo);
      expect([f.code, f.err]).toEqual([0, expect.stringContaining('formatted')]);
      expect(JSON.parse(f.out)).toMatchObject({ EncryptAlgo: algo, EncryptKey: 'removed', KeyEncrypted: true });

      // The stored secrets open with the cipher FORMAT.md names for the algorithm, and only with it.
      const rec = JSON.parse(juicefs('dump', meta, '--keep-secret-key').out) as { Setting: { UUID: string; SecretKey: string; EncryptKey: string } };
      const { UUID, SecretKey, EncryptKey } = rec.Setting;
      const sm4Open = (b64: string) => {
        const raw = Buffer.from(b64, 'base64');
        return sm4GcmOpen(sm3Kdf(Buffer.from(UUID), 16), raw.subarray(0, 12), raw.subarray(12)).toString();
      };
      const aesOpen = (b64: string) => {
        const raw = Buffer.from(b64, 'base64');
        const d = createDecipheriv('aes-128-gcm', createHash('md5').update(UUID).digest(), raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString();
      };
      const [right, wrong] = algo === 'sm4gcm' ? [sm4Open, aesOpen] : [aesOpen, sm4Open];
      expect(right(SecretKey)).toBe('hush');
      expect(right(EncryptKey)).toBe(pem);
      expect(() => wrong(SecretKey)).toThrow();
      // config re-seals a changed secret the same way.
      expect(juicefs('config', meta, '--secret-key', 'hush2').code).toBe(0);
      const after = JSON.parse(juicefs('dump', meta, '--keep-secret-key').out) as { Setting: { SecretKey: string; EncryptKey: string } };
      expect([right(after.Setting.SecretKey), right(after.Setting.EncryptKey)]).toEqual(['hush2', pem]);

      // Data in and out through the volume (sync opens it in-process, no mount).
      fs.mkdirSync(path.join(dir, 'src'));
      const data = randomBytes(300_000);
      fs.writeFileSync(path.join(dir, 'src/blob'), data);
      const env = { ...process.env, ENCVOL: meta };
      const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', env, input: '', timeout: 60000 });
      expect(run('sync', `${dir}/src/`, 'jfs://ENCVOL/in/').status).toBe(0);
      expect(run('sync', 'jfs://ENCVOL/in/', `${dir}/out/`).status).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'out/blob')).equals(data)).toBe(true);

      // The object on disk is sealed: the wrapped data key (16 bytes for SM4, 32 for AES; RSA-OAEP
      // as long as the modulus, SM2 as an ASN.1 SEQUENCE), a 12-byte nonce, then ciphertext and tag.
      const objDir = path.join(dir, 'bucket/vol-enc/chunks/0/0');
      const obj = fs.readFileSync(path.join(objDir, fs.readdirSync(objDir).find((n) => n.endsWith(`_0_${data.length}`)) ?? 'missing'));
      const k = obj.readUInt16BE(0);
      expect([keyType === 'rsa' ? k === 256 : obj[3] === 0x30, obj[2], obj.length]).toEqual([true, 12, 3 + k + 12 + data.length + 16]);
      fs.writeFileSync(path.join(dir, 'wrapped'), obj.subarray(3, 3 + k));
      const oaep = ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', `rsa_oaep_label:${Buffer.from('keys').toString('hex')}`];
      const key = spawnSync('openssl', ['pkeyutl', '-decrypt', '-inkey', keyFile, '-in', path.join(dir, 'wrapped'), ...(keyType === 'rsa' ? oaep : [])]).stdout;
      expect(key.length).toBe(algo === 'sm4gcm' ? 16 : 32);
      const nonce = obj.subarray(3 + k, 15 + k);
      const body = obj.subarray(15 + k);
      if (algo === 'sm4gcm') {
        expect(sm4GcmOpen(key, nonce, body).equals(data)).toBe(true);
      } else {
        const c = createCipheriv('aes-256-gcm', key, nonce); // CTR keystream: encrypting the ciphertext decrypts it
        expect(c.update(body.subarray(0, data.length)).equals(data)).toBe(true);
      }
    });
  });

  it('a passphrase-protected SM2 key needs JFS_RSA_PASSPHRASE at format and when the volume is opened', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    const keyFile = path.join(dir, 'locked.pem');
    fs.writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' }));
    const run = (env: Record<string, string>, ...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, input: '', timeout: 60000 });
    const without = run({}, 'format', meta, 'vol-pw', '--bucket', `${dir}/bucket`, '--encrypt-rsa-key', keyFile, '--encrypt-algo', 'sm4gcm');
    expect([without.status, without.stderr]).toEqual([1, expect.stringMatching(/cannot load the encryption key: check the PEM and JFS_RSA_PASSPHRASE/)]);
    const pw = { JFS_RSA_PASSPHRASE: 'open sesame', PWVOL: meta };
    expect(run(pw, 'format', meta, 'vol-pw', '--bucket', `${dir}/bucket`, '--encrypt-rsa-key', keyFile, '--encrypt-algo', 'sm4gcm').status).toBe(0);
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/f'), 'locked but readable');
    expect(run(pw, 'sync', `${dir}/src/`, 'jfs://PWVOL/').status).toBe(0);
    expect(run({ PWVOL: meta }, 'sync', 'jfs://PWVOL/', `${dir}/nope/`).status).not.toBe(0);
    expect(run(pw, 'sync', 'jfs://PWVOL/', `${dir}/out/`).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out/f'), 'utf8')).toBe('locked but readable');
  });

  it('format refuses an encryption key it cannot use, before writing anything', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    fs.writeFileSync(path.join(dir, 'bad.pem'), 'not a key');
    const r = juicefs('format', meta, 'vol-enc', '--bucket', `${dir}/bucket`, '--encrypt-rsa-key', path.join(dir, 'bad.pem'), '--encrypt-algo', 'sm4gcm');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot load the encryption key/);
    expect(juicefs('status', meta).err).toMatch(/not formatted/);
  });

  it('config changes capacity and trash days', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'vol-3', '--bucket', `${dir}/b`).code).toBe(0);
    // Turning the trash off purges it: as in JuiceFS, that must be confirmed.
    const ask = juicefs('config', meta, '--capacity', '5', '--trash-days', '0');
    expect(ask.code).not.toBe(0);
    expect(ask.err).toMatch(/the current trash will be emptied .*: add --yes to go ahead/);
    expect(JSON.parse(juicefs('config', meta).out)).toMatchObject({ TrashDays: 1 });
    const c = juicefs('config', meta, '--capacity', '5', '--trash-days', '0', '--yes');
    expect(c.code).toBe(0);
    // The report JuiceFS prints: flag names padded to ten columns, capacity in GiB, on stdout.
    expect(c.out).toBe('  capacity: 0 GiB -> 5 GiB\ntrash-days: 1 -> 0\n');
    expect(JSON.parse(juicefs('config', meta).out)).toMatchObject({ Capacity: 5 * 1024 ** 3, TrashDays: 0 });
    // A new secret is stored encrypted, never as typed.
    const secret = juicefs('config', meta, '--secret-key', 'new-secret');
    expect([secret.code, secret.out]).toEqual([0, 'secret-key: updated\n']);
    expect(juicefs('config', meta, '--trash-days', '0').out).toBe('Nothing changed.\n');
    const kept = juicefs('dump', meta, '--keep-secret-key').out;
    expect(kept).toContain('"KeyEncrypted": true');
    expect(kept).not.toContain('new-secret');

    // A bucket that does not work is refused before it is saved (a test object is put, read and
    // deleted with the new settings); --force saves it anyway.
    fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
    const broken = path.join(dir, 'plain-file', 'bucket');
    const bad = juicefs('config', meta, '--bucket', broken);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/config: cannot put a test object in file:\/\/.*plain-file\/bucket.*: the new settings do not work; fix them, or add --force to save them anyway/);
    expect(JSON.parse(juicefs('config', meta).out)).toMatchObject({ Bucket: `${dir}/b/` });
    expect(juicefs('config', meta, '--bucket', broken, '--force').code).toBe(0);
    expect((JSON.parse(juicefs('config', meta).out) as { Bucket: string }).Bucket).toContain('plain-file/bucket');
  });

  it('destroy needs the right UUID and --yes, then leaves an empty database', () => {
    const meta = `sqlite3://${dir}/meta.db`;
    expect(juicefs('format', meta, 'vol-4', '--bucket', `${dir}/b`).code).toBe(0);
    fs.mkdirSync(`${dir}/b/vol-4/chunks/0/0`, { recursive: true });
    fs.writeFileSync(`${dir}/b/vol-4/chunks/0/0/1_0_4`, 'data');
    const uuid = (JSON.parse(juicefs('status', meta).out) as { Setting: { UUID: string } }).Setting.UUID;
    expect(juicefs('destroy', meta, '00000000-0000-0000-0000-000000000000', '--yes').err).toMatch(/UUID mismatch/);
    expect(juicefs('destroy', meta, uuid).err).toMatch(/--yes/);
    const d = juicefs('destroy', meta, uuid, '--yes');
    expect(d.code).toBe(0);
    // The block and the juicefs_uuid object format put there.
    expect(d.err).toMatch(/deleted 2 objects of volume vol-4/);
    expect(fs.existsSync(`${dir}/b/vol-4`)).toBe(false);
    expect(juicefs('status', meta).err).toMatch(/not formatted/);
  });

  it('load, dump and load again across SQLite, Redis and PostgreSQL, through files and .gz', () => {
    const redisUrl = `${redisBase}/44`;
    const pg = scratchPgSchema('jfs_cli_');
    const pgUrl = pg.url;
    try {
      const sqlite = `sqlite3://${dir}/meta.db`;
      const l1 = juicefs('load', sqlite, sample);
      expect(l1.code).toBe(0);
      expect(l1.err).toMatch(/loaded 16 entries/);
      expect(juicefs('dump', sqlite, `${dir}/one.json.gz`).code).toBe(0);
      // A Redis DB of our own: clear whatever an earlier run left.
      const wipe = juicefs('load', redisUrl, `${dir}/one.json.gz`);
      if (wipe.code !== 0) {
        expect(wipe.err).toMatch(/not empty|not reachable|connect/);
        const uuid = (JSON.parse(juicefs('status', redisUrl).out) as { Setting: { UUID: string } }).Setting.UUID;
        expect(juicefs('destroy', redisUrl, uuid, '--yes', '--force').code).toBe(0);
        expect(juicefs('load', redisUrl, `${dir}/one.json.gz`).code).toBe(0);
      }
      expect(juicefs('dump', redisUrl, `${dir}/two.json`).code).toBe(0);
      expect(juicefs('load', pgUrl, `${dir}/two.json`).code).toBe(0);
      const three = juicefs('dump', pgUrl);
      expect(three.code).toBe(0);
      const tree = (t: string) => t.slice(t.indexOf('\n  "FSTree": {'));
      expect(tree(three.out)).toBe(tree(fs.readFileSync(`${dir}/two.json`, 'utf8')));
      expect(three.out).toContain('"GBK%B9%FB֭%CA%FD%BEݿƼ%BC%D3%D0%CF޹%AB˾%CEļ%FE": {');
      const sub = juicefs('dump', pgUrl, '--subdir', '/d1');
      expect(sub.code).toBe(0);
      expect(sub.out).toContain('"FSTree": {\n    "attr": {"inode":3,');
      expect(sub.out).not.toContain('"Trash"');
      expect(juicefs('load', pgUrl, `${dir}/two.json`).err).toMatch(/not empty/);
      const uuid = (JSON.parse(juicefs('status', redisUrl).out) as { Setting: { UUID: string } }).Setting.UUID;
      expect(juicefs('destroy', redisUrl, uuid, '--yes').code).toBe(0);
    } finally {
      pg.drop();
    }
  });
});

describe('juicefs dump / load with .zstd files', () => {
  it('writes Zstandard for a .zstd name, as JuiceFS does, and loads what the reference zstd wrote', () => {
    const one = `sqlite3://${dir}/one.db`;
    expect(juicefs('load', one, sample).code).toBe(0);
    const plain = juicefs('dump', one);
    expect(plain.code).toBe(0);
    const d = juicefs('dump', one, `${dir}/meta.json.zstd`);
    expect(d.code).toBe(0);
    expect(d.err).toMatch(/dumped 17 entries to .*meta\.json\.zstd/);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('meta.json'))).toEqual(['meta.json.zstd']); // no .tmp left
    const unpacked = spawnSync('zstd', ['-dc', `${dir}/meta.json.zstd`], { encoding: 'utf8' });
    expect(unpacked.status).toBe(0);
    expect(unpacked.stdout).toBe(plain.out);

    expect(juicefs('load', `sqlite3://${dir}/two.db`, `${dir}/meta.json.zstd`).code).toBe(0);
    expect(juicefs('dump', `sqlite3://${dir}/two.db`).out).toBe(plain.out);
    // A frame from another encoder (as a Go client's dump is), under a name Go would not pick.
    fs.writeFileSync(`${dir}/plain.json`, plain.out);
    expect(spawnSync('zstd', ['-q', '-19', `${dir}/plain.json`, '-o', `${dir}/other.zst`]).status).toBe(0);
    const l3 = juicefs('load', `sqlite3://${dir}/three.db`, `${dir}/other.zst`);
    expect(l3.code).toBe(0);
    expect(l3.err).toMatch(/loaded 16 entries/);
    expect(juicefs('dump', `sqlite3://${dir}/three.db`).out).toBe(plain.out);

    const b = juicefs('dump', one, `${dir}/meta.bin.zstd`, '--binary', '--keep-secret-key');
    expect(b.code).toBe(0);
    const bin = juicefs('dump', one, `${dir}/meta.bin`, '--binary', '--keep-secret-key');
    expect(bin.code).toBe(0);
    expect(spawnSync('zstd', ['-dc', `${dir}/meta.bin.zstd`]).stdout.equals(fs.readFileSync(`${dir}/meta.bin`))).toBe(true);
    const l4 = juicefs('load', `sqlite3://${dir}/four.db`, `${dir}/meta.bin.zstd`, '--binary');
    expect(l4.code).toBe(0);
    expect(l4.err).toMatch(/loaded 16 entries/);

    fs.writeFileSync(`${dir}/cut.json.zstd`, fs.readFileSync(`${dir}/meta.json.zstd`).subarray(0, 200));
    const cut = juicefs('load', `sqlite3://${dir}/five.db`, `${dir}/cut.json.zstd`);
    expect(cut.code).not.toBe(0);
    expect(cut.err).toMatch(/cut\.json\.zstd: its Zstandard data is damaged/);
    expect(juicefs('status', `sqlite3://${dir}/five.db`).err).toMatch(/not formatted/); // nothing half-loaded
  });
});

describe('juicefs dump --binary / load --binary', () => {
  it('carries a volume SQLite -> binary -> PostgreSQL -> gzipped binary -> SQLite, same JSON and same bytes', () => {
    const pg = scratchPgSchema('jfs_cli_bin_');
    const pgUrl = pg.url;
    try {
      const one = `sqlite3://${dir}/one.db`;
      const two = `sqlite3://${dir}/two.db`;
      expect(juicefs('load', one, sample).code).toBe(0);
      const d1 = juicefs('dump', one, `${dir}/a.bin`, '--binary', '--threads', '4', '--keep-secret-key');
      expect(d1.code).toBe(0);
      expect(d1.err).toMatch(/dumped 16 nodes in binary format/);
      expect(d1.err).toMatch(/warning: 2 user\/group quotas are not in the dump/);
      const bin = fs.readFileSync(`${dir}/a.bin`);
      expect(bin.subarray(0, 4).toString('hex')).toBe('00000001'); // the format segment comes first

      const plain = juicefs('load', pgUrl, `${dir}/a.bin`);
      expect(plain.code).not.toBe(0);
      expect(plain.err).toMatch(/a\.bin is a binary dump: load it with --binary/);
      const l2 = juicefs('load', pgUrl, `${dir}/a.bin`, '--binary');
      expect(l2.code).toBe(0);
      expect(l2.err).toMatch(/loaded 16 entries/);
      expect(juicefs('dump', pgUrl, `${dir}/b.bin.gz`, '--binary', '--keep-secret-key').code).toBe(0);
      expect(zlib.gunzipSync(fs.readFileSync(`${dir}/b.bin.gz`)).equals(bin)).toBe(true);
      expect(juicefs('load', two, `${dir}/b.bin.gz`, '--binary').code).toBe(0);
      // Everything but the user and group quotas, which upstream's binary format cannot hold.
      const withoutOwners = (t: string) => t.replace(/ {2}"UserQuotas": \{[\s\S]*?\n {2}\},\n {2}"GroupQuotas": \{[\s\S]*?\n {2}\},\n/, '');
      const original = juicefs('dump', one).out;
      expect(original).toContain('"UserQuotas"');
      expect(juicefs('dump', two).out).toBe(withoutOwners(original));

      const json = juicefs('load', `sqlite3://${dir}/three.db`, sample, '--binary');
      expect(json.code).not.toBe(0);
      expect(json.err).toMatch(/metadata\.sample is not a JuiceFS binary dump.*looks like a JSON dump: load it without --binary/);
      expect(juicefs('load', pgUrl, `${dir}/a.bin`, '--binary').err).toMatch(/not empty/);
    } finally {
      pg.drop();
    }
  });
});
