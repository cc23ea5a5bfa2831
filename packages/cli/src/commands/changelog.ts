import { setTimeout as sleep } from 'node:timers/promises';
import { fsError } from '@juicefs/core';
import { BaseMeta, type ChangeLogEntry } from '@juicefs/meta';
import type { Argv } from 'yargs';
import { log } from '../log.js';
import { untilStopSignal } from '../volume-service.js';
import { withEngine } from '../wiring.js';

/** Lines fetched per read of the log. */
const PAGE = 1000;

export function changelogCommand(y: Argv): Argv {
  return y.command(
    'changelog META-URL',
    'Print the metadata change log (JuiceFS 1.4), then wait for new lines until interrupted',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .option('from', {
          type: 'number',
          default: 0,
          describe: 'print the lines after this version (the last one a consumer processed); 0 starts at the newest line',
        })
        .option('follow', { type: 'boolean', default: true, describe: 'wait for new lines (--follow=false prints what is there and exits)' })
        .option('interval', { type: 'number', default: 0.5, describe: 'seconds between looks for new lines while following' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const from = Number(a.from);
      if (!Number.isSafeInteger(from) || from < 0) throw fsError('EINVAL', `--from ${String(a.from)}: give a version, 0 or more`);
      const interval = Number(a.interval);
      if (!(interval > 0)) throw fsError('EINVAL', `--interval ${String(a.interval)}: give a number of seconds above 0`);
      await withEngine(metaUrl, async (store) => {
        const meta = new BaseMeta(store);
        const format = await meta.load();
        if (format.ChangeLog !== true) {
          log.warn(`warning: the change log of volume ${format.Name} is off, so no new lines will come: turn it on with juicefs config ${metaUrl} --changelog`);
        }
        const stop = a.follow === true ? stopSignal() : undefined;
        await tail(meta, from === 0 ? await meta.lastChangeLogVersion() : from, a.follow === true, interval * 1000, stop);
      });
    },
  );
}

interface StopSignal {
  done: boolean;
  stopped: Promise<void>;
}

/** SIGINT/SIGTERM as a flag and a promise, so a wait between looks ends at once. */
function stopSignal(): StopSignal {
  const state: StopSignal = { done: false, stopped: Promise.resolve() };
  state.stopped = untilStopSignal().then(() => {
    state.done = true;
  });
  return state;
}

/**
 * Print every line after version `after` as `<version> <line>`, and with `follow` keep looking
 * every `intervalMs` until a stop signal. A gap (lines trimmed before they were read) is reported
 * on stderr with the versions lost, so a consumer knows to start over from a fresh dump.
 */
async function tail(
  meta: BaseMeta,
  after: number,
  follow: boolean,
  intervalMs: number,
  stop: StopSignal | undefined,
): Promise<void> {
  let last = after;
  for (;;) {
    const page: ChangeLogEntry[] = await meta.readChangeLog(last, PAGE);
    const first = page[0];
    if (first && first.version > last + 1 && last > 0) {
      log.warn(`warning: change log lines ${last + 1} to ${first.version - 1} were trimmed before they were read`);
    }
    if (page.length > 0) {
      process.stdout.write(page.map((e) => `${e.version} ${e.entry}\n`).join(''));
      last = page[page.length - 1]!.version;
      if (page.length === PAGE) continue;
    }
    if (!follow || stop?.done) return;
    await Promise.race([sleep(intervalMs, undefined, { ref: true }), stop?.stopped]);
    if (stop?.done) return;
  }
}
