import { Worker } from 'node:worker_threads';

// Cache files are written by a thread of their own. Nobody waits for them, but on the event loop
// each one cost about 120 µs of system calls (create, write, close, rename), and through the
// libuv pool six hops, each needing the loop's attention: with the loop busy serving requests the
// pool fell behind and the caching queue overflowed (115 of 300 small blocks dropped in the
// probe). Here the loop pays one copy into a slot of shared memory and one small message per
// block. Slots are reused: a fresh ArrayBuffer per block, moved to the worker, made V8 run a full
// mark-compact every ~50 files (GC went from 25 to 80-260 µs per small-file write). The worker is
// plain JavaScript passed as a string, so it needs no build step or loader (as the FUSE reader).
const WRITER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
function makeDir(dir, mode) {
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode); // the umask may have taken bits away
}
function writeAll(fd, buf) {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}
function write(m) {
  let fd;
  try {
    fd = fs.openSync(m.tmp, 'w', m.mode);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    // The directory went away (evicted, or removed by hand) since it was made: make it again.
    makeDir(path.dirname(m.file), m.dirMode);
    fd = fs.openSync(m.tmp, 'w', m.mode);
  }
  try {
    writeAll(fd, m.data);
    if (m.trailer) writeAll(fd, m.trailer);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(m.tmp, m.file);
}
const slots = require('node:worker_threads').workerData.slots;
parentPort.on('message', (m) => {
  m.data = new Uint8Array(slots, m.offset, m.length);
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
 * Writes whole files (through a temporary name and a rename) on a worker thread, from `slots`
 * reusable buffers of `slotSize` bytes. `write` copies `data` into a free slot, so the caller may
 * go on using it; it returns undefined when no slot is free or `data` does not fit one (the
 * caller then writes some other way, or not at all). Writes run in the order given.
 */
export class BackgroundFileWriter {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { slot: number; resolve: () => void; reject: (err: Error) => void }>();
  private memory: SharedArrayBuffer | undefined;
  private readonly free: number[] = [];

  constructor(
    private readonly slots: number,
    readonly slotSize: number,
  ) {
    for (let i = slots - 1; i >= 0; i--) this.free.push(i);
  }

  /**
   * `trailer` (checksums) is written after `data`; `mode` is the file's, `dirMode` that of its
   * directory should the thread have to make it again.
   */
  write(file: string, tmp: string, data: Uint8Array, mode: number, dirMode: number, trailer?: Uint8Array): Promise<void> | undefined {
    if (data.length > this.slotSize || this.free.length === 0) return undefined;
    const worker = this.started();
    const memory = this.memory!;
    const slot = this.free.pop()!;
    const offset = slot * this.slotSize;
    new Uint8Array(memory, offset, data.length).set(data);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { slot, resolve, reject });
      // Only outstanding writes keep the process alive; an idle writer never does.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, file, tmp, offset, length: data.length, mode, dirMode, trailer });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    // Allocated with the first thread and kept: a replacement thread shares the same slots.
    this.memory ??= new SharedArrayBuffer(this.slots * this.slotSize);
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { slots: this.memory } });
    worker.unref();
    worker.on('message', (m: Reply) => this.settle(m));
    // The thread died (out of memory, or killed): fail what it held; the next write starts another.
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, w] of this.waiting) {
        this.waiting.delete(id);
        this.free.push(w.slot);
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
    this.free.push(w.slot);
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
