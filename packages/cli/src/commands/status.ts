import type { Argv } from 'yargs';
import { printJson } from '../output.js';
import { redacted } from '../secrets.js';
import { readFormat } from '../volume.js';
import { withEngine } from '../wiring.js';
import { readCounters, volumeTotals } from '@juicefs/meta';
import { moreStatistic } from './status-more.js';

export function statusCommand(y: Argv): Argv {
  return y.command(
    'status META-URL',
    'Show the volume settings (secrets removed), statistics and the client sessions',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .option('session', { alias: 's', type: 'number', describe: 'show one session in detail (sustained inodes)' })
        .option('more', { alias: 'm', type: 'boolean', default: false, describe: 'also count the files in the trash and the files and slices waiting to be deleted (may take long)' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      await withEngine(metaUrl, async (store) => {
        const format = await readFormat(store, metaUrl);
        const sessions = await store.listSessions();
        const view = (s: (typeof sessions)[number]) => ({
          Sid: s.sid,
          Expire: new Date(s.expire * 1000).toISOString(),
          ...(s.info ? (JSON.parse(s.info) as Record<string, unknown>) : {}),
        });
        if (a.session !== undefined) {
          const s = sessions.find((x) => x.sid === a.session);
          if (!s) throw new Error(`session ${a.session} not found: juicefs status ${metaUrl} lists the live ones`);
          printJson({ ...view(s), Sustained: (await store.listSustained(s.sid)).map(String) });
          return;
        }
        const c = await readCounters(store);
        // As JuiceFS: what statfs (df) reports, so a volume without quotas shows its 1 PiB and
        // 10 Mi inodes (doubled as usage nears them) rather than no number at all.
        const st = volumeTotals(format, c.usedSpace, c.usedInodes);
        printJson({
          Setting: redacted(format),
          Sessions: sessions.map(view),
          Statistic: {
            UsedSpace: st.totalSpace - st.availSpace,
            AvailableSpace: st.availSpace,
            UsedInodes: st.usedInodes,
            AvailableInodes: st.availInodes,
            ...(a.more ? await moreStatistic(store) : {}),
          },
        });
      });
    },
  );
}
