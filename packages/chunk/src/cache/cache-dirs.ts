import fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { cacheDirMode, makeDirs } from './files.js';

/**
 * The directories a `--cache-dir` names, as JuiceFS reads it: a `:`-separated list (or a
 * `,`-separated one, without any `:`), each entry a path or a glob pattern (`/mnt/ssd*`,
 * `/mnt/disk[1-4]/cache`). A plain path is used whether or not it exists yet (it is made); a
 * pattern stands for the directories it matches now, and plain parts after it are used as given
 * (`/mnt/disk?/jfs` is `jfs` in every disk it matches, made if missing). Relative paths and `~/`
 * are made absolute, trailing slashes dropped, and the result is sorted (JuiceFS sorts it too)
 * without repeats.
 */
export function expandCacheDirs(spec: string): string[] {
  const dirs = new Set<string>();
  // As JuiceFS's SplitDir: a list is `:`-separated, or `,`-separated when there is no `:`.
  const colon = spec.split(':');
  for (const entry of colon.length > 1 ? colon : spec.split(',')) {
    if (entry.trim() === '') continue;
    for (const dir of expandEntry(entry.trim())) dirs.add(dir);
  }
  return [...dirs].sort();
}

const GLOB_META = /[*?[\\]/;

function expandEntry(pattern: string): string[] {
  // Absolute, as JuiceFS makes them (relPathToAbs, `~/` too): .config shows where the cache
  // is to tools running elsewhere (JuiceFS's umount --flush), and a restart from another
  // directory finds the same cache.
  const home = pattern === '~' || pattern.startsWith('~/') ? path.join(os.homedir(), pattern.slice(1)) : pattern;
  const trimmed = path.resolve(home).replace(/\/+$/, '');
  if (trimmed === '') return ['/'];
  if (!GLOB_META.test(trimmed)) return [trimmed];
  let found = ['/'];
  for (const part of trimmed.split('/').filter((p) => p !== '')) {
    const next: string[] = [];
    for (const base of found) {
      if (!GLOB_META.test(part)) {
        next.push(path.join(base, part));
        continue;
      }
      const match = globPart(part);
      let names: string[];
      try {
        names = fs.readdirSync(base).sort();
      } catch {
        continue; // not a directory, or unreadable: nothing matches below it
      }
      // Only directories match: a file cannot hold a cache (JuiceFS would take it and fail on it).
      for (const name of names) if (match.test(name) && isDirectory(path.join(base, name))) next.push(path.join(base, name));
    }
    found = next;
  }
  return found;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** One path component of a pattern as Go's filepath.Match reads it (`*`, `?`, `[a-z]`, `[^…]`, `\` escapes), as a RegExp. */
function globPart(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < part.length) re += escape(part[++i]!);
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 's');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The id of a cache directory (`<dir>/<uuid>`): the text of its `.lock` file, which JuiceFS writes
 * with a new UUID the first time it uses the directory and keeps. The ring of several directories
 * (cache-ring.ts) is built from these ids, so blocks stay where they are when the list is given
 * in another order or another directory joins it.
 */
export function cacheDirId(volumeDir: string, fileMode: number): string {
  makeDirs(volumeDir, cacheDirMode(fileMode));
  const lock = path.join(volumeDir, '.lock');
  const fd = fs.openSync(lock, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o666);
  try {
    const id = fs.readFileSync(fd).toString('utf8');
    if (id.length > 0) return id;
    const fresh = randomUUID();
    fs.writeSync(fd, fresh);
    return fresh;
  } finally {
    fs.closeSync(fd);
  }
}

/** Gives the directory a new id (when two directories of one list carry the same, being copies). */
export function renewCacheDirId(volumeDir: string): string {
  const fresh = randomUUID();
  fs.writeFileSync(path.join(volumeDir, '.lock'), fresh);
  return fresh;
}
