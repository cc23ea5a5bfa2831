import { rmSync } from 'node:fs';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { readFormat, redactUrl } from '../volume.js';
import { withEngine } from '../wiring.js';

export function destroyCommand(y: Argv): Argv {
  return y.command(
    'destroy META-URL UUID',
    "Delete a volume: all its metadata and, for file storage, its objects",
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('UUID', { type: 'string', demandOption: true, describe: 'the volume UUID (juicefs status shows it), as a safety check' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'do not ask for confirmation (required without a terminal)' })
        .option('force', { type: 'boolean', default: false, describe: 'destroy even while clients are connected' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      await withEngine(metaUrl, async (store) => {
        const f = await readFormat(store, metaUrl);
        if (f.UUID !== a.UUID) {
          throw fsError('EINVAL', `UUID mismatch: the volume in ${redactUrl(metaUrl)} has UUID ${f.UUID}, not ${String(a.UUID)}`);
        }
        const now = Date.now() / 1000;
        const live = (await store.listSessions()).filter((s) => s.expire > now);
        if (live.length > 0 && !a.force) {
          throw fsError('EBUSY', `${live.length} client session(s) are active (sids ${live.map((s) => s.sid).join(', ')}): unmount them first, or use --force`);
        }
        if (!a.yes) {
          throw fsError('EPERM', `destroying volume ${f.Name} deletes all its data: add --yes to confirm`);
        }
        if (f.Storage === 'file') {
          // File storage keeps the volume's objects under BUCKET/NAME/.
          rmSync(`${f.Bucket.replace(/\/?$/, '/')}${f.Name}`, { recursive: true, force: true });
        } else {
          process.stderr.write(`objects in ${f.Storage} bucket ${f.Bucket} were not deleted: only file storage is cleaned by this client yet\n`);
        }
        await store.reset();
        process.stderr.write(`volume ${f.Name} destroyed\n`);
      });
    },
  );
}
