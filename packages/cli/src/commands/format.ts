import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ObjectCipher, checkStorage } from '@juicefs/chunk';
import { decodeFormat, defaultFormat, encodeFormat, fsError } from '@juicefs/core';
import type { Format, ObjectStorage } from '@juicefs/core';
import type { Argv } from 'yargs';
import { openSecrets, redacted, sealSecrets } from '../secrets.js';
import { checkVolumeName, localBucket, redactUrl } from '../volume.js';
import { parseCountFlag, parseSizeFlag } from '../size-flag.js';
import { openCheckedStorage, withMeta } from '../wiring.js';
import { printJson } from '../output.js';
import { flagGiven } from '../args.js';
import { log } from '../log.js';
import { keyPassphrase } from '../key-passphrase.js';

/**
 * BlockSize in KiB from --block-size in bytes: rounded down to a power of two, clamped to
 * 64 KiB..16 MiB with a warning, as JuiceFS's fixObjectSize does.
 */
export function normalizeBlockSize(bytes: number): number {
  const pow = 2 ** Math.floor(Math.log2(Math.max(1, bytes)));
  const kib = Math.min(16384, Math.max(64, pow / 1024));
  if (kib * 1024 !== pow) log.warn(`block size ${pow / 1024} KiB is too ${kib * 1024 > pow ? 'small' : 'large'}: using ${kib} KiB instead`);
  return kib;
}

function defaultBucket(): string {
  return process.getuid?.() === 0 ? '/var/jfs/' : `${homedir()}/.juicefs/local/`;
}

