import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';

// Mounting at boot, as JuiceFS does it: `juicefs mount --update-fstab …` writes the mount into
// /etc/fstab with its flags as options (`META-URL MP juicefs _netdev,max-uploads=50,writeback 0 0`)
// and links /sbin/mount.juicefs to this command; mount(8) then runs `mount.juicefs META-URL MP -o
// OPTIONS`, which this module turns back into `juicefs mount -d` with the same flags.

/** What the translation needs to know of a flag of `juicefs mount`. */
export interface FlagSpec {
  type?: 'boolean' | 'string' | 'number' | 'array' | 'count';
  alias?: string | readonly string[];
}

/** fstab options that are for mount(8) or systemd, never for us. */
function isSystemOption(opt: string): boolean {
  return ['_netdev', 'rw', 'defaults', 'auto', 'noauto', 'user', 'nouser', 'users', 'nofail', 'remount'].includes(opt) || opt.startsWith('x-') || opt.startsWith('comment=');
}

/** Flags that make sense on one command line but not in fstab (the mount there is always -d). */
const NOT_IN_FSTAB = new Set(['background', 'update-fstab', 'upgrade']);

/**
 * `mount.juicefs SOURCE MOUNTPOINT [-o OPTIONS] [-n] [-s] [-f] [-v]` as mount(8) calls it, as the
 * arguments of `juicefs mount -d`: `name=value` and `name` options that are flags of the mount
 * command become `--name=value` and `--name`, `ro` becomes --read-only, mount(8)'s own options are
 * dropped, and the rest go to FUSE through -o. Undefined for -f (mount(8)'s "fake": do nothing).
 */
export function mountHelperArgs(argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>): string[] | undefined {
  const positional: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-o') options.push(...(argv[++i] ?? '').split(','));
    else if (a.startsWith('-o')) options.push(...a.slice(2).split(','));
    else if (a === '-f') return undefined;
    else if (a === '-t' || a === '-N') i++; // a type or namespace mount(8) passes on: not ours
    else if (a.startsWith('-')) continue; // -n (no mtab), -s (sloppy), -v (verbose)
    else positional.push(a);
  }
  if (positional.length !== 2) {
    throw fsError('EINVAL', `mount.juicefs takes META-URL MOUNTPOINT [-o OPTIONS], as mount(8) passes them; got ${JSON.stringify(argv)}`);
  }
  // The positionals first: -o takes a list, which would swallow whatever follows it.
  const out = ['mount', positional[0] ?? '', positional[1] ?? '', '-d'];
  const fuse: string[] = [];
  for (const opt of options.map((o) => o.trim()).filter((o) => o !== '' && !isSystemOption(o))) {
    const eq = opt.indexOf('=');
    const name = eq < 0 ? opt : opt.slice(0, eq);
    if (name === 'ro') out.push('--read-only');
    else if (NOT_IN_FSTAB.has(name)) continue;
    else if (flags[name] === undefined) fuse.push(opt);
    else out.push(eq < 0 ? `--${name}` : `--${name}=${opt.slice(eq + 1)}`);
  }
  if (fuse.length > 0) out.push('-o', fuse.join(','));
  return out;
}

/**
 * The fstab options of a `juicefs mount` command line (`args` after `mount`): each flag given
 * becomes `name` or `name=value`, `-o` lists are kept, and `_netdev` comes first so the mount
 * waits for the network at boot.
 */
export function fstabOptions(args: readonly string[], flags: Readonly<Record<string, FlagSpec>>): string[] {
  const byAlias = new Map<string, string>();
  for (const [name, spec] of Object.entries(flags)) for (const a of [spec.alias ?? []].flat()) byAlias.set(a, name);
  const out = ['_netdev'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-o') {
      out.push(...(args[++i] ?? '').split(',').filter(Boolean));
      continue;
    }
    if (!a.startsWith('-')) continue; // META-URL and MOUNTPOINT
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const given = eq < 0 ? body : body.slice(0, eq);
    const name = flags[given] !== undefined ? given : byAlias.get(given);
    if (name === undefined || NOT_IN_FSTAB.has(name)) continue;
    const spec = flags[name] ?? {};
    if (spec.type === 'boolean') {
      const v = eq < 0 ? 'true' : body.slice(eq + 1);
      if (v !== 'false') out.push(name);
      continue;
    }
    const value = eq < 0 ? args[++i] : body.slice(eq + 1);
    if (value === undefined) continue;
    if (/[\s,]/.test(value)) throw fsError('EINVAL', `--${name} ${JSON.stringify(value)}: a value with spaces or commas cannot go into /etc/fstab`);
    out.push(`${name}=${value}`);
  }
  return [...new Set(out)];
}

