import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** A mount served by a child process (helpers/mount-child.ts). */
export interface ChildMount {
  child: ChildProcess;
  /** Everything the child printed on stdout so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Start the child and wait until it reports the mount usable (or fails). */
export async function startChildMount(mountpoint: string, kind: 'memfs' | 'vfs'): Promise<ChildMount> {
  const child = spawn(process.execPath, [path.join(__dirname, 'ts-run.cjs'), path.join(__dirname, 'mount-child.ts'), mountpoint, kind], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('mounted')) resolve();
    });
    void exited.then((code) => reject(new Error(`mount child exited (${code}) before mounting: ${err}`)));
  });
  return { child, output: () => out, exited };
}
