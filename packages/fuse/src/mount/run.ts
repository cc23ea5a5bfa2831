import { Worker } from 'node:worker_threads';

export interface RunResult {
  code: number | null;
  stderr: string;
  stdout: string;
}

// Commands are spawned from a short-lived worker thread, never from the main thread. Spawning
// blocks the spawning thread until the child has exec'd, and at exec the child closes its
// copies of our descriptors; closing a descriptor of a file on our own mount sends FLUSH,
// which only our main thread can answer. Spawned from the main thread, that is a deadlock as
// soon as this process holds a file open on its mount (e.g. unmounting a busy mount).
const RUNNER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const r = spawnSync(workerData.cmd, workerData.args, { stdio: workerData.stdio, encoding: 'utf8', input: workerData.input });
parentPort.postMessage({
  code: r.status,
  stdout: r.stdout || '',
  stderr: r.stderr || '',
  error: r.error ? String(r.error) : undefined,
});
`;

/** One stdio slot for the child: 'ignore', 'pipe', or a descriptor number of this process. */
export type StdioSlot = 'ignore' | 'pipe' | number;

/**
 * Run a command and collect its exit code and output, without blocking the main thread (see
 * above). `stdio` defaults to ['ignore', 'pipe', 'pipe']; extra slots pass descriptors as the
 * child's fd 3, 4…
 */
export function runCommand(cmd: string, args: readonly string[], stdio: readonly StdioSlot[] = ['ignore', 'pipe', 'pipe']): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(RUNNER_SOURCE, { eval: true, workerData: { cmd, args: [...args], stdio: [...stdio] } });
    let settled = false;
    worker.once('message', (m: RunResult & { error?: string }) => {
      settled = true;
      if (m.error !== undefined && m.code === null) reject(new Error(`cannot run ${cmd}: ${m.error}`));
      else resolve({ code: m.code, stdout: m.stdout, stderr: m.stderr });
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`runner for ${cmd} exited with ${code} before reporting`));
    });
  });
}
