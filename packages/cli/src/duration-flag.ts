import { fsError } from '@juicefs/core';

const SECONDS_PER: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * A duration flag read as JuiceFS reads one (pkg/utils Duration), in seconds: a plain number is
 * seconds (`60`, `1.5`, `-1`); otherwise a Go duration (`30s`, `1m30s`, `500ms`), optionally
 * after a number of days (`1d`, `2d12h`). JuiceFS turns anything else into 0 with a warning;
 * here it is an error naming the flag, before anything is done.
 */
export function parseDurationFlag(flag: string, text: unknown): number {
  const s = String(text ?? '').trim();
  const bad = (): Error => fsError('EINVAL', `--${flag} "${s}" is not a duration: give seconds (e.g. 60) or a duration such as 30s, 1m30s, 500ms or 1d`);
  if (s === '') throw bad();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  let days = 0;
  let rest = s;
  const d = s.indexOf('d');
  if (d >= 0) {
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s.slice(0, d))) throw bad();
    days = Number(s.slice(0, d));
    rest = s.slice(d + 1);
    if (rest === '') return days * 86400;
  }
  const goSeconds = goDuration(rest);
  if (goSeconds === undefined) throw bad();
  return days * 86400 + goSeconds;
}

/** Go's time.ParseDuration, in seconds; undefined when `s` is not one. */
function goDuration(s: string): number | undefined {
  const sign = s.startsWith('-') ? -1 : 1;
  let rest = s.replace(/^[-+]/, '');
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * SECONDS_PER[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}