export function formatCommand(y: Argv): Argv {
  return y.command(
    'format META-URL NAME',
    'Format a volume: write its settings into the metadata engine',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine, e.g. sqlite3:///var/jfs/meta.db, redis://host:6379/1, postgres://user@host/db, mysql://user:pass@(host:3306)/db' })
        .positional('NAME', { type: 'string', demandOption: true, describe: 'volume name (3-63 of a-z 0-9 -)' })
        .option('storage', { type: 'string', default: 'file', describe: 'object storage type (file, s3, ...)' })
        .option('bucket', { type: 'string', describe: 'bucket URL or path; default /var/jfs/ as root, else ~/.juicefs/local/' })
        .option('access-key', { type: 'string', describe: 'object storage access key (env ACCESS_KEY)' })
        .option('secret-key', { type: 'string', describe: 'object storage secret key (env SECRET_KEY)' })
        .option('session-token', { type: 'string', describe: 'object storage session token (env SESSION_TOKEN)' })
        .option('storage-class', { type: 'string', describe: 'default storage class' })
        .option('block-size', { type: 'string', default: '4M', describe: 'block size: KiB, or with a unit (1M, 4M); a power of two, 64K..16M' })
        .option('compress', { type: 'string', default: 'none', choices: ['none', 'lz4', 'zstd'], describe: 'compression of blocks' })
        .option('capacity', { type: 'string', default: '0', describe: 'volume space quota: GiB, or with a unit (500M, 1T) (0 = unlimited)' })
        .option('inodes', { type: 'string', default: '0', describe: 'volume inode quota (0 = unlimited)' })
        .option('trash-days', { type: 'string', default: '1', describe: 'days deleted files stay in the trash (0 disables it)' })
        .option('hash-prefix', { type: 'boolean', default: false, describe: 'spread object keys by a hash prefix' })
        .option('shards', { type: 'string', default: '0', describe: 'store objects in this many buckets' })
        .option('enable-acl', { type: 'boolean', default: false, describe: 'enable POSIX ACLs (irreversible)' })
        .option('encrypt-rsa-key', { type: 'string', describe: 'PEM file of the RSA or SM2 private key that wraps each object\'s data key (enables encryption)' })
        .option('encrypt-algo', { type: 'string', default: 'aes256gcm-rsa', choices: ['aes256gcm-rsa', 'chacha20-rsa', 'sm4gcm'], describe: 'cipher of the objects (and, for sm4gcm, of the secrets in the format)' })
        .option('force', { type: 'boolean', default: false, describe: 'overwrite the settings of an existing volume' })
        .option('no-update', { type: 'boolean', default: false, describe: 'leave an existing volume as it is' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const name = String(a['NAME']);
      checkVolumeName(name);
      const wanted = buildFormat(a, name, process.env);
      await withMeta(metaUrl, async (meta) => {
        let old: Format | undefined;
        try {
          old = await meta.load(false);
        } catch (err) {
          if ((err as { code?: string }).code !== 'ENOENT') throw err;
        }
        if (old !== undefined && a['no-update'] === true && !a.force) {
          log.info(`volume ${old.Name} is already formatted in ${redactUrl(metaUrl)}; left unchanged (--no-update)`);
          printJson(redacted(old));
          return;
        }
        let next: Format;
        if (old === undefined) next = wanted;
        else if (a.force) next = { ...openSecrets(old), ...wanted, UUID: old.UUID };
        else {
          // Change only what was asked for; BaseMeta.init refuses layout changes without --force.
          next = { ...openSecrets(old), Name: wanted.Name };
          for (const [k, flag] of [...UPDATABLE, ...LAYOUT]) if (flagGiven(flag)) next[k] = wanted[k];
          // As in JuiceFS: the encryption of an existing volume cannot change (its objects are sealed).
          for (const flag of ['encrypt-rsa-key', 'encrypt-algo']) if (flagGiven(flag)) log.warn(`--${flag} is ignored: it cannot be updated`);
        }
        // As JuiceFS: a local bucket is stored absolute, whichever directory format ran in.
        if (next.Storage === 'file') next.Bucket = localBucket(next.Bucket);
        // A new volume, or one moved to other storage, must find its storage usable (secrets still plain here).
        let storage: ObjectStorage | undefined;
        if (old === undefined || next.Storage !== old.Storage || next.Bucket !== old.Bucket) storage = await openCheckedStorage(next);
        const claimed = old === undefined && storage !== undefined && (await claimStorage(storage, next));
        sealSecrets(next);
        try {
          await meta.init(next, a.force);
        } catch (err) {
          // As JuiceFS: a volume that was not created leaves no UUID object behind to block the next try.
          if (claimed) await storage?.delete(UUID_OBJECT).catch(() => undefined);
          throw err;
        }
        log.info(old === undefined
          ? `volume ${name} formatted in ${redactUrl(metaUrl)}`
          : `volume ${next.Name} already existed in ${redactUrl(metaUrl)}; settings updated`);
        printJson(redacted(decodeFormat(encodeFormat(next))));
      }, { create: true });
    },
  );
}

/** The object a new volume leaves in its storage, holding its UUID (FORMAT.md: `<Name>/juicefs_uuid`). */
const UUID_OBJECT = 'juicefs_uuid';

/**
 * As JuiceFS's format of a new volume: the storage must take a test object (put, read back,
 * deleted), must not hold objects under the volume's name already (another volume's data, which
 * this one's gc would count as leaked and delete), and is given `juicefs_uuid`. Skipped with
 * JFS_NO_CHECK_OBJECT_STORAGE set, as in JuiceFS. True when the UUID object was written.
 */
async function claimStorage(storage: ObjectStorage, format: Format): Promise<boolean> {
  if (process.env['JFS_NO_CHECK_OBJECT_STORAGE']) return false;
  await checkStorage(storage, (m) => log.warn(`warning: ${m}`), 'format');
  const found = await firstDataObject(storage);
  if (found !== undefined) {
    throw fsError('EEXIST', `storage ${storage.description} is not empty (it holds ${found}): objects of an earlier volume named ${format.Name} are there; pick another volume name, or remove them first (juicefs destroy with that volume's metadata)`);
  }
  try {
    await storage.put(UUID_OBJECT, Buffer.from(format.UUID));
    return true;
  } catch (err) {
    log.warn(`warning: cannot put ${UUID_OBJECT} in ${storage.description}: ${(err as Error).message}`);
    return false;
  }
}

/** The first object with data under the volume's prefix, apart from format's own test objects. */
async function firstDataObject(storage: ObjectStorage): Promise<string | undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await storage.list('', { limit: 1000, ...(after !== undefined ? { startAfter: after } : {}) });
    const hit = page.find((o) => !o.isDir && o.size > 0 && o.key !== 'testing' && !o.key.startsWith('testing/'));
    if (hit !== undefined) return hit.key;
    if (page.length < 1000) return undefined;
    after = page[page.length - 1]?.key;
  }
}

