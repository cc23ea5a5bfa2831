import { CLIENT_VERSION, MAX_TIER_ID, compareVersions, encodeFormat, errnoOf, fsError, tierStorageClass, tiersOf } from '@juicefs/core';
import { checkStorage, openVolumeStorage, takesStorageClass } from '@juicefs/chunk';
import { BaseMeta, DEFAULT_CHANGELOG_MAX_AGE, readCounters } from '@juicefs/meta';
import { parseSyncDuration } from '../sync/select.js';
import type { Format, TierConfig } from '@juicefs/core';
import { keyPassphrase } from '../key-passphrase.js';
import type { Argv } from 'yargs';
import { flagGiven } from '../args.js';
import { printJson } from '../output.js';
import { openSecrets, redacted, sealSecrets } from '../secrets.js';
import { localBucket, readFormat } from '../volume.js';
import { parseCountFlag, parseMbpsFlag, parseSizeFlag } from '../size-flag.js';
import { withEngine, type EngineStore } from '../wiring.js';
import { log } from '../log.js';
import { userConfirmed, warnLine } from '../confirm.js';
import { unappliedTiersWarning } from '../tiers.js';

export function configCommand(y: Argv): Argv {
  return y.command(
    'config META-URL',
    'Show the volume settings, or change some of them',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .option('storage', { type: 'string', describe: 'object storage type' })
        .option('bucket', { type: 'string', describe: 'bucket URL or path' })
        .option('access-key', { type: 'string' })
        .option('secret-key', { type: 'string' })
        .option('session-token', { type: 'string' })
        .option('capacity', { type: 'string', describe: 'space quota: GiB, or with a unit (500M, 1T) (0 = unlimited)' })
        .option('inodes', { type: 'string', describe: 'inode quota (0 = unlimited)' })
        .option('trash-days', { type: 'string', describe: 'days to keep deleted files (0 disables the trash)' })
        .option('enable-acl', { type: 'boolean', describe: 'enable POSIX ACLs (cannot be disabled again)' })
        .option('upload-limit', { type: 'string', describe: 'upload bandwidth limit: Mbps, or with a unit M, G (1G = 1000 Mbps) (0 = unlimited)' })
        .option('download-limit', { type: 'string', describe: 'download bandwidth limit: Mbps, or with a unit M, G (0 = unlimited)' })
        .option('storage-class', { type: 'string', describe: 'storage class of objects written (of tier 0, or with --tier of that tier)' })
        .option('tier', { type: 'number', describe: `with --storage-class and/or --tag: define storage tier N (0-${MAX_TIER_ID}; 0 is the default tier) for juicefs tier set` })
        .option('tag', { type: 'string', describe: 'object tags of the tier (key=value&key2=value2)' })
        .option('dir-stats', { type: 'boolean', describe: 'keep directory statistics (needed by directory quotas and fast summaries)' })
        .option('user-group-quota', { type: 'boolean', describe: 'track usage per user and group (turning it on counts the whole tree)' })
        .option('encrypt-secret', { type: 'boolean', describe: 'encrypt the stored secret key (this client always stores it encrypted)' })
        .option('changelog', { type: 'boolean', describe: 'record every metadata change in the change log (JuiceFS 1.4; read it with juicefs changelog)' })
        .option('changelog-max-age', { type: 'string', describe: 'drop change log lines older than this (e.g. 2h, 1d, or seconds; 0 keeps them; 2h when the log is turned on without it)' })
        .option('changelog-max-lines', { type: 'number', describe: 'keep at most this many change log lines (0: no limit)' })
        .option('min-client-version', { type: 'string' })
        .option('max-client-version', { type: 'string' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'answer yes to the questions (they are read from stdin otherwise)' })
        .option('force', { type: 'boolean', default: false, describe: 'skip sanity checks' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      await withEngine(metaUrl, async (store) => {
        const stored = await readFormat(store, metaUrl);
        // Work on plain secrets; they are sealed again (always encrypted, as JuiceFS does) on save.
        const f = openSecrets(stored);
        const changes: string[] = [];
        /** The settings given a new value. */
        const changed = new Set<keyof Format>();
        const set = <K extends keyof Format & string>(k: K, v: Format[K]) => {
          if (f[k] === v) return;
          changed.add(k);
          changes.push(describeChange(k, f[k], v));
          f[k] = v;
        };
        /** Raise MinClientVersion to `v` where a change needs clients that know it. */
        const requireClientVersion = (v: string) => {
          if (!f.MinClientVersion || compareVersions(f.MinClientVersion, v) < 0) set('MinClientVersion', v);
        };
        if (flagGiven('storage')) set('Storage', String(a.storage));
        // As JuiceFS: a local bucket is stored absolute (a relative one would follow each client's cwd).
        if (flagGiven('bucket')) set('Bucket', (f.Storage || 'file') === 'file' ? localBucket(String(a.bucket)) : String(a.bucket));
        if (flagGiven('access-key')) set('AccessKey', String(a['access-key']));
        for (const [flag, k] of [['secret-key', 'SecretKey'], ['session-token', 'SessionToken']] as const) {
          if (!flagGiven(flag)) continue;
          // As JuiceFS: a secret given is always stored again (and reported as updated).
          changed.add(k);
          changes.push(describeChange(k, f[k], a[flag]));
          f[k] = String(a[flag]);
        }
        if (flagGiven('capacity')) set('Capacity', parseSizeFlag('capacity', a.capacity, 'G'));
        if (flagGiven('inodes')) set('Inodes', parseCountFlag('inodes', a.inodes, '0 is unlimited'));
        if (flagGiven('trash-days')) set('TrashDays', parseCountFlag('trash-days', a['trash-days'], '0 turns the trash off'));
        if (flagGiven('upload-limit')) set('UploadLimit', parseMbpsFlag('upload-limit', a['upload-limit']));
        if (flagGiven('download-limit')) set('DownloadLimit', parseMbpsFlag('download-limit', a['download-limit']));
        if (flagGiven('enable-acl')) {
          if (a['enable-acl'] !== true && f.EnableACL) throw fsError('EINVAL', 'ACL cannot be disabled once enabled');
          if (a['enable-acl'] === true) {
            set('EnableACL', true);
            requireClientVersion('1.2.0-A');
          }
        }
        configureChangeLog(a, f, set);
        if (flagGiven('dir-stats')) {
          if (a['dir-stats'] !== true && f.DirStats === true) await refuseWithDirQuotas(store);
          set('DirStats', a['dir-stats'] === true);
        }
        const tiers = configureTiers(a, f);
        if (tiers !== undefined) {
          f.Tiers = tiers.tiers;
          changes.push(...tiers.changes);
          if (tiers.storageClass !== undefined) f.StorageClass = tiers.storageClass;
          if (tiers.needs14) requireClientVersion('1.4.0-A');
        }
        // Counting usage needs the tree: done after the other changes are saved, below.
        const enableOwners = flagGiven('user-group-quota') && a['user-group-quota'] === true && f.UserGroupQuota !== true;
        if (flagGiven('user-group-quota') && a['user-group-quota'] !== true) set('UserGroupQuota', false);
        if (enableOwners) changes.push(`${describeChange('UserGroupQuota', false, true)} (usage of every user and group counted from the tree)`);
        if (flagGiven('min-client-version')) set('MinClientVersion', clientVersionFlag('min-client-version', a['min-client-version']));
        if (flagGiven('max-client-version')) set('MaxClientVersion', clientVersionFlag('max-client-version', a['max-client-version']));
        if (changes.length === 0) {
          if (anyChangeFlag()) process.stdout.write('Nothing changed.\n');
          else printJson(redacted(stored));
          return;
        }
        await sanityChecks(store, stored, f, changed, a, tiers !== undefined ? configuredTier(a) : undefined);
        sealSecrets(f);
        await store.setFormat(encodeFormat(f));
        if (enableOwners) await (await metaOver(store)).enableUserGroupQuota();
        // As JuiceFS: the changes go to stdout once saved, one line each.
        process.stdout.write(`${changes.join('\n')}\n`);
        const tierWarning = tiers !== undefined ? unappliedTiersWarning(f) : undefined;
        if (tierWarning !== undefined) log.warn(`warning: ${tierWarning}`);
      });
    },
  );
}

/** The flag that sets each setting, as JuiceFS names it in its report of the changes. */
const FLAG_OF: Partial<Record<keyof Format, string>> = {
  Storage: 'storage', Bucket: 'bucket', AccessKey: 'access-key', SecretKey: 'secret-key', SessionToken: 'session-token',
  Capacity: 'capacity', Inodes: 'inodes', TrashDays: 'trash-days', EnableACL: 'enable-acl', UploadLimit: 'upload-limit',
  DownloadLimit: 'download-limit', StorageClass: 'storage-class', DirStats: 'dir-stats', UserGroupQuota: 'user-group-quota',
  ChangeLog: 'changelog', ChangeLogMaxAge: 'changelog-max-age', ChangeLogMaxLines: 'changelog-max-lines',
  MinClientVersion: 'min-client-version', MaxClientVersion: 'max-client-version',
};

/** Settings JuiceFS reports by flag name padded to ten columns (`  capacity: 1 GiB -> 2 GiB`). */
const PADDED = new Set<keyof Format>(['Storage', 'Bucket', 'AccessKey', 'SecretKey', 'SessionToken', 'Capacity', 'Inodes',
  'TrashDays', 'UploadLimit', 'DownloadLimit', 'StorageClass', 'DirStats']);

/** A capacity as JuiceFS prints it (whole GiB), or in bytes when it is not a whole number of GiB. */
function capacityText(bytes: number): string {
  return bytes % 2 ** 30 === 0 ? `${bytes / 2 ** 30} GiB` : `${bytes} bytes`;
}

/**
 * One line of the report `juicefs config` prints after saving, worded as JuiceFS words it
 * (`cmd/config.go`): the flag, the old value and the new; secrets only say they were updated.
 * Scripts that read the Go client's report read ours the same way.
 */
export function describeChange(key: keyof Format & string, before: unknown, after: unknown): string {
  const flag = FLAG_OF[key] ?? key;
  const label = PADDED.has(key) ? flag.padStart(10) : flag;
  if (key === 'SecretKey' || key === 'SessionToken') return `${label}: updated`;
  const text = (v: unknown): string => {
    if (key === 'Capacity') return capacityText(Number(v ?? 0));
    if (typeof v === 'number' || ['Inodes', 'TrashDays', 'UploadLimit', 'DownloadLimit', 'ChangeLogMaxAge', 'ChangeLogMaxLines'].includes(key)) return String(v ?? 0);
    if (typeof v === 'boolean' || ['DirStats', 'EnableACL', 'UserGroupQuota', 'ChangeLog'].includes(key)) return String(v === true);
    return v === undefined || v === null ? '' : String(v);
  };
  return `${label}: ${text(before)} -> ${text(after)}`;
}

/** A version as JuiceFS's version.Parse takes it: 1.2, 1.2.3, 1.2.0-A, 1.3.0-rc1+2024-01-01.abc. */
const VERSION = /^\d+\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?(\+\S*)?$/;

/** --min/--max-client-version, checked as JuiceFS checks it ("Invalid version string"). */
function clientVersionFlag(flag: string, value: unknown): string {
  const v = String(value ?? '').trim();
  if (!VERSION.test(v)) throw fsError('EINVAL', `invalid --${flag} "${v}": give a version such as 1.1.0 or 1.2.0-A`);
  return v;
}

/** The flags that change something (the rest only steer how). */
const CHANGE_FLAGS = [
  'storage', 'bucket', 'access-key', 'secret-key', 'session-token', 'capacity', 'inodes', 'trash-days', 'enable-acl',
  'upload-limit', 'download-limit', 'storage-class', 'tier', 'tag', 'dir-stats', 'user-group-quota', 'encrypt-secret',
  'changelog', 'changelog-max-age', 'changelog-max-lines', 'min-client-version', 'max-client-version',
];

/**
 * `--changelog`, `--changelog-max-age`, `--changelog-max-lines` (JuiceFS 1.4): turning the log on
 * without a maximum age sets two hours, as JuiceFS does; 0 turns a retention rule off. Clients
 * pick the change up within a heartbeat.
 */
function configureChangeLog(
  a: Record<string, unknown>,
  f: Format,
  set: <K extends keyof Format & string>(k: K, v: Format[K]) => void,
): void {
  if (flagGiven('changelog-max-age')) {
    const seconds = Math.floor(parseSyncDuration('changelog-max-age', String(a['changelog-max-age'])) / 1000);
    set('ChangeLogMaxAge', seconds);
  }
  if (flagGiven('changelog-max-lines')) {
    const lines = Number(a['changelog-max-lines']);
    if (!Number.isSafeInteger(lines) || lines < 0) {
      throw fsError('EINVAL', `--changelog-max-lines ${String(a['changelog-max-lines'])}: give a whole number of lines, 0 for no limit`);
    }
    set('ChangeLogMaxLines', lines);
  }
  if (!flagGiven('changelog')) return;
  const on = a['changelog'] === true;
  if (on && f.ChangeLog !== true && !flagGiven('changelog-max-age')) set('ChangeLogMaxAge', DEFAULT_CHANGELOG_MAX_AGE);
  set('ChangeLog', on);
}

function anyChangeFlag(): boolean {
  return CHANGE_FLAGS.some((f) => flagGiven(f));
}

/** The volume's metadata over the engine config already holds (no object storage: its secret may be removed). */
async function metaOver(store: EngineStore): Promise<BaseMeta> {
  const meta = new BaseMeta(store);
  await meta.load();
  return meta;
}

/** As JuiceFS: directory quotas are kept with the directory statistics, so they must go first. */
async function refuseWithDirQuotas(store: EngineStore): Promise<void> {
  const dirs = [...(await (await metaOver(store)).listDirQuotas()).keys()];
  if (dirs.length > 0) {
    throw fsError('EBUSY', `cannot turn off dir stats while ${dirs.length === 1 ? '1 directory has a quota' : `${dirs.length} directories have quotas`} (inode ${dirs.join(', ')}): remove them first (juicefs quota list, then juicefs quota delete)`);
  }
}

/** `key=value` pairs joined by `&`, as S3 object tagging takes them. */
const TAGS = /^[^=&]+=[^=&]*(&[^=&]+=[^=&]*)*$/;

interface TierArgs {
  tier?: number | undefined;
  'storage-class'?: string | undefined;
  tag?: string | undefined;
}

/**
 * The tiers after `--storage-class`, `--tag` and `--tier` (JuiceFS 1.4): without `--tier` they
 * change tier 0 (kept in the legacy `StorageClass` too, for older clients); with it, tier N.
 * Undefined when none of them was given.
 */
function configureTiers(a: TierArgs, f: Format): { tiers: Record<string, TierConfig>; changes: string[]; storageClass?: string; needs14: boolean } | undefined {
  const cls = flagGiven('storage-class') ? String(a['storage-class'] ?? '') : undefined;
  const tag = flagGiven('tag') ? String(a.tag ?? '') : undefined;
  const tierGiven = flagGiven('tier');
  if (!tierGiven && cls === undefined && tag === undefined) return undefined;
  const id = tierGiven ? Number(a.tier) : 0;
  if (!Number.isInteger(id) || id < 0 || id > MAX_TIER_ID) throw fsError('EINVAL', `--tier ${a.tier}: a tier is 0 to ${MAX_TIER_ID}`);
  if (tierGiven) {
    for (const other of ['bucket', 'access-key', 'secret-key', 'session-token']) {
      if (flagGiven(other)) throw fsError('EINVAL', `--tier cannot go with --${other}: every tier is in the volume's one bucket (change the bucket in a separate config)`);
    }
    if (cls === undefined && tag === undefined) throw fsError('EINVAL', `--tier ${id} needs --storage-class or --tag (what the tier stands for)`);
  }
  if (tag !== undefined && tag !== '' && !TAGS.test(tag)) throw fsError('EINVAL', `--tag ${tag}: tags are key=value pairs joined by &, e.g. team=a&tier=cold`);
  const tiers: Record<string, TierConfig> = {};
  for (const [k, t] of Object.entries(tiersOf(f))) tiers[k] = { ...t };
  const before = tiers[String(id)];
  const after: TierConfig = { ID: id, StorageClass: cls ?? before?.StorageClass ?? '', Tag: tag ?? before?.Tag ?? '' };
  const changes: string[] = [];
  if ((before?.StorageClass ?? '') !== after.StorageClass || (before === undefined && tag === undefined)) changes.push(`tier ${id} storage class: ${JSON.stringify(before?.StorageClass ?? null)} -> ${JSON.stringify(after.StorageClass)}`);
  if ((before?.Tag ?? '') !== after.Tag) changes.push(`tier ${id} tag: ${JSON.stringify(before?.Tag ?? null)} -> ${JSON.stringify(after.Tag)}`);
  if (changes.length === 0) return { tiers: f.Tiers ?? tiers, changes, needs14: false };
  tiers[String(id)] = after;
  return { tiers, changes, needs14: tierGiven && id !== 0, ...(id === 0 ? { storageClass: after.StorageClass } : {}) };
}

/** The tier `--tier` (or tier 0) names, for the storage check of a tier change. */
function configuredTier(a: TierArgs): number {
  return flagGiven('tier') ? Number(a.tier) : 0;
}

interface SanityArgs {
  force: boolean;
  yes: boolean;
}

/**
 * As JuiceFS's config does before saving, unless --force: a changed bucket, credentials or tier
 * class must work (a test object is put, read back and deleted with the new settings), and a
 * quota below what is used already, or a trash turned off (its contents are then purged), must
 * be confirmed with --yes.
 */
async function sanityChecks(store: EngineStore, before: Format, after: Format, changed: ReadonlySet<keyof Format>, a: SanityArgs, tier: number | undefined): Promise<void> {
  if (a.force) return;
  const storageChanged = (['Storage', 'Bucket', 'AccessKey', 'SecretKey', 'SessionToken'] as const).some((k) => changed.has(k));
  if (storageChanged || tier !== undefined) {
    const cls = tier !== undefined && takesStorageClass(after.Storage || 'file') ? tierStorageClass(tiersOf(after)[String(tier)]) : '';
    let storage;
    try {
      storage = openVolumeStorage(after, { retry: { attempts: 1 }, ...keyPassphrase(), ...(cls !== '' ? { storageClass: cls } : {}) });
      await checkStorage(storage, (m) => log.warn(`warning: ${m}`), 'config');
    } catch (err) {
      throw fsError(errnoOf(err), `${(err as Error).message.replace(/^E[A-Z]+: /, '')}: the new settings do not work; fix them, or add --force to save them anyway`, err);
    }
  }
  const problems: string[] = [];
  if (changed.has('Capacity') || changed.has('Inodes')) {
    const used = await readCounters(store);
    const overSpace = (after.Capacity ?? 0) > 0 && used.usedSpace >= (after.Capacity ?? 0);
    const overInodes = (after.Inodes ?? 0) > 0 && used.usedInodes >= (after.Inodes ?? 0);
    if (overSpace || overInodes) {
      problems.push(`the new quota is too small (used / quota): ${used.usedSpace} / ${after.Capacity ?? 0} bytes, ${used.usedInodes} / ${after.Inodes ?? 0} inodes`);
    }
  }
  if (changed.has('TrashDays') && (before.TrashDays ?? 0) > 0 && after.TrashDays === 0) {
    problems.push('the current trash will be emptied and removed files will be purged at once from now on');
  }
  // As JuiceFS: new client version bounds that shut out this very version are asked about.
  const tooNew = after.MinClientVersion && compareVersions(CLIENT_VERSION, after.MinClientVersion) < 0;
  const tooOld = after.MaxClientVersion && compareVersions(CLIENT_VERSION, after.MaxClientVersion) > 0;
  if ((flagGiven('min-client-version') || flagGiven('max-client-version')) && (tooNew || tooOld)) {
    problems.push(`clients of this version (${CLIENT_VERSION}) will be rejected after the change`);
  }
  if (problems.length === 0) return;
  if (a.yes) {
    for (const p of problems) log.warn(`warning: ${p}`);
    return;
  }
  // As JuiceFS: the question is asked on stdin; no answer (no terminal, nothing piped) is a no.
  for (const p of problems) warnLine(p);
  if (!(await userConfirmed())) throw fsError('ECANCELED', `Aborted: ${problems.join('; ')}: add --yes to go ahead, or answer y when asked`);
}
