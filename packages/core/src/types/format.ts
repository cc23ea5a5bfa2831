/**
 * The volume format record (FORMAT.md section 6), stored as Redis `setting` and SQL
 * `jfs_setting.format`. Member names are JuiceFS's Go field names so the JSON round-trips.
 */
export interface TierConfig {
  ID: number;
  StorageClass: string;
  Tag: string;
}

export interface Format {
  Name: string;
  UUID: string;
  Storage: string;
  StorageClass?: string;
  Tiers?: Record<string, TierConfig> | null;
  Bucket: string;
  AccessKey?: string;
  SecretKey?: string;
  SessionToken?: string;
  /** KiB. */
  BlockSize: number;
  Compression?: string;
  Shards?: number;
  HashPrefix?: boolean;
  /** Bytes; 0/absent = unlimited. */
  Capacity?: number;
  Inodes?: number;
  EncryptKey?: string;
  EncryptAlgo?: string;
  KeyEncrypted?: boolean;
  UploadLimit?: number;
  DownloadLimit?: number;
  TrashDays: number;
  MetaVersion?: number;
  MinClientVersion?: string;
  MaxClientVersion?: string;
  DirStats?: boolean;
  UserGroupQuota?: boolean;
  EnableACL: boolean;
  RangerRestUrl?: string;
  RangerService?: string;
  ChangeLog?: boolean;
  ChangeLogMaxAge?: number;
  ChangeLogMaxLines?: number;
  KerbConf?: string;
  /** Members this client does not know, kept so a rewrite loses nothing. */
  [extra: string]: unknown;
}

/** The only metadata version JuiceFS 1.x defines; newer volumes are refused. */
export const MAX_META_VERSION = 1;
/** The JuiceFS version this client claims when comparing against Min/MaxClientVersion. */
export const CLIENT_VERSION = '1.4.0';

/** Members in Go struct order, and whether each is `omitempty`. */
const FORMAT_MEMBERS: ReadonlyArray<readonly [string, boolean]> = [
  ['Name', false], ['UUID', false], ['Storage', false], ['StorageClass', true], ['Tiers', false],
  ['Bucket', false], ['AccessKey', true], ['SecretKey', true], ['SessionToken', true],
  ['BlockSize', false], ['Compression', true], ['Shards', true], ['HashPrefix', true],
  ['Capacity', true], ['Inodes', true], ['EncryptKey', true], ['EncryptAlgo', true],
  ['KeyEncrypted', true], ['UploadLimit', true], ['DownloadLimit', true], ['TrashDays', false],
  ['MetaVersion', true], ['MinClientVersion', true], ['MaxClientVersion', true], ['DirStats', true],
  ['UserGroupQuota', true], ['EnableACL', false], ['RangerRestUrl', true], ['RangerService', true],
  ['ChangeLog', true], ['ChangeLogMaxAge', true], ['ChangeLogMaxLines', true], ['KerbConf', true],
];

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false;
}

/**
 * Encode like Go's `json.MarshalIndent(format, "", "")`: one member per line, no indentation,
 * known members in struct order, then unknown members kept from an earlier read.
 */
export function encodeFormat(format: Format): string {
  const lines: string[] = [];
  const known = new Set<string>();
  for (const [key, omitEmpty] of FORMAT_MEMBERS) {
    known.add(key);
    const value = format[key];
    if (omitEmpty && isEmpty(value)) continue;
    if (key === 'Tiers') {
      lines.push(`"Tiers": ${encodeTiers(value as Format['Tiers'])}`);
      continue;
    }
    lines.push(`${JSON.stringify(key)}: ${JSON.stringify(value ?? defaultFor(key))}`);
  }
  for (const [key, value] of Object.entries(format)) {
    if (!known.has(key) && value !== undefined) lines.push(`${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  }
  return `{\n${lines.join(',\n')}\n}`;
}

function defaultFor(key: string): unknown {
  return key === 'EnableACL' ? false : key === 'TrashDays' || key === 'BlockSize' ? 0 : '';
}

function encodeTiers(tiers: Format['Tiers']): string {
  if (!tiers) return 'null';
  const ids = Object.keys(tiers).sort((a, b) => Number(a) - Number(b));
  const parts = ids.map((id) => {
    const t = tiers[id]!;
    return `${JSON.stringify(id)}: {\n"ID": ${t.ID},\n"StorageClass": ${JSON.stringify(t.StorageClass)},\n"Tag": ${JSON.stringify(t.Tag)}\n}`;
  });
  return `{\n${parts.join(',\n')}\n}`;
}

export function decodeFormat(text: string): Format {
  const parsed = JSON.parse(text) as Format;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.Name !== 'string') {
    throw new Error('the format record is not a JuiceFS volume setting');
  }
  parsed.TrashDays ??= 0;
  parsed.EnableACL ??= false;
  return parsed;
}

/** Compare JuiceFS versions: major.minor.patch numerically, then pre-release (absent sorts last). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const core = v.split('+')[0] ?? '';
    const dash = core.indexOf('-');
    const nums = (dash < 0 ? core : core.slice(0, dash)).split('.').map((n) => Number(n) || 0);
    return { nums, pre: dash < 0 ? undefined : core.slice(dash + 1) };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** A new volume's record with JuiceFS's defaults (`juicefs format` without flags). */
export function defaultFormat(name: string, uuid: string, bucket: string): Format {
  return {
    Name: name,
    UUID: uuid,
    Storage: 'file',
    Tiers: { '0': { ID: 0, StorageClass: '', Tag: '' } },
    Bucket: bucket,
    BlockSize: 4096,
    Compression: 'none',
    EncryptAlgo: 'aes256gcm-rsa',
    TrashDays: 1,
    MetaVersion: 1,
    MinClientVersion: '1.1.0-A',
    DirStats: true,
    EnableACL: false,
  };
}

/** Storage tier ids a volume can define (JuiceFS 1.4): 0 is the default tier, 1-3 are named by `config --tier`. */
export const MAX_TIER_ID = 3;

/**
 * The volume's storage tiers by id, as JuiceFS 1.4 reads them: a format without `Tiers` (written
 * before 1.4) has one tier 0 whose class is the legacy `StorageClass`.
 */
export function tiersOf(format: Format): Record<string, TierConfig> {
  if (format.Tiers && Object.keys(format.Tiers).length > 0) return format.Tiers;
  return { '0': { ID: 0, StorageClass: format.StorageClass ?? '', Tag: '' } };
}

/**
 * The storage class a tier's objects are written with; '' for the bucket's default. Go clients
 * record tier 0 of a volume formatted without a class as "default", which no S3 service accepts
 * as a class: it means the bucket's default here too.
 */
export function tierStorageClass(tier: TierConfig | undefined): string {
  const cls = tier?.StorageClass ?? '';
  return cls.toLowerCase() === 'default' ? '' : cls;
}

/**
 * The storage class new objects of tier 0 get: `Tiers["0"]` since 1.4 (the legacy `StorageClass`
 * only through the loading rule of tiersOf, as JuiceFS reads it).
 */
export function defaultStorageClass(format: Format): string {
  return tierStorageClass(tiersOf(format)['0']);
}
