import { ROOT_CONTEXT, ROOT_INODE, TRASH_INODE, fsError, hasCode, type Ino, type Meta } from '@juicefs/core';
import type { BaseMeta, DirQuota } from '@juicefs/meta';
import type { Argv } from 'yargs';
import { pathsOf, resolvePath } from '../control/tree.js';
import { withToolVolume } from '../control/volume-access.js';
import { parseCountFlag, parseSizeFlag } from '../size-flag.js';
import { iBytes } from './summary.js';
import { comma, quotaTable } from './quota-table.js';
import { checkAllOwners, checkOwner, ownerOf } from './quota-owner.js';

export { comma, quotaRow, quotaTable } from './quota-table.js';
import { log } from '../log.js';

// juicefs quota (JuiceFS's cmd/quota.go): directory quotas (--path) and, as in JuiceFS 1.4, user
// and group quotas (--uid / --gid).

/**
 * The directory at `path`, made (with its missing parents, 0777 less umask 022, as root) when
 * `create`. The trash takes no quota, as in JuiceFS.
 */
async function directoryAt(meta: BaseMeta, path: string, create: boolean): Promise<Ino> {
  // Directories made here count toward the quotas above them: load() gave this client the
  // volume's quotas, and shutdown flushes what it charged.
  const ino = await lookupOrCreate(meta, path, create);
  if (ino >= TRASH_INODE) throw fsError('EINVAL', `${path} is in the trash, which takes no quota: choose a directory outside .trash`);
  return ino;
}

async function lookupOrCreate(meta: Meta, path: string, create: boolean): Promise<Ino> {
  if (!create) {
    try {
      return await resolvePath(meta, ROOT_CONTEXT, path);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw fsError('ENOENT', `no directory ${path} in the volume: check the path (quota set --create makes it)`, err);
      throw err;
    }
  }
  let ino = ROOT_INODE;
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    try {
      ino = (await meta.lookup(ROOT_CONTEXT, ino, part)).ino;
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
      try {
        ino = (await meta.mkdir(ROOT_CONTEXT, ino, part, 0o777, 0o022)).ino;
      } catch (e) {
        if (!hasCode(e, 'EEXIST')) throw e; // made by someone else meanwhile
        ino = (await meta.lookup(ROOT_CONTEXT, ino, part)).ino;
      }
    }
  }
  return ino;
}

/** How a quota's path is shown: its path in the volume, or `inode:N` when it has none (as JuiceFS shows it). */
async function describe(meta: Meta, ino: Ino): Promise<string> {
  const paths = await pathsOf(meta, ROOT_CONTEXT, ino).catch(() => []);
  return paths[0] ?? `inode:${ino}`;
}

interface QuotaArgs {
  'META-URL': string;
  path?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
}

function requirePath(a: QuotaArgs, sub: string): string {
  if (a.path === undefined || a.path === '') {
    throw fsError('EINVAL', `quota ${sub} needs the directory: add --path DIR (its full path within the volume, such as /projects/a)`);
  }
  return a.path;
}

const metaUrl = (c: Argv) => c.positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' });

/** The flags every subcommand takes. */
function common<T>(c: Argv<T>) {
  return c
    .option('uid', { type: 'number', describe: 'user ID: the quota of this user (the space and inodes of the nodes it owns)' })
    .option('gid', { type: 'number', describe: 'group ID: the quota of this group (the space and inodes of the nodes it owns)' });
}

const pathOption = { type: 'string', describe: 'full path of the directory within the volume' } as const;
const strictOption = {
  type: 'boolean',
  default: false,
  describe: 'count usage in strict mode (accepted for compatibility with JuiceFS: usage is always counted from the directory tree)',
} as const;

function withVolume<T>(url: string, work: (meta: BaseMeta) => Promise<T>): Promise<T> {
  return withToolVolume(url, (vol) => work(vol.meta));
}