/**
 * The PEM text of --encrypt-rsa-key, stored as it is in EncryptKey (JuiceFS keeps the file's text).
 * Loaded once here so that a key this build cannot use fails the format, not the first mount.
 */
function readEncryptKey(file: string, algo: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw fsError('EINVAL', `cannot read --encrypt-rsa-key ${file}: ${(err as Error).message}`, err);
  }
  new ObjectCipher({ privateKeyPem: pem, algo, ...keyPassphrase() });
  return pem;
}

/** Layout settings: given on an existing volume they need --force (BaseMeta.init checks). */
const LAYOUT: ReadonlyArray<readonly [keyof Format & string, string]> = [
  ['BlockSize', 'block-size'], ['Compression', 'compress'], ['Shards', 'shards'], ['HashPrefix', 'hash-prefix'],
];

/** Settings `format` may update on an existing volume, with the flag that sets each. */
const UPDATABLE: ReadonlyArray<readonly [keyof Format & string, string]> = [
  ['Storage', 'storage'], ['Bucket', 'bucket'], ['AccessKey', 'access-key'], ['SecretKey', 'secret-key'],
  ['SessionToken', 'session-token'], ['StorageClass', 'storage-class'], ['Capacity', 'capacity'],
  ['Inodes', 'inodes'], ['TrashDays', 'trash-days'], ['EnableACL', 'enable-acl'],
];

function buildFormat(a: Record<string, unknown>, name: string, env: NodeJS.ProcessEnv): Format {
  const bucket = typeof a['bucket'] === 'string' ? a['bucket'] : defaultBucket();
  const storage = String(a['storage']);
  const f = defaultFormat(name, randomUUID(), bucket);
  f.Storage = storage;
  const str = (k: string, envName: string) => (typeof a[k] === 'string' ? (a[k] as string) : env[envName]);
  const ak = str('access-key', 'ACCESS_KEY');
  if (ak) f.AccessKey = ak;
  const sk = str('secret-key', 'SECRET_KEY');
  if (sk) f.SecretKey = sk;
  const st = str('session-token', 'SESSION_TOKEN');
  if (st) f.SessionToken = st;
  if (typeof a['storage-class'] === 'string') {
    f.StorageClass = a['storage-class'];
    f.Tiers = { '0': { ID: 0, StorageClass: a['storage-class'], Tag: '' } };
  }
  f.BlockSize = normalizeBlockSize(parseSizeFlag('block-size', a['block-size'], 'K'));
  f.Compression = String(a['compress']);
  const shards = parseCountFlag('shards', a['shards'], '0 or 1: one bucket');
  // As JuiceFS: at most 256 buckets.
  if (shards > 256) throw fsError('EINVAL', `invalid --shards ${shards}: at most 256 buckets`);
  if (shards > 0) f.Shards = shards;
  if (a['hash-prefix'] === true) f.HashPrefix = true;
  const capacity = parseSizeFlag('capacity', a['capacity'], 'G');
  if (capacity > 0) f.Capacity = capacity;
  const inodes = parseCountFlag('inodes', a['inodes'], '0 is unlimited');
  if (inodes > 0) f.Inodes = inodes;
  f.TrashDays = parseCountFlag('trash-days', a['trash-days'], '0 turns the trash off');
  f.EncryptAlgo = String(a['encrypt-algo']);
  if (typeof a['encrypt-rsa-key'] === 'string') f.EncryptKey = readEncryptKey(a['encrypt-rsa-key'], f.EncryptAlgo);
  if (a['enable-acl'] === true) {
    f.EnableACL = true;
    f.MinClientVersion = '1.2.0-A';
  }
  return f;
}
