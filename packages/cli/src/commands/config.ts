import { compareVersions, encodeFormat, fsError } from '@juicefs/core';
import type { Format } from '@juicefs/core';
import type { Argv } from 'yargs';
import { flagGiven } from '../args.js';
import { printJson } from '../output.js';
import { openSecrets, redacted, sealSecrets } from '../secrets.js';
import { gib, readFormat } from '../volume.js';
import { withEngine } from '../wiring.js';
import { log } from '../log.js';

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
        .option('capacity', { type: 'number', describe: 'space quota in GiB (0 = unlimited)' })
        .option('inodes', { type: 'number', describe: 'inode quota (0 = unlimited)' })
        .option('trash-days', { type: 'number', describe: 'days to keep deleted files (0 disables the trash)' })
        .option('enable-acl', { type: 'boolean', describe: 'enable POSIX ACLs (cannot be disabled again)' })
        .option('upload-limit', { type: 'number', describe: 'upload bandwidth limit, Mbps' })
        .option('download-limit', { type: 'number', describe: 'download bandwidth limit, Mbps' })
        .option('min-client-version', { type: 'string' })
        .option('max-client-version', { type: 'string' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation' })
        .option('force', { type: 'boolean', default: false, describe: 'skip sanity checks' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      await withEngine(metaUrl, async (store) => {
        const stored = await readFormat(store, metaUrl);
        // Work on plain secrets; they are sealed again (always encrypted, as JuiceFS does) on save.
        const f = openSecrets(stored);
        const changes: string[] = [];
        const set = <K extends keyof Format & string>(k: K, v: Format[K]) => {
          if (f[k] === v) return;
          changes.push(`${k}: ${k.endsWith('Key') || k === 'SessionToken' ? 'changed' : `${JSON.stringify(f[k] ?? null)} -> ${JSON.stringify(v)}`}`);
          f[k] = v;
        };
        if (flagGiven('storage')) set('Storage', String(a.storage));
        if (flagGiven('bucket')) set('Bucket', String(a.bucket));
        if (flagGiven('access-key')) set('AccessKey', String(a['access-key']));
        for (const [flag, k] of [['secret-key', 'SecretKey'], ['session-token', 'SessionToken']] as const) {
          if (!flagGiven(flag)) continue;
          set(k, String(a[flag]));
        }
        if (flagGiven('capacity')) set('Capacity', gib(Number(a.capacity)));
        if (flagGiven('inodes')) set('Inodes', Number(a.inodes));
        if (flagGiven('trash-days')) set('TrashDays', Math.max(0, Math.floor(Number(a['trash-days']))));
        if (flagGiven('upload-limit')) set('UploadLimit', Number(a['upload-limit']));
        if (flagGiven('download-limit')) set('DownloadLimit', Number(a['download-limit']));
        if (flagGiven('enable-acl')) {
          if (a['enable-acl'] !== true && f.EnableACL) throw fsError('EINVAL', 'ACL cannot be disabled once enabled');
          if (a['enable-acl'] === true) {
            set('EnableACL', true);
            if (!f.MinClientVersion || compareVersions(f.MinClientVersion, '1.2.0-A') < 0) set('MinClientVersion', '1.2.0-A');
          }
        }
        if (flagGiven('min-client-version')) set('MinClientVersion', String(a['min-client-version']));
        if (flagGiven('max-client-version')) set('MaxClientVersion', String(a['max-client-version']));
        if (changes.length === 0) {
          printJson(redacted(stored));
          return;
        }
        sealSecrets(f);
        await store.setFormat(encodeFormat(f));
        for (const c of changes) log.info(`${c}`);
      });
    },
  );
}
