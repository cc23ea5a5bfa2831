import { nowTimespec } from '@juicefs/core';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';

// JuiceFS 1.4's metadata change log (FORMAT.md 4.8). With `ChangeLog` in the format, every
// transaction that changes the tree also appends one line, in the same transaction, so a line
// exists exactly when its change committed. Redis keeps the lines in the list `txnLog` and their
// count in `txnLastLog`; SQL in `jfs_change_log`, whose auto-increment id is the version.
//
// A line: `<seconds>.<nanoseconds>|<OPERATION(args)[:result]>|(<sid>,<txnId>)`. Operation names
// are the Go client's; the argument lists are this client's (FORMAT.md leaves them open) and are
// listed in the package README. Names and values are percent-encoded, so a line never holds the
// separators `|`, `,`, `(`, `)` or `:` inside an argument, nor a line break.

/** One line of the change log and its version (1 for the first line ever appended). */
export interface ChangeLogEntry {
  version: number;
  entry: string;
}

/** Where an engine keeps the change log. */
export interface ChangeLogStore {
  /** Lines with a version above `after`, oldest first, at most `limit` of them. */
  read(after: number, limit: number): Promise<ChangeLogEntry[]>;
  /** The version of the newest line ever appended (0 when none was). */
  last(): Promise<number>;
  /**
   * Drop lines written before `before` (Unix seconds) and all but the newest `maxLines`
   * (each rule skipped when undefined); returns how many were dropped.
   */
  trim(rules: { before?: number | undefined; maxLines?: number | undefined }): Promise<number>;
  /** Make the next line's version `version + 1` (loading a dump that recorded it). */
  setLast(version: number): Promise<void>;
}

/** Seconds of retention `config --changelog` sets when the volume has none, as JuiceFS does. */
export const DEFAULT_CHANGELOG_MAX_AGE = 7200;

/** Seconds between trims of the log, shared between clients through `lastCleanupChangelog`. */
export const CHANGELOG_TRIM_INTERVAL = 60;

/** An argument as it appears in a line. */
export type ChangeLogArg = string | number | bigint | boolean | Buffer;

/** Bytes that may stand for themselves in an argument: printable ASCII but the separators and `%`. */
function plain(b: number): boolean {
  return b > 0x20 && b < 0x7f && b !== 0x25 && b !== 0x2c && b !== 0x28 && b !== 0x29 && b !== 0x7c && b !== 0x3a;
}

/** Percent-encode a name or value: bytes outside printable ASCII and the line's separators. */
export function escapeChangeLogBytes(value: Buffer | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const b of bytes) out += plain(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** The inverse of escapeChangeLogBytes. */
export function unescapeChangeLogBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

function formatArg(arg: ChangeLogArg): string {
  if (typeof arg === 'string' || Buffer.isBuffer(arg)) return escapeChangeLogBytes(arg);
  return String(arg);
}

/** Build one line (exported for tests and the reader's parser). */
export function changeLogLine(
  op: string,
  args: readonly ChangeLogArg[],
  result: ChangeLogArg | undefined,
  sid: number,
  txnId: number,
  t = nowTimespec(),
): string {
  const call = `${op}(${args.map(formatArg).join(',')})${result === undefined ? '' : `:${formatArg(result)}`}`;
  return `${t.sec}.${String(t.nsec).padStart(9, '0')}|${call}|(${sid},${txnId})`;
}

/** A parsed line: when, which operation with which raw arguments, which session. */
export interface ParsedChangeLogLine {
  sec: number;
  nsec: number;
  op: string;
  args: string[];
  result: string | undefined;
  sid: number;
  txnId: number;
}

const LINE = /^(\d+)\.(\d{9})\|([A-Z_]+)\(([^)]*)\)(?::([^|]*))?\|\((\d+),(\d+)\)$/;

/** Parse a line of the log, or undefined for a line in another shape (another client's). */
export function parseChangeLogLine(line: string): ParsedChangeLogLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return {
    sec: Number(m[1]),
    nsec: Number(m[2]),
    op: m[3]!,
    args: m[4] === '' ? [] : m[4]!.split(','),
    result: m[5],
    sid: Number(m[6]),
    txnId: Number(m[7]),
  };
}

/** The Unix seconds a line was written at (the part before the first dot), or undefined. */
export function changeLogSeconds(line: string): number | undefined {
  const dot = line.indexOf('.');
  if (dot <= 0) return undefined;
  const sec = Number(line.slice(0, dot));
  return Number.isFinite(sec) ? sec : undefined;
}

/** This client's transaction counter, the second number of `(<sid>,<txnId>)`. */
const txnCounters = new WeakMap<MetaState, { next: number }>();

/** Whether this volume writes the change log. */
export function changeLogEnabled(m: MetaState): boolean {
  return m.format?.ChangeLog === true;
}

/**
 * Append the line of an operation to the transaction `tx`, when the volume keeps a change log.
 * Call it once per committed operation, inside the transaction, after its checks passed.
 */
export function logChange(
  m: MetaState,
  tx: TxStore,
  op: string,
  args: readonly ChangeLogArg[],
  result?: ChangeLogArg,
): void {
  if (!changeLogEnabled(m) || !tx.appendChangeLog) return;
  let counter = txnCounters.get(m);
  if (!counter) txnCounters.set(m, (counter = { next: 1 }));
  tx.appendChangeLog(changeLogLine(op, args, result, m.sid, counter.next++));
}

/**
 * Trim the log by the volume's retention rules (`ChangeLogMaxAge` seconds, `ChangeLogMaxLines`;
 * 0 or absent turns a rule off). Returns how many lines went.
 */
export async function trimChangeLog(m: MetaState, now: number): Promise<number> {
  const store = m.store.changeLog;
  if (!store) return 0;
  const maxAge = m.format?.ChangeLogMaxAge ?? 0;
  const maxLines = m.format?.ChangeLogMaxLines ?? 0;
  if (maxAge <= 0 && maxLines <= 0) return 0;
  return store.trim({
    before: maxAge > 0 ? now - maxAge : undefined,
    maxLines: maxLines > 0 ? maxLines : undefined,
  });
}
