import { runCommand } from '../../src/index.js';

// Commands go through the package's off-main-thread runner: this process serves the mount the
// commands touch, and a spawn from the main thread deadlocks while we hold files open on it
// (the child's exec closes its copies of our descriptors, which sends FLUSH to us).

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a shell command line. */
export async function sh(command: string): Promise<ShResult> {
  return exec('/bin/sh', ['-c', command]);
}

/** Run a program with arguments (no shell quoting). */
export async function exec(file: string, args: readonly string[]): Promise<ShResult> {
  const r = await runCommand(file, args);
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
}
