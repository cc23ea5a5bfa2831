import { closeSync, createReadStream, existsSync, openSync, read, statSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fsError, ROOT_INODE } from '@juicefs/core';
import type { Argv } from 'yargs';

/** One `.accesslog` line: `2026.11.26 12:45:24.468000 [uid:0,gid:0,pid:24871] lookup (2,f0): OK (…) <0.000091>`. */
export interface AccessEntry {
  /** Milliseconds since the epoch (the line's local time). */
  time: number;
  uid: string;
  gid: string;
  pid: string;
  op: string;
  /** Microseconds. */
  latency: number;
}

const LINE = /^(\d{4})\.(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}) \[uid:(\d+),gid:(\d+),pid:(\d+)\] (\S+) .*<(\d+(?:\.\d+)?)>\s*$/;

/** Parses an access-log line; undefined for anything else (the "#" keep-alive lines, garbage). */
export function parseAccessLine(line: string): AccessEntry | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, us, uid, gid, pid, op, lat] = m as unknown as string[];
  const time = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(us) / 1000).getTime();
  return { time, uid: uid!, gid: gid!, pid: pid!, op: op!, latency: Math.round(Number(lat) * 1e6) };
}

/** Only the entries of these ids (empty lists: everyone), as `--uid/--gid/--pid`. */
export interface ProfileFilter {
  uids: readonly string[];
  gids: readonly string[];
  pids: readonly string[];
}

export function accepts(f: ProfileFilter, e: AccessEntry): boolean {
  const ok = (list: readonly string[], v: string) => list.length === 0 || list.includes(v);
  return ok(f.uids, e.uid) && ok(f.gids, e.gid) && ok(f.pids, e.pid);
}

/** Per-operation totals of one window. */
export type OpStats = Map<string, { count: number; total: number }>;

export function addEntry(stats: OpStats, e: AccessEntry): void {
  const s = stats.get(e.op);
  if (s) {
    s.count++;
    s.total += e.latency;
  } else {
    stats.set(e.op, { count: 1, total: e.latency });
  }
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * One screen of `juicefs profile`, in JuiceFS's layout: operations by total time spent, and that
 * time as a share of the window (`windowUs`; over 100% when operations overlap).
 */
export function renderProfile(stats: OpStats, windowUs: number, at: number, head = ''): string {
  const rows = [...stats].sort(([, a], [, b]) => b.total - a.total);
  const lines = [
    `> JuiceFS Profiling ${head.padStart(13)}  Refresh: ${Math.round(windowUs / 1e6)} seconds ${stamp(at).padStart(20)}`,
    `${'Operation'.padEnd(14)} ${'Count'.padStart(10)} ${'Average(us)'.padStart(15)} ${'Total(us)'.padStart(18)} ${'Percent(%)'.padStart(14)}`,
    ...rows.map(
      ([op, s]) =>
        `${op.padEnd(14)} ${String(s.count).padStart(10)} ${(s.total / s.count).toFixed(0).padStart(15)} ${String(s.total).padStart(18)} ${(windowUs > 0 ? (s.total / windowUs) * 100 : 0).toFixed(1).padStart(14)}`,
    ),
  ];
  return `${lines.join('\n')}\n\n`;
}

/** The access log of a mount point (`.accesslog`, or `.jfs.accesslog` under --prefix-internal). */
function accessLogOf(mountpoint: string): string {
  if (statSync(mountpoint).ino !== Number(ROOT_INODE)) {
    throw fsError('EINVAL', `${mountpoint} is a directory but not the root of a JuiceFS mount: give the mount point, or a saved access log`);
  }
  for (const name of ['.jfs.accesslog', '.accesslog']) {
    const p = path.join(mountpoint, name);
    if (existsSync(p)) return p;
  }
  throw fsError('ENOENT', `${mountpoint} has no .accesslog: give the mount point of a JuiceFS mount`);
}

/** Replays a saved log: one screen per `intervalMs` of log time, or (0) the totals at once. */
async function replay(file: string, filter: ProfileFilter, intervalMs: number): Promise<void> {
  let stats: OpStats = new Map();
  let first: number | undefined;
  let last = 0;
  let edge = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    const e = parseAccessLine(line);
    if (!e || !accepts(filter, e)) continue;
    first ??= e.time;
    last = e.time;
    if (intervalMs > 0) {
      if (edge === 0) edge = e.time + intervalMs;
      for (; e.time > edge; edge += intervalMs) {
        process.stdout.write(renderProfile(stats, intervalMs * 1000, edge, '(replaying)'));
        stats = new Map();
      }
    }
    addEntry(stats, e);
  }
  if (intervalMs > 0) process.stdout.write(renderProfile(stats, intervalMs * 1000, edge || last, '(replay done)'));
  else process.stdout.write(renderProfile(stats, first === undefined ? 0 : (last - first) * 1000, last, '(replay done)'));
}

