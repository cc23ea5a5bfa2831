import { rmSync } from 'node:fs';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { readFormat, redactUrl } from '../volume.js';
import { openVolumeStorage, withEngine } from '../wiring.js';
import { openSecrets } from '../secrets.js';
import type { Format } from '@juicefs/core';
import { log } from '../log.js';
import { userConfirmed, warnLine } from '../confirm.js';
import { readCounters } from '@juicefs/meta';

export function destroyCommand(y: Argv): Argv {
  return y.command(
    'destroy META-URL UUID',
    'Delete a volume: all its objects and metadata',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('UUID', { type: 'string', demandOption: true, describe: 'the volume UUID (juicefs status shows it), as a safety check' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'answer yes to the question (it is read from stdin otherwise)' })
        .option('force', { type: 'boolean', default: false, describe: 'skip the checks and the question: destroy even while clients are connected' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      await withEngine(metaUrl, async (store) => {
        const f = await readFormat(store, metaUrl);
        if (f.UUID !== a.UUID) {
          throw fsError('EINVAL', `UUID mismatch: the volume in ${redactUrl(metaUrl)} has UUID ${f.UUID}, not ${String(a.UUID)}`);
        }
        const storage = openVolumeStorage(listingFormat(f));
        // As JuiceFS: --force skips the session check and the question; otherwise the volume is
        // described and the deletion must be confirmed, on stdin or by --yes.
        if (!a.force) {
          const now = Date.now() / 1000;
          const live = (await store.listSessions()).filter((s) => s.expire > now);
          if (live.length > 0) {
            throw fsError('EBUSY', `${live.length} client session(s) are active (sids ${live.map((s) => s.sid).join(', ')}): unmount them first, or use --force`);
          }
          const used = await readCounters(store);
          process.stdout.write(
            ` volume name: ${f.Name}\n volume UUID: ${f.UUID}\ndata storage: ${storage.description}\n` +
              `  used bytes: ${Math.max(0, used.usedSpace)}\n used inodes: ${Math.max(0, used.usedInodes)}\n`,
          );
          warnLine('The target volume will be permanently destroyed, including:');
          warnLine(`1. ALL objects in the data storage: ${storage.description}`);
          warnLine(`2. ALL entries in the metadata engine: ${redactUrl(metaUrl)}`);
          if (!a.yes && !(await userConfirmed())) {
            throw fsError('ECANCELED', `Aborted: destroying volume ${f.Name} was not confirmed (answer y, or add --yes to run without the question)`);
          }
        }
        // Objects first: if that fails, the metadata still says what the volume was.
        let removed = 0;
        for (;;) {
          const page = await storage.list('', { limit: 1000 }).catch((err: { code?: string }) => {
            if (err.code === 'ENOENT') return []; // the bucket (or local directory) is gone already
            throw err;
          });
          const files = page.filter((o) => !o.isDir);
          if (files.length === 0) break;
          for (const o of files) await storage.delete(o.key);
          removed += files.length;
        }
        // Local storage keeps the directories it made under BUCKET/NAME/.
        if (f.Storage === 'file') rmSync(`${f.Bucket.replace(/\/?$/, '/')}${f.Name}`, { recursive: true, force: true });
        log.info(`deleted ${removed} objects of volume ${f.Name}`);
        await store.reset();
        log.info(`volume ${f.Name} destroyed`);
      });
    },
  );
}

/**
 * What listing and deleting objects needs: the keys in plain text but no data encryption key.
 * A secret that was removed (a volume loaded from a dump) is left empty, which local storage does
 * not need; other storage then fails to list, and the message says so.
 */
function listingFormat(f: Format): Format {
  const out = openSecrets(f);
  delete out.EncryptKey;
  for (const k of ['SecretKey', 'SessionToken'] as const) if (out[k] === 'removed') delete out[k];
  return out;
}
