import { spawn, type StdioOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Run a command asynchronously (never spawnSync: this process may be serving the mount it touches). */
export function run(cmd: string, args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
