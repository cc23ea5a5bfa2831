import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Argv, Options } from 'yargs';
import type yargsModule from 'yargs';
import { keepLastOfRepeated, setRawArgs } from './args.js';
import { VERSION } from './version.js';
import { log, logLevelOf, setLogId, setLogLevel, type LogFlags } from './log.js';

// yargs's ES-module build wraps help text with cliui's plain wrap, which cuts words in two at the
// column ("~/.bas" / "hrc"); its CommonJS build wraps at spaces (wrap-ansi). The built command is
// an ES module, so it loads the CommonJS build explicitly, from its real path: through pnpm's
// symlinks the loader once kept the link's path and then could not find yargs's own
// dependencies, which sit beside the real directory (Node 20.20, measured).
const yargsEntry = realpathSync(createRequire(import.meta.url).resolve('yargs'));
const yargs = createRequire(yargsEntry)(yargsEntry) as typeof yargsModule;

export { VERSION };

/** JuiceFS's global flags (cmd/flags.go globalFlags): given before or after the command. */
const GLOBAL_FLAGS = {
  'debug': { alias: ['verbose', 'v'], type: 'boolean', global: true, describe: 'print debug messages too' },
  'quiet': { alias: 'q', type: 'boolean', global: true, describe: 'print warnings and errors only (and no progress bars)' },
  'trace': { type: 'boolean', global: true, describe: 'print trace messages too' },
  'log-level': { type: 'string', global: true, hidden: true, describe: 'trace, debug, info, warn or error' },
  'log-id': { type: 'string', global: true, describe: 'put [ID] before every message on stderr ("random": a random UUID)' },
  'no-agent': { type: 'boolean', global: true, describe: 'accepted for JuiceFS command lines: this client runs no pprof agent' },
  'pyroscope': { type: 'string', global: true, describe: 'not supported: this client cannot push profiles to Pyroscope (a warning, not an error)' },
  'no-color': { type: 'boolean', global: true, describe: 'no colours in the output (stats colours its figures on a terminal)' },
} as const satisfies Record<string, Options>;

function applyGlobalFlags(a: LogFlags & { pyroscope?: string | undefined; 'log-id'?: string | undefined }): void {
  setLogLevel(logLevelOf(a));
  setLogId(a['log-id']);
  log.debug(`juicefs ${VERSION} on node ${process.version} (${process.platform}-${process.arch}), pid ${process.pid}`);
  if (a.pyroscope) log.warn(`warning: --pyroscope ${a.pyroscope}: this client does not push profiles to Pyroscope; profile a mount with node --cpu-prof instead`);
}

/** Registers one command (its flags, help and handler) with yargs. */
type AddCommand = (y: Argv) => Argv;

/**
 * Every command's module, in the order `juicefs --help` lists them. Only the module of the
 * command a line names is loaded (each pulls in the engines, the data layer or FUSE it needs);
 * a line naming none (`--help`, `help`, `completion`, a typo) loads them all.
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<AddCommand>]> = [
  ['format', async () => (await import('./commands/format.js')).formatCommand],
  ['mount', async () => (await import('./commands/mount.js')).mountCommand],
  ['umount', async () => (await import('./commands/mount.js')).umountCommand],
  ['status', async () => (await import('./commands/status.js')).statusCommand],
  ['config', async () => (await import('./commands/config.js')).configCommand],
  ['quota', async () => (await import('./commands/quota.js')).quotaCommand],
  ['destroy', async () => (await import('./commands/destroy.js')).destroyCommand],
  ['dump', async () => (await import('./commands/dump.js')).dumpCommand],
  ['load', async () => (await import('./commands/dump.js')).loadCommand],
  ['gc', async () => (await import('./commands/gc.js')).gcCommand],
  ['fsck', async () => (await import('./commands/fsck.js')).fsckCommand],
  ['info', async () => (await import('./commands/info.js')).infoCommand],
  ['summary', async () => (await import('./commands/summary.js')).summaryCommand],
  ['rmr', async () => (await import('./commands/rmr.js')).rmrCommand],
  ['restore', async () => (await import('./commands/restore.js')).restoreCommand],
  ['clone', async () => (await import('./commands/clone.js')).cloneCommand],
  ['compact', async () => (await import('./commands/compact.js')).compactCommand],
  ['warmup', async () => (await import('./commands/warmup.js')).warmupCommand],
  ['sync', async () => (await import('./commands/sync.js')).syncCommand],
  ['gateway', async () => (await import('./commands/gateway.js')).gatewayCommand],
  ['webdav', async () => (await import('./commands/webdav.js')).webdavCommand],
  ['tier', async () => (await import('./commands/tier.js')).tierCommand],
  ['changelog', async () => (await import('./commands/changelog.js')).changelogCommand],
  ['stats', async () => (await import('./commands/stats.js')).statsCommand],
  ['profile', async () => (await import('./commands/profile.js')).profileCommand],
  ['debug', async () => (await import('./commands/debug.js')).debugCommand],
  ['bench', async () => (await import('./commands/bench.js')).benchCommand],
  ['objbench', async () => (await import('./commands/objbench.js')).objbenchCommand],
  ['mdtest', async () => (await import('./commands/mdtest.js')).mdtestCommand],
];

/** Global flags that take a value (the word after them is not the command), from GLOBAL_FLAGS. */
const VALUED_GLOBALS = new Set(Object.entries(GLOBAL_FLAGS).filter(([, o]) => o.type === 'string').map(([name]) => `--${name}`));

