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

/**
 * Whether stderr is a file: a background mount's or server's `--log`, or `2>>FILE`. Lines there
 * get a time, the process id and the level, as JuiceFS writes every line
 * (`2026/11/27 21:33:50.123456 juicefs[1234] <INFO>: …`): in a log that several mounts share for
 * days, a bare message tells neither when nor whose. A terminal or a pipe gets the message alone.
 *
 * Read from Node's own classification of fd 2 when it made process.stderr ('tty', 'pipe' or
 * 'fs'), not from an fstat(2) of our own: made at module load, that one left the CommonJS loader
 * unable to resolve yargs's dependencies through pnpm's symlinks (Node 20.20, measured; the cause
 * was not found).
 */
const intoFile = (process.stderr as { _type?: string })._type === 'fs';

/** Go's logrus names of the levels, as JuiceFS prints them. */
const LEVEL_NAMES: Record<LogLevel, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/** Local time as JuiceFS's logs give it: `2006/01/02 15:04:05.000000`. */
export function logTimestamp(epochMicros: number): string {
  const d = new Date(Math.floor(epochMicros / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  const micros = String(Math.floor(epochMicros) % 1_000_000).padStart(6, '0');
  return `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${micros}`;
}

/**
 * One message as stderr gets it, whatever the threshold: stamped into a file; on a terminal or a
 * pipe info and warnings keep the wording people and tests already read, debug and trace say
 * what they are.
 */
export function logLine(level: LogLevel, message: string): string {
  const id = logId !== '' ? `[${logId}] ` : '';
  if (intoFile) {
    const now = Math.round((performance.timeOrigin + performance.now()) * 1000);
    return `${id}${logTimestamp(now)} juicefs[${process.pid}] <${LEVEL_NAMES[level]}>: ${message}\n`;
  }
  const prefix = level === 'debug' || level === 'trace' ? `juicefs [${level}]: ` : '';
  return `${id}${prefix}${message}\n`;
}

/** A log file's line without what logLine put before the message (the tag, time, pid and level). */
export function messageOf(line: string): string {
  return line.replace(/^(\[[^\]]*\] )?\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} juicefs\[\d+\] <[A-Z]+>: /, '');
}

function emit(level: LogLevel, message: string): void {
  if (logs(level)) process.stderr.write(logLine(level, message));
}

export const log = {
  trace: (message: string): void => emit('trace', message),
  debug: (message: string): void => emit('debug', message),
  info: (message: string): void => emit('info', message),
  warn: (message: string): void => emit('warn', message),
  error: (message: string): void => emit('error', message),
};
