/**
 * The command's messages on stderr, by level, as JuiceFS's global flags choose them: `--debug`
 * (`-v`, `--verbose`) adds debug messages, `--trace` trace messages too, `-q` (`--quiet`) keeps only
 * warnings and errors, and the hidden `--log-level` names a level outright. Command results
 * (tables, JSON) go to stdout and are never filtered: a script's `-q` silences chatter, not answers.
 */
import { randomUUID } from 'node:crypto';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** Go's logrus levels that have no rank of their own here (both only ever print errors). */
const ALIASES: Record<string, LogLevel> = { warning: 'warn', fatal: 'error', panic: 'error' };

let threshold: LogLevel = 'info';

/** JuiceFS's `--log-id`: a tag on every message, so one command's lines can be told apart in a shared log. */
let logId = '';

/** Set the tag (`random` picks a UUID, as JuiceFS does); empty removes it. */
export function setLogId(id: string | undefined): void {
  logId = id === 'random' ? randomUUID() : (id ?? '');
}

/** The global flags as yargs parsed them. */
export interface LogFlags {
  debug?: boolean | undefined;
  trace?: boolean | undefined;
  quiet?: boolean | undefined;
  'log-level'?: string | undefined;
}

/** The level the global flags ask for; an unknown `--log-level` is an error that lists the known ones. */
export function logLevelOf(flags: LogFlags): LogLevel {
  const named = flags['log-level'];
  if (named !== undefined && named !== '') {
    const level = (LOG_LEVELS as readonly string[]).includes(named.toLowerCase()) ? (named.toLowerCase() as LogLevel) : ALIASES[named.toLowerCase()];
    if (level === undefined) throw new Error(`--log-level ${named}: not a level; use one of ${[...LOG_LEVELS, 'fatal', 'panic'].join(', ')}`);
    return level;
  }
  if (flags.trace) return 'trace';
  if (flags.debug) return 'debug';
  if (flags.quiet) return 'warn';
  return 'info';
}

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function logLevel(): LogLevel {
  return threshold;
}

/** Whether messages of `level` are printed (to skip building costly debug text). */
export function logs(level: LogLevel): boolean {
  return rank[level] >= rank[threshold];
}

function emit(level: LogLevel, message: string): void {
  if (!logs(level)) return;
  // Info and warnings keep the wording people and tests already read; debug and trace say what they are.
  const prefix = level === 'debug' || level === 'trace' ? `juicefs [${level}]: ` : '';
  process.stderr.write(`${logId !== '' ? `[${logId}] ` : ''}${prefix}${message}\n`);
}

export const log = {
  trace: (message: string): void => emit('trace', message),
  debug: (message: string): void => emit('debug', message),
  info: (message: string): void => emit('info', message),
  warn: (message: string): void => emit('warn', message),
  error: (message: string): void => emit('error', message),
};
