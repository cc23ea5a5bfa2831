import { fsError } from '@juicefs/core';

/**
 * `--upload-hours start,end` (or `start-end`): staged blocks are uploaded only from `start`:00 up
 * to, not including, `end`:00 local time; a window with start > end wraps over midnight (23,3 is
 * 23:00 to 02:59), and start = end means no window (JuiceFS's parseHours / canUpload in
 * pkg/chunk/cached_store.go).
 */
export interface UploadHours {
  start: number;
  end: number;
}

/** Parses `--upload-hours`; empty text means no window. */
export function parseUploadHours(text: string): UploadHours | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const parts = t.split(t.includes('-') ? '-' : ',');
  const hours = parts.map((p) => (/^\s*\d{1,2}\s*$/.test(p) ? Number(p) : NaN));
  if (hours.length !== 2 || hours.some((h) => !(h >= 0 && h <= 23))) {
    throw fsError('EINVAL', `--upload-hours "${text}": give the start and end hour of the upload window, 0 to 23, as START,END (e.g. --upload-hours 1,6 for 01:00-05:59, 23,3 over midnight)`);
  }
  return { start: hours[0] ?? 0, end: hours[1] ?? 0 };
}

/** True when `at` (local time) is inside the window, or there is no window. */
export function inUploadHours(w: UploadHours | undefined, at: Date): boolean {
  if (!w || w.start === w.end) return true;
  const h = at.getHours();
  return w.start < w.end ? h >= w.start && h < w.end : h >= w.start || h < w.end;
}

/** Milliseconds from `at` until the window next opens (0 inside it). */
export function msUntilUploadHours(w: UploadHours | undefined, at: Date): number {
  if (inUploadHours(w, at) || !w) return 0;
  const open = new Date(at);
  open.setMinutes(0, 0, 0);
  open.setHours(w.start);
  if (open.getTime() <= at.getTime()) open.setDate(open.getDate() + 1);
  return open.getTime() - at.getTime();
}

/** When staged blocks may go: `--upload-delay` after staging, and only within `--upload-hours`. */
export interface UploadSchedule {
  delayMs: number;
  hours?: UploadHours | undefined;
}

/** Milliseconds from `now` until a block staged at `stagedAt` may be uploaded (0: now). */
export function msUntilUpload(s: UploadSchedule, stagedAt: number, now: number): number {
  const afterDelay = Math.max(now, stagedAt + s.delayMs);
  return afterDelay - now + msUntilUploadHours(s.hours, new Date(afterDelay));
}