/** The fstab line of a mount. */
export function fstabLine(metaUrl: string, mountpoint: string, options: readonly string[]): string {
  if (/\s/.test(metaUrl) || /\s/.test(mountpoint)) throw fsError('EINVAL', 'a META-URL or mount point with spaces cannot go into /etc/fstab');
  return `${metaUrl} ${mountpoint} juicefs ${options.join(',')} 0 0`;
}

/**
 * Put `line` into the fstab `file`, replacing the entry of the same mount point (the second
 * field) if there is one; comments and other entries stay as they were. Written through a
 * temporary file and a rename, keeping the file's mode.
 */
export function updateFstab(file: string, line: string): 'added' | 'replaced' | 'unchanged' {
  const mountpoint = line.split(/\s+/)[1];
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = old === '' ? [] : old.replace(/\n$/, '').split('\n');
  const at = lines.findIndex((l) => !l.trimStart().startsWith('#') && l.trim().split(/\s+/)[1] === mountpoint);
  if (at >= 0 && lines[at] === line) return 'unchanged';
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  const tmp = `${file}.juicefs-${process.pid}`;
  fs.writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: fs.existsSync(file) ? fs.statSync(file).mode & 0o7777 : 0o644 });
  fs.renameSync(tmp, file);
  return at >= 0 ? 'replaced' : 'added';
}

/** The first line after the shebang of the helper this module writes (how it knows its own). */
const HELPER_MARK = '# mount.juicefs of juicefs-ts: written by `juicefs mount --update-fstab`';

/**
 * Install `<dir>/mount.juicefs`: a shell script running this juicefs (`script`, with this node and
 * its flags, by absolute paths: at boot PATH may not hold node) in mount-helper mode. A symbolic
 * link there (JuiceFS's own) or an older script of ours is replaced; any other file is left
 * alone with an error. Returns the helper's path and what was there before.
 */
export function installMountHelper(dir: string, script: string, node = process.execPath, nodeFlags: readonly string[] = process.execArgv): { helper: string; replaced?: string } {
  const helper = path.join(dir, 'mount.juicefs');
  // The node flags of the command's shebang (`#!/usr/bin/env -S node FLAGS`), for a helper made
  // by a juicefs started as `node juicefs.js`.
  const shebang = /^#!\/usr\/bin\/env -S node(.*)$/m.exec(fs.readFileSync(script, 'utf8').split('\n', 1)[0] ?? '');
  const flags = [...new Set([...(shebang?.[1]?.trim().split(/\s+/).filter(Boolean) ?? []), ...nodeFlags])];
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const text = `#!/bin/sh\n${HELPER_MARK}\nJFS_MOUNT_HELPER=1 exec ${[node, ...flags, fs.realpathSync(script)].map(quote).join(' ')} "$@"\n`;
  let replaced: string | undefined;
  const st = fs.lstatSync(helper, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) replaced = `a link to ${fs.readlinkSync(helper)}`;
  else if (st) {
    const old = fs.readFileSync(helper, 'utf8');
    if (old === text) return { helper };
    if (!old.includes(HELPER_MARK)) throw fsError('EEXIST', `${helper} exists and is not ours: remove it, or leave --update-fstab out`);
    replaced = 'an older helper of ours';
  }
  const tmp = `${helper}.juicefs-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode: 0o755 });
  fs.renameSync(tmp, helper);
  return replaced === undefined ? { helper } : { helper, replaced };
}
