import yargs from 'yargs';
import { setRawArgs } from './args.js';
import { configCommand } from './commands/config.js';
import { destroyCommand } from './commands/destroy.js';
import { dumpCommand, loadCommand } from './commands/dump.js';
import { formatCommand } from './commands/format.js';
import { statusCommand } from './commands/status.js';
import { fsckCommand } from './commands/fsck.js';
import { gcCommand } from './commands/gc.js';
import { infoCommand } from './commands/info.js';
import { rmrCommand } from './commands/rmr.js';
import { compactCommand } from './commands/compact.js';
import { profileCommand } from './commands/profile.js';
import { summaryCommand } from './commands/summary.js';
import { cloneCommand } from './commands/clone.js';
import { warmupCommand } from './commands/warmup.js';
import { statsCommand } from './commands/stats.js';
import { benchCommand } from './commands/bench.js';
import { objbenchCommand } from './commands/objbench.js';
import { mountCommand, umountCommand } from './commands/mount.js';
import { restoreCommand } from './commands/restore.js';
import { quotaCommand } from './commands/quota.js';
import { VERSION } from './version.js';

export { VERSION };

/** A command line that does not parse (unknown command, missing argument). */
class UsageError extends Error {}

/**
 * Run the juicefs command line with `args` (without node and script). Returns the exit code:
 * 0 on success, 1 on any failure, after printing `juicefs: <what went wrong and how to fix it>`.
 */
export async function run(args: string[]): Promise<number> {
  setRawArgs(args);
  let code = 0;
  const report = (message: string) => {
    code = 1;
    process.stderr.write(`juicefs: ${message}\n`);
  };
  let y = yargs(args)
    .scriptName('juicefs')
    .usage('$0 <command> [options]\n\nA JuiceFS-compatible file system client in TypeScript.')
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .demandCommand(1, 'name a command (juicefs --help lists them)')
    .version(VERSION)
    .alias('V', 'version')
    .help()
    .alias('h', 'help')
    .completion('completion', 'Print a bash completion script (juicefs completion >> ~/.bashrc)')
    .command('version', 'Print the version', () => undefined, () => {
      process.stdout.write(`juicefs version ${VERSION}\n`);
    })
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs here: without it, a usage error would still run the command's handler.
      if (err) throw err;
      throw new UsageError(`${msg}\n(run juicefs ${args[0] && !args[0].startsWith('-') ? `${args[0]} ` : ''}--help for usage)`);
    });
  for (const add of [formatCommand, mountCommand, umountCommand, statusCommand, configCommand, quotaCommand, destroyCommand, dumpCommand, loadCommand, gcCommand, fsckCommand, infoCommand, summaryCommand, rmrCommand, restoreCommand, cloneCommand, compactCommand, warmupCommand, statsCommand, profileCommand, benchCommand, objbenchCommand]) y = add(y);
  try {
    await y.parseAsync();
  } catch (err) {
    report((err as Error).message);
  }
  return code;
}
