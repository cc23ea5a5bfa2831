import { fsError } from '@juicefs/core';

/** One --include/--exclude rule, in the order given on the command line. */
export interface FilterRule {
  include: boolean;
  pattern: string;
}

/** A glob as rsync and JuiceFS write them: `*` stays within a name, `**` crosses `/`, `?` one character, `[…]` a class. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) throw fsError('EINVAL', `pattern ${glob}: "[" without "]"`);
      re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Which keys a sync takes: the first rule whose pattern matches decides, and a key no rule matches
 * is taken. A pattern without "/" matches the last name of a path, one with "/" (or any pattern
 * with --match-full-path) the whole path; a trailing "/" matches directories only. Everything
 * below an excluded directory is excluded with it, as rsync does.
 */
export class SyncFilter {
  private readonly rules: Array<{ include: boolean; re: RegExp; dirOnly: boolean; full: boolean }>;
  private excludedDirs: string[] = [];

  constructor(rules: readonly FilterRule[], matchFullPath: boolean) {
    this.rules = rules.map((r) => {
      const dirOnly = r.pattern.endsWith('/');
      const p = r.pattern.replace(/\/$/, '').replace(/^\//, '');
      return { include: r.include, re: globToRegExp(p), dirOnly, full: matchFullPath || p.includes('/') };
    });
  }

  /** Whether to take `key` (keys must come in sorted order, so directories precede their contents). */
  takes(key: string): boolean {
    if (this.rules.length === 0) return true;
    if (this.excludedDirs.some((d) => key.startsWith(d))) return false;
    const isDir = key.endsWith('/');
    const bare = key.replace(/\/$/, '');
    const name = bare.slice(bare.lastIndexOf('/') + 1);
    for (const r of this.rules) {
      if (r.dirOnly && !isDir) continue;
      if (!r.re.test(r.full ? bare : name)) continue;
      if (!r.include && isDir) this.excludedDirs.push(key);
      return r.include;
    }
    return true;
  }
}

/** The rules in command-line order: yargs keeps each flag's values apart, so the raw args say how they interleave. */
export function filterRulesOf(raw: readonly string[]): FilterRule[] {
  const rules: FilterRule[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m = /^--(include|exclude)(?:=(.*))?$/.exec(raw[i]!);
    if (!m) continue;
    const pattern = m[2] ?? raw[++i];
    if (pattern === undefined) throw fsError('EINVAL', `--${m[1]} needs a pattern`);
    rules.push({ include: m[1] === 'include', pattern });
  }
  return rules;
}
