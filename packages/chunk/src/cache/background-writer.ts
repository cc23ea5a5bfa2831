import { Worker } from 'node:worker_threads';

// Cache files are written by a thread of their own. Nobody waits for them, but on the event loop
// each one cost about 120 µs of system calls (create, write, close, rename), and through the
// libuv pool six hops, each needing the loop's attention: with the loop busy serving requests the
// pool fell behind and the caching queue overflowed (115 of 300 small blocks dropped in the
// probe). Here the loop pays one copy and one message per block. The worker is plain JavaScript
// passed as a string, so it needs no build step or loader (as the FUSE reader thread).
const WRITER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const made = new Set();
function write(m) {
  const dir = path.dirname(m.file);
  if (!made.has(dir)) { fs.mkdirSync(dir, { recursive: true }); made.add(dir); }
  try {
    fs.writeFileSync(m.tmp, new Uint8Array(m.data), { mode: m.mode });
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    // The directory went away (evicted, or removed by hand) since we made it: make it again.
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(m.tmp, new Uint8Array(m.data), { mode: m.mode });
  }
  fs.renameSync(m.tmp, m.file);
}
parentPort.on('message', (m) => {
  try {
    write(m);
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    try { fs.rmSync(m.tmp, { force: true }); } catch {}
    parentPort.postMessage({ id: m.id, code: e.code, message: String(e.message || e) });
  }
});
`;

type Reply = { id: number; code?: string; message?: string };

/**
 * Writes whole files (through a temporary name and a rename) on a worker thread. Each `write`
 * copies `data` once, so the caller may go on using it. Writes run in the order given.
 */
export class BackgroundFileWriter {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  write(file: string, tmp: string, data: Uint8Array, mode: number): Promise<void> {
    const worker = this.started();
    const id = this.nextId++;
    // An exact-size copy whose memory moves to the worker: a view may sit on a larger buffer
    // (the writer's block buffer), which a structured clone would copy whole.
    const copy = new Uint8Array(data.length);
    copy.set(data);
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Only outstanding writes keep the process alive; an idle writer never does.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, file, tmp, data: copy.buffer, mode }, [copy.buffer]);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WRITER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: Reply) => this.settle(m));
    // The thread died (out of memory, or killed): fail what it held; the next write starts another.
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, w] of this.waiting) {
        this.waiting.delete(id);
        w.reject(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`cache writer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(m: Reply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (m.code === undefined && m.message === undefined) w.resolve();
    else w.reject(Object.assign(new Error(m.message ?? 'cache write failed'), { code: m.code }));
  }

  /** Ends the thread (after the caller has waited for its writes). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