/** Follows a mount's live access log, printing the last `intervalMs` every `intervalMs`. */
async function live(file: string, filter: ProfileFilter, intervalMs: number, count: number): Promise<void> {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(64 * 1024);
  let stats: OpStats = new Map();
  let pending = '';
  let stopped = false;
  const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
  let screens = 0;
  const timer = setInterval(() => {
    process.stdout.write(clear + renderProfile(stats, intervalMs * 1000, Date.now()));
    stats = new Map();
    if (count > 0 && ++screens >= count) stopped = true;
  }, intervalMs);
  try {
    // A read of the mount's log waits up to a second for a line and then returns a "#" line (which
    // parseAccessLine skips); a plain file returns empty at its end at once: try again shortly.
    while (!stopped) {
      const n = await new Promise<number>((resolve, reject) => read(fd, buf, 0, buf.length, null, (err, got) => (err ? reject(err) : resolve(got))));
      if (n === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const text = pending + buf.toString('utf8', 0, n);
      const cut = text.lastIndexOf('\n');
      pending = text.slice(cut + 1);
      for (const line of text.slice(0, cut + 1).split('\n')) {
        const e = parseAccessLine(line);
        if (e && accepts(filter, e)) addEntry(stats, e);
      }
    }
  } finally {
    clearInterval(timer);
    closeSync(fd);
  }
}

const ids = (v: unknown): string[] => (v === undefined ? [] : String(v).split(',').map((s) => s.trim()).filter((s) => s !== ''));

export function profileCommand(y: Argv): Argv {
  return y.command(
    'profile <PATH>',
    'Show which operations a mount spends its time on, live from its .accesslog or replayed from a saved copy',
    (c) =>
      c
        .positional('PATH', { type: 'string', demandOption: true, describe: 'a mount point (live), or a file holding a saved .accesslog (replay)' })
        .option('uid', { alias: 'u', type: 'string', describe: 'only these user ids (comma-separated)' })
        .option('gid', { alias: 'g', type: 'string', describe: 'only these group ids (comma-separated)' })
        .option('pid', { alias: 'p', type: 'string', describe: 'only these process ids (comma-separated)' })
        .option('interval', { type: 'number', default: 2, describe: 'seconds per screen; 0 (replay only) prints the totals at once' })
        .option('count', { type: 'number', default: 0, describe: 'stop after this many screens (live; 0: until interrupted)' }),
    async (a) => {
      const target = String(a.PATH);
      if (!existsSync(target)) throw fsError('ENOENT', `${target} does not exist: give a JuiceFS mount point or a saved access log`);
      const filter: ProfileFilter = { uids: ids(a.uid), gids: ids(a.gid), pids: ids(a.pid) };
      const intervalMs = Math.round(Math.max(0, a.interval) * 1000);
      if (statSync(target).isDirectory()) {
        if (intervalMs === 0) throw fsError('EINVAL', 'a live profile needs --interval above 0 (0 is for replaying a saved log)');
        await live(accessLogOf(target), filter, intervalMs, Math.max(0, Math.floor(a.count)));
      } else {
        await replay(target, filter, intervalMs);
      }
    },
  );
}