export function quotaCommand(y: Argv): Argv {
  return y.command('quota', 'Manage directory, user and group quotas (set, get, delete, list, check)', (q) =>
    q
      .command(
        'set META-URL',
        'Set the quota of a directory: the limits given change, the others stay (0 is unlimited)',
        (c) =>
          common(metaUrl(c))
            .option('path', pathOption)
            .option('capacity', { type: 'string', describe: 'hard limit of the space used under the directory: GiB, or with a unit (500M, 1T) (0: unlimited)' })
            .option('inodes', { type: 'string', describe: 'hard limit of the number of inodes under the directory (0: unlimited)' })
            .option('create', { type: 'boolean', default: false, describe: 'create the directory (and its missing parents) if it does not exist' })
            .option('strict', strictOption)
            .example('$0 quota set redis://localhost --path /dir1 --capacity 1 --inodes 100', '1 GiB and 100 inodes for /dir1'),
        async (a) => {
          const owner = ownerOf(a);
          const path = owner ? `${owner.flag} ${owner.id}` : requirePath(a, 'set');
          if (a.capacity === undefined && a.inodes === undefined) {
            throw fsError('EINVAL', `nothing to set for ${path}: give --capacity GiB and/or --inodes N`);
          }
          const limits: { maxSpace?: number; maxInodes?: number } = {};
          if (a.capacity !== undefined) limits.maxSpace = parseSizeFlag('capacity', a.capacity, 'G');
          if (a.inodes !== undefined) limits.maxInodes = parseCountFlag('inodes', a.inodes, '0 is unlimited');
          if (owner) {
            await withVolume(a['META-URL'], async (meta) => {
              const r = await meta.setOwnerQuota(owner.kind, owner.id, limits);
              process.stdout.write(quotaTable([[String(owner.id), r.quota]], owner.label));
            });
            return;
          }
          await withVolume(a['META-URL'], async (meta) => {
            const ino = await directoryAt(meta, path, a.create);
            let r: { created: boolean; quota: DirQuota };
            try {
              r = await meta.setDirQuota(ino, limits);
            } catch (err) {
              if (hasCode(err, 'ENOTDIR')) throw fsError('ENOTDIR', `${path} is not a directory: quotas apply to directories only`, err);
              throw err;
            }
            process.stdout.write(quotaTable([[path, r.quota]]));
          });
        },
      )
      .command(
        'get META-URL',
        'Show the quota of a directory and its usage',
        (c) => common(metaUrl(c)).option('path', pathOption).example('$0 quota get redis://localhost --path /dir1', ''),
        async (a) => {
          const owner = ownerOf(a);
          if (owner) {
            await withVolume(a['META-URL'], async (meta) => {
              const quota = await meta.getOwnerQuota(owner.kind, owner.id);
              if (!quota) throw fsError('ENOENT', `${owner.kind} ${owner.id} has no quota: set one with juicefs quota set ${a['META-URL']} --${owner.flag} ${owner.id} --capacity GiB and/or --inodes N`);
              process.stdout.write(quotaTable([[String(owner.id), quota]], owner.label));
            });
            return;
          }
          const path = requirePath(a, 'get');
          await withVolume(a['META-URL'], async (meta) => {
            const ino = await directoryAt(meta, path, false);
            const quota = await meta.getDirQuota(ino);
            if (!quota) throw fsError('ENOENT', `${path} has no quota: set one with juicefs quota set ${a['META-URL']} --path ${path} --capacity GiB and/or --inodes N`);
            process.stdout.write(quotaTable([[path, quota]]));
          });
        },
      )
      .command(
        ['delete META-URL', 'del'],
        'Remove the quota of a directory',
        (c) => common(metaUrl(c)).option('path', pathOption).example('$0 quota delete redis://localhost --path /dir1', ''),
        async (a) => {
          const owner = ownerOf(a);
          if (owner) {
            await withVolume(a['META-URL'], async (meta) => {
              if (!(await meta.deleteOwnerQuota(owner.kind, owner.id))) {
                throw fsError('ENOENT', `${owner.kind} ${owner.id} has no quota to delete: juicefs quota list ${a['META-URL']} shows the quotas`);
              }
              process.stdout.write(`deleted the quota of ${owner.kind} ${owner.id}\n`);
            });
            return;
          }
          const path = requirePath(a, 'delete');
          await withVolume(a['META-URL'], async (meta) => {
            const ino = await directoryAt(meta, path, false);
            if (!(await meta.deleteDirQuota(ino))) {
              throw fsError('ENOENT', `${path} has no quota to delete: juicefs quota list ${a['META-URL']} shows the directories that have one`);
            }
            process.stdout.write(`deleted the quota of ${path}\n`);
          });
        },
      )
      .command(
        ['list META-URL', 'ls'],
        'List the quotas of all directories',
        (c) => common(metaUrl(c)).example('$0 quota list redis://localhost', ''),
        async (a) => {
          const owner = ownerOf(a);
          await withVolume(a['META-URL'], async (meta) => {
            const rows: Array<[string, DirQuota]> = [];
            if (!owner) for (const [ino, q] of await meta.listDirQuotas()) rows.push([await describe(meta, ino), q]);
            for (const [kind, prefix] of [['user', 'uid'], ['group', 'gid']] as const) {
              if (owner && owner.kind !== kind) continue;
              for (const [id, q] of await meta.listOwnerQuotas(kind)) if (!owner || owner.id === id) rows.push([`${prefix}:${id}`, q]);
            }
            if (rows.length === 0) {
              process.stdout.write(owner ? `${owner.kind} ${owner.id} has no quota\n` : 'no directory, user or group has a quota\n');
              return;
            }
            // As JuiceFS: dirs by path, users as uid:N, groups as gid:N, in one table.
            process.stdout.write(quotaTable(rows, owner ? owner.label : 'Path/ID'));
          });
        },
      )
      .command(
        'check META-URL',
        'Check that the usage stored with quotas matches the tree (without --path/--uid/--gid: every directory quota, and every user and group once user/group quotas are on); --repair fixes it',
        (c) =>
          common(metaUrl(c))
            .option('path', pathOption)
            .option('repair', { type: 'boolean', default: false, describe: 'set the stored usage to what the tree holds where they differ' })
            .option('strict', strictOption)
            .example('$0 quota check redis://localhost --path /dir1 --repair', ''),
        async (a) => {
          const url = a['META-URL'];
          const owner = ownerOf(a);
          if (owner) {
            await withVolume(url, (meta) => checkOwner(meta, url, owner, a.repair));
            return;
          }
          const inconsistent = await withVolume(url, async (meta) => {
            const targets: Array<[string, Ino]> = [];
            if (a.path !== undefined) {
              targets.push([a.path, await directoryAt(meta, a.path, false)]);
            } else {
              for (const ino of (await meta.listDirQuotas()).keys()) targets.push([await describe(meta, ino), ino]);
              if (targets.length === 0 && meta.format?.UserGroupQuota !== true) {
                process.stdout.write('no directory has a quota: nothing to check\n');
                return [];
              }
            }
            const bad: string[] = [];
            const rows: Array<[string, DirQuota]> = [];
            for (const [path, ino] of targets.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
              let r: Awaited<ReturnType<typeof meta.checkDirQuota>>;
              try {
                r = await meta.checkDirQuota(ino, { repair: a.repair });
              } catch (err) {
                if (hasCode(err, 'ENOENT')) throw fsError('ENOENT', `${path} has no quota to check: juicefs quota list ${url} shows the directories that have one`, err);
                throw err;
              }
              const { quota, actual } = r;
              if (r.consistent) {
                process.stdout.write(`quota of ${path} is consistent\n`);
                rows.push([path, quota]);
                continue;
              }
              const stored = `${comma(quota.usedInodes)} inodes, ${iBytes(quota.usedSpace)}`;
              const counted = `${comma(actual.inodes)} inodes, ${iBytes(actual.space)}`;
              if (r.repaired) {
                process.stdout.write(`${path}: stored usage (${stored}) != the tree (${counted}): repaired\n`);
                rows.push([path, { ...quota, usedSpace: actual.space, usedInodes: actual.inodes }]);
              } else {
                log.info(`${path}: stored usage (${stored}) != the tree (${counted})`);
                bad.push(path);
              }
            }
            if (rows.length > 0) process.stdout.write(quotaTable(rows));
            if (a.path === undefined) bad.push(...(await checkAllOwners(meta, a.repair)));
            return bad;
          });
          if (inconsistent.length > 0) {
            const one = inconsistent.length === 1 && !/^[ug]id:/.test(inconsistent[0]!) ? ` --path ${inconsistent[0]}` : '';
            throw fsError(
              'EIO',
              `the quota usage of ${inconsistent.join(', ')} is inconsistent (above): run juicefs quota check ${url}${one} --repair to fix it`,
            );
          }
        },
      )
      .demandCommand(1, 'name a quota subcommand: set, get, delete, list or check (juicefs quota --help)')
      .example('$0 quota set redis://localhost --path /dir1 --capacity 1 --inodes 100', 'limit /dir1 to 1 GiB and 100 inodes')
      .example('$0 quota set redis://localhost --uid 1000 --capacity 2 --inodes 200', 'limit what user 1000 owns to 2 GiB and 200 inodes')
      .example('$0 quota list redis://localhost', 'all directory, user and group quotas with their usage')
      .example('$0 quota check redis://localhost --path /dir1 --repair', 'recount the usage of /dir1 and fix it'),
  );
}
