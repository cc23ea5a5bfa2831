import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** What /proc tells about the process serving a mount (`juicefs debug`). */
export interface MountProcess {
  pid: number;
  cmdline: string[];
  /** The lines of /proc/PID/status worth reading in a report (memory, threads, state). */
  status: string[];
  /** The file its messages go to: `--log` of a background mount (`-d`), or a file its stdout goes to; undefined for a terminal. */
  logFile: string | undefined;
}

/** The mount process `pid` (from the mount's .config), or undefined when /proc does not show it. */
export function mountProcess(pid: number | undefined): MountProcess | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/cmdline`)) return undefined;
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((x) => x !== '');
  const statusText = readFileSync(`/proc/${pid}/status`, 'utf8');
  const status = statusText.split('\n').filter((l) => /^(State|VmRSS|VmHWM|VmSize|Threads|voluntary_ctxt_switches|nonvoluntary_ctxt_switches):/.test(l));
  // A background mount (-d) re-runs itself without -d with its stdout and stderr on the --log
  // file: where fd 1 points is the log, whichever --log (or default) named it.
  const logFile = stdoutFile(pid);
  return { pid, cmdline, status, logFile };
}

/** The regular file a process writes its stdout to, if it is one. */
function stdoutFile(pid: number): string | undefined {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/1`);
    return target.startsWith('/') && statSync(target).isFile() ? target : undefined;
  } catch {
    return undefined;
  }
}

/** The lines of /proc/self/mountinfo for `mp` (a stacked mount shows more than one). */
export function listMountLines(mp: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === mp);
}
