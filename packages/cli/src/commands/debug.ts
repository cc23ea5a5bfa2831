import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { fileTransport, sendControl } from '../control/client.js';
import { ControlCode } from '../control/protocol.js';
import { log } from '../log.js';
import { listMountLines, mountProcess, type MountProcess } from '../mount/process-info.js';
import { VERSION } from '../version.js';
import { zipArchive, type ZipEntry } from '../zip.js';
import { parseStats, statsFile, type StatsSample } from './stats.js';

/** A mount's internal file by its plain or `--prefix-internal` name. */
function internalFile(mp: string, name: string): string {
  for (const n of [name, `.jfs${name}`]) if (existsSync(path.join(mp, n))) return path.join(mp, n);
  throw fsError('EINVAL', `${mp} is not the mount point of a JuiceFS mount (no ${name} there): give the directory you mounted`);
}

/** The access log as it grows for `ms` (reads of .accesslog wait up to a second for new lines). */
async function collectAccessLog(mp: string, ms: number): Promise<string> {
  const fh = await open(internalFile(mp, '.accesslog'), 'r');
  const parts: string[] = [];
  const deadline = Date.now() + ms;
  try {
    const buf = Buffer.alloc(1 << 16);
    while (Date.now() < deadline) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead > 0) parts.push(buf.toString('utf8', 0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return parts.join('').split('\n').filter((l) => l !== '' && !l.startsWith('#')).join('\n') + '\n';
}

/** Two samples of .stats `ms` apart, and the rate of every counter that moved. */
async function collectStats(mp: string, ms: number): Promise<string> {
  const file = statsFile(mp);
  const read = (): StatsSample => parseStats(readFileSync(file, 'utf8'));
  const first = read();
  await new Promise((r) => setTimeout(r, ms));
  const second = read();
  const rates = [...second]
    .filter(([k, v]) => (first.get(k) ?? 0) !== v)
    .map(([k, v]) => `${k} ${((v - (first.get(k) ?? 0)) / (ms / 1000)).toFixed(3)}/s`);
  const dump = (s: StatsSample) => [...s].map(([k, v]) => `${k} ${v}`).join('\n');
  return `# first sample\n${dump(first)}\n\n# ${ms / 1000} s later\n${dump(second)}\n\n# what moved, per second\n${rates.join('\n')}\n`;
}

function systemInfo(mp: string, proc: MountProcess | undefined): string {
  const release = existsSync('/etc/os-release') ? /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  const cpus = os.cpus();
  const lines = [
    `juicefs ${VERSION} (collecting with node ${process.version})`,
    `host ${os.hostname()}: ${os.type()} ${os.release()} ${os.arch()}${release ? `, ${release}` : ''}`,
    `cpus ${cpus.length} x ${cpus[0]?.model ?? '?'}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free; uptime ${Math.round(os.uptime())} s`,
    `mount ${listMountLines(mp).join('\n      ') || '(not in /proc/self/mountinfo)'}`,
  ];
  if (proc) {
    lines.push(`process ${proc.pid}: ${proc.cmdline.join(' ')}`);
    for (const l of proc.status) lines.push(`  ${l}`);
  }
  return lines.join('\n') + '\n';
}

/** The last `limit` lines of the mount's log file (all of them for 0). */
function logTail(proc: MountProcess | undefined, limit: number): { text: string; note?: string } {
  const file = proc?.logFile;
  if (!file) return { text: '', note: 'the mount runs in the foreground: its messages went to the terminal that started it, not to a file' };
  if (!existsSync(file)) return { text: '', note: `the mount's log ${file} does not exist` };
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { text: (limit > 0 ? lines.slice(-limit) : lines).join('\n') + '\n' };
}

/** A CPU profile taken by the mount itself, through .control (root only). */
async function collectProfile(mp: string, seconds: number): Promise<Buffer> {
  const t = await fileTransport(mp);
  try {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(seconds);
    const r = await sendControl(t, ControlCode.CpuProfile, payload);
    if ('errno' in r) throw fsError('EIO', `the mount refused to profile itself (errno ${r.errno}): run juicefs debug as root, against a mount of this client`);
    const file = (r.data as { Path: string }).Path;
    try {
      return readFileSync(file);
    } finally {
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  } finally {
    await t.close();
  }
}

export function debugCommand(y: Argv): Argv {
  return y.command(
    'debug MOUNTPOINT',
    'Collect what it takes to look into a problem of a mount (system, settings, log, statistics, access log, CPU profile) into one zip',
    (c) =>
      c
        .positional('MOUNTPOINT', { type: 'string', demandOption: true, describe: 'the mount point of a JuiceFS mount' })
        .option('out-dir', { type: 'string', default: './debug', describe: 'where the zip goes' })
        .option('limit', { type: 'number', default: 0, describe: 'last lines of the mount\'s log to collect (0: all)' })
        .option('stats-sec', { type: 'number', default: 5, describe: 'seconds between the two .stats samples' })
        .option('trace-sec', { type: 'number', default: 5, describe: 'seconds of .accesslog to collect' })
        .option('profile-sec', { type: 'number', default: 30, describe: 'seconds of CPU profile to take of the mount (0: none; needs root)' }),
    async (a) => {
      const mp = path.resolve(String(a.MOUNTPOINT));
      if (!existsSync(mp) || !statSync(mp).isDirectory()) throw fsError('ENOENT', `${mp} is not a directory: give the mount point of a JuiceFS mount`);
      const config = readFileSync(internalFile(mp, '.config'));
      for (const [flag, v] of [['stats-sec', a['stats-sec']], ['trace-sec', a['trace-sec']], ['profile-sec', a['profile-sec']], ['limit', a.limit]] as const) {
        if (!Number.isInteger(v) || v < 0) throw fsError('EINVAL', `--${flag} must be a whole number of at least 0, got ${v}`);
      }
      const proc = mountProcess((JSON.parse(config.toString('utf8')) as { Pid?: number }).Pid);
      const profileSec = process.getuid?.() === 0 ? a['profile-sec'] : 0;
      if (a['profile-sec'] > 0 && profileSec === 0) log.warn('warning: the CPU profile needs root: run juicefs debug as root to include one');
      const longest = Math.max(a['stats-sec'], a['trace-sec'], profileSec);
      log.info(`collecting from ${mp} for ${longest} s…`);
      const [stats, trace, profile] = await Promise.all([
        collectStats(mp, a['stats-sec'] * 1000),
        collectAccessLog(mp, a['trace-sec'] * 1000),
        profileSec > 0 ? collectProfile(mp, profileSec) : Promise.resolve(undefined),
      ]);
      const tail = logTail(proc, a.limit);
      const entries: ZipEntry[] = [
        { name: 'system-info.log', data: Buffer.from(systemInfo(mp, proc)) },
        { name: 'config.json', data: config },
        { name: 'stats.txt', data: Buffer.from(stats) },
        { name: 'accesslog.log', data: Buffer.from(trace) },
        { name: 'juicefs.log', data: Buffer.from(tail.note ? `# ${tail.note}\n` : tail.text) },
        ...(profile ? [{ name: `cpu-${profileSec}s.cpuprofile`, data: profile }] : []),
      ];
      const outDir = path.resolve(String(a['out-dir']));
      mkdirSync(outDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const zip = path.join(outDir, `${mp.replace(/^\//, '').replace(/\//g, '_')}-${stamp}.zip`);
      writeFileSync(zip, zipArchive(entries));
      process.stdout.write(`${zip}\n`);
      log.info(`collected ${entries.map((e) => e.name).join(', ')}`);
    },
  );
}