/** The command word of a line: its first word that is neither a flag nor a global flag's value. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-')) return a;
    if (VALUED_GLOBALS.has(a)) i++;
  }
  return undefined;
}

/** The commands a line needs registered: the one it names, none for `version`, or all of them. */
async function commandsFor(args: readonly string[]): Promise<AddCommand[]> {
  const word = commandWord(args);
  if (word === 'version') return [];
  const named = COMMANDS.find(([name]) => name === word);
  return Promise.all((named ? [named] : COMMANDS).map(([, load]) => load()));
}

/** A command line that does not parse (unknown command, missing argument). */
class UsageError extends Error {}

/**
 * Run the juicefs command line with `args` (without node and script). Returns the exit code:
 * 0 on success, 1 on any failure, after printing `juicefs: <what went wrong and how to fix it>`.
 */
export async function run(args: string[]): Promise<number> {
  setRawArgs(args);
  setLogLevel('info');
  setLogId(undefined);
  let code = 0;
  const report = (message: string) => {
    code = 1;
    log.error(`juicefs: ${message}`);
  };
  let y: Argv = yargs(args)
    .scriptName('juicefs')
    .usage('$0 <command> [options]\n\nA JuiceFS-compatible file system client in TypeScript.')
    .parserConfiguration({ 'boolean-negation': false })
    .strict()
    .demandCommand(1, 'name a command (juicefs --help lists them)')
    // As JuiceFS's --version (urfave/cli prints "NAME version VERSION"), the same line as `juicefs version`.
    .version(`juicefs version ${VERSION}`)
    .alias('V', 'version')
    .help()
    .alias('h', 'help')
    .options(GLOBAL_FLAGS)
    // Before validation, so a command's own checks already log at the level asked for.
    // yargs hands middleware its parser too (not in its typings): the list flags are declared there.
    .middleware((a, parser?: { getOptions(): { array: string[] } }) => {
      if (parser) keepLastOfRepeated(a, parser.getOptions().array);
    }, true)
    .middleware((a) => applyGlobalFlags(a), true)
    .completion('completion', 'Print a bash completion script (juicefs completion >> ~/.bashrc)')
    .command('version', 'Print the version', () => undefined, () => {
      process.stdout.write(`juicefs version ${VERSION}\n`);
    })
    // As JuiceFS's (urfave/cli's) help command: `juicefs help`, `juicefs help quota set`.
    .command('help [COMMAND..]', 'Show the commands, or the help of one', (c) => c.positional('COMMAND', { type: 'string', array: true }), async (a) => {
      const words = (a['COMMAND'] as string[] | undefined) ?? [];
      if ((await run([...words, '--help'])) !== 0) throw new Error(`no help for "${words.join(' ')}": juicefs --help lists the commands`);
    })
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs here: without it, a usage error would still run the command's handler.
      if (err) throw err;
      throw new UsageError(`${msg}\n(run juicefs ${args[0] && !args[0].startsWith('-') ? `${args[0]} ` : ''}--help for usage)`);
    });
  try {
    for (const add of await commandsFor(args)) y = add(y);
    await y.parseAsync();
  } catch (err) {
    report((err as Error).message);
  }
  return code;
}
