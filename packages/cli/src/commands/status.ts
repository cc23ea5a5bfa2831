import type { Argv } from 'yargs';
import { printJson } from '../output.js';
import { redacted } from '../secrets.js';
import { readFormat } from '../volume.js';
import { withEngine } from '../wiring.js';
import { BaseMeta, readCounters, volumeTotals } from '@juicefs/meta';
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
          // As JuiceFS's GetSession: the files it keeps open after their removal and the locks it
          // holds, each left out when empty, inode numbers and lock owners as JSON numbers.
          const detail = (await new BaseMeta(store).listSessions()).find((x) => x.sid === s.sid);
          const sustained = detail?.sustained ?? [];
          const flocks = detail?.flocks ?? [];
          const plocks = detail?.plocks ?? [];
          printJson({
            ...view(s),
            ...(sustained.length > 0 ? { Sustained: sustained } : {}),
            ...(flocks.length > 0 ? { Flocks: flocks.map((l) => ({ Inode: l.ino, Owner: l.owner, Type: l.type })) } : {}),
            ...(plocks.length > 0
              ? { Plocks: plocks.map((l) => ({ Inode: l.ino, Owner: l.owner, Records: l.records.map((r) => ({ Type: r.type, Pid: r.pid, Start: r.start, End: r.end })) })) }
              : {}),
          }, { bigintsAsNumbers: true });
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
