import { fsError } from '@juicefs/core';
import { parseDurationFlag } from '../duration-flag.js';
import { atLeastZero } from './flags-sizes.js';
import { parseUploadHours } from '@juicefs/chunk';
import type { Options } from 'yargs';
import type { ServeOptions } from './serve.js';
import { log } from '../log.js';

/**
 * JuiceFS's object-storage and upload flags of `juicefs mount` (cmd/flags.go storageFlags and
 * dataCacheFlags), with its defaults. Durations take JuiceFS's forms: plain seconds (`60`) or a
 * Go duration (`30s`, `1m30s`, `500ms`); sizes take bytes or a unit (`4M`, `512K`).
 */
export const OBJSTORE_FLAGS = {
  'get-timeout': { type: 'string', default: '60', describe: 'the longest one object GET may take (seconds, or a duration such as 30s); past it the GET fails and is retried' },
  'put-timeout': { type: 'string', default: '60', describe: 'the longest one object PUT or DELETE may take (seconds, or a duration such as 2m); past it the call fails and is retried' },
  'io-retries': { type: 'number', default: 10, describe: 'retries of an object call after a network failure or timeout, before the file operation fails with EIO' },
  'max-downloads': { type: 'number', default: 200, describe: 'object GETs at the same time' },
  'max-deletes': { type: 'number', default: 10, describe: 'object deletes at the same time when removing data of deleted files (0: leave it to juicefs gc; -1: no limit)' },
  'upload-delay': { type: 'string', default: '0', describe: 'with --writeback, how long a staged block waits before it is uploaded (seconds, or a duration such as 30s, 1h)' },
  'upload-hours': { type: 'string', describe: 'with --writeback, upload staged blocks only between these hours, as START,END (e.g. 1,6 for 01:00-05:59; 23,3 wraps midnight)' },
  'writeback-threshold-size': { type: 'string', default: '0', describe: 'with --writeback, stage only blocks smaller than this (bytes, or e.g. 4M); larger ones are uploaded directly (0: stage all)' },
  'max-stage-write': { type: 'number', default: 1000, describe: 'with --writeback, staged-file writes at once; further blocks are uploaded directly (0: no limit)' },
  'storage-class': { type: 'string', describe: 'storage class of objects written (S3 x-amz-storage-class, e.g. STANDARD_IA); only s3 and minio storages take one' },
  'check-storage': { type: 'boolean', default: false, describe: 'put, get and delete a test object before mounting, and refuse to mount if the object storage does not work' },
} as const satisfies Record<string, Options>;

/** The parsed flags `objstoreOptions` reads. */
export interface ObjstoreFlags {
  'get-timeout': string;
  'put-timeout': string;
  'io-retries': number;
  'max-downloads': number;
  'max-deletes': number;
  'upload-delay': string;
  'upload-hours'?: string | undefined;
  'writeback-threshold-size': string;
  'max-stage-write': number;
  'storage-class'?: string | undefined;
  'check-storage': boolean;
  'writeback'?: boolean | undefined;
}



const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40 };

/** A size as JuiceFS reads one with bytes as the default unit (`4096`, `4K`, `4M`, `4MiB`, `1.5G`). */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(String(text).trim());
  if (!m) throw fsError('EINVAL', `--${flag} "${text}" is not a size: give bytes or a number with K, M or G (e.g. 4M)`);
  return Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}

function wholeNumber(flag: string, v: number, min: number, hint: string): number {
  if (!Number.isInteger(v) || v < min) throw fsError('EINVAL', `--${flag} must be a whole number of at least ${min}, got ${v}${hint}`);
  return v;
}

/**
 * The flags above checked and turned into serve options; anything this client cannot honour is
 * an error naming the flag, raised before anything is mounted. Upload scheduling flags given
 * without --writeback do nothing, as in JuiceFS, which says so: here too, on stderr.
 */
export function objstoreOptions(a: ObjstoreFlags, warn: (message: string) => void = (m) => log.warn(`juicefs: ${m}`)): Partial<ServeOptions> {
  const positive = (flag: string, text: string): number => {
    const ms = parseDurationFlag(flag, text) * 1000;
    if (!(ms > 0)) throw fsError('EINVAL', `--${flag} ${text}: give a duration above 0 (JuiceFS's default is 60 seconds)`);
    return ms;
  };
  const out: Partial<ServeOptions> = {
    getTimeoutMs: positive('get-timeout', a['get-timeout']),
    putTimeoutMs: positive('put-timeout', a['put-timeout']),
    ioRetries: wholeNumber('io-retries', a['io-retries'], 0, ' (0: no retries)'),
    maxDownloads: wholeNumber('max-downloads', a['max-downloads'], 1, ''),
    maxStageWrite: wholeNumber('max-stage-write', a['max-stage-write'], 0, ' (0: no limit)'),
    writebackThresholdSize: parseSize('writeback-threshold-size', a['writeback-threshold-size']),
    checkStorage: a['check-storage'],
  };
  const deletes = a['max-deletes'];
  if (!Number.isInteger(deletes)) throw fsError('EINVAL', `--max-deletes must be a whole number, got ${deletes} (0: leave deleted data to juicefs gc, -1: no limit)`);
  out.maxDeletes = deletes;
  const delay = atLeastZero('upload-delay', parseDurationFlag('upload-delay', a['upload-delay'])) * 1000;
  const hours = a['upload-hours'] === undefined ? undefined : parseUploadHours(a['upload-hours']);
  if (!a.writeback && (delay > 0 || hours)) {
    warn('--upload-delay and --upload-hours only apply with --writeback: uploads are not delayed');
  } else {
    if (delay > 0) out.uploadDelayMs = delay;
    if (hours) out.uploadHours = hours;
  }
  const cls = a['storage-class'];
  if (cls !== undefined) {
    if (cls.trim() === '') throw fsError('EINVAL', '--storage-class needs a class name, e.g. STANDARD_IA; leave the flag out for the bucket default');
    out.storageClass = cls.trim();
  }
  return out;
}
