import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';

// Starting and stopping FUSE servers that run in the foreground as child processes.

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: readonly string[], timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

export async function runOk(file: string, args: readonly string[]): Promise<string> {
  const r = await run(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function isMountPoint(dir: string): Promise<boolean> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === dir);
}

/** A FUSE server in a child process, serving `mountpoint` until stopped. */
export interface ServedMount {
  mountpoint: string;
  stop(): Promise<void>;
}

/**
 * Spawn a foreground FUSE server and wait until `mountpoint` shows in mountinfo. If the server
 * exits first, the error carries its stderr so the reason is visible.
 */
export async function serve(label: string, file: string, args: readonly string[], mountpoint: string, env?: NodeJS.ProcessEnv): Promise<ServedMount> {
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (let waited = 0; !(await isMountPoint(mountpoint)); waited += 100) {
    if (gone) throw new Error(`${label} exited before mounting ${mountpoint}: ${stderr.trim()}`);
    if (waited > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not mount ${mountpoint} within 60 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    mountpoint,
    async stop() {
      if (await isMountPoint(mountpoint)) {
        const r = await run('umount', [mountpoint]);
        if (r.code !== 0 && (await isMountPoint(mountpoint))) await run('umount', ['-l', mountpoint]);
      }
      // The server exits once its mount is gone: give it a moment to finish on its own (a mount
      // run with --cpu-prof writes its profile then), then make sure of it without waiting forever.
      const term = setTimeout(() => child.kill('SIGTERM'), 5_000);
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    },
  };
}
