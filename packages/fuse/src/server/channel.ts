import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Where requests come from and replies go. The session knows nothing else about /dev/fuse, so
 * its tests can feed it byte vectors through an in-memory channel.
 */
/** Where a channel delivers each request (see FuseChannel.start). */
export type RequestSink = (buf: Buffer, done?: () => void) => void;

/** What a reply answers, as one number: the request's opcode, and whether it failed. */
export function replyKind(opcode: number, errno: number): number {
  return opcode * 2 + (errno === 0 ? 0 : 1);
}

export interface FuseChannel {
  /**
   * Begin delivering requests; `onEnd` fires once, when the connection is gone. A request may
   * come with `done`: its bytes are the channel's own memory, lent until the receiver calls
   * `done` (once the request is answered and nothing refers to its bytes any more).
   */
  start(onRequest: RequestSink, onEnd: (reason: string) => void): void;
  /**
   * Write one reply, synchronously (see DevFuseChannel for why). `answered` says what it answers
   * (replyKind), for a channel that adapts its reading to what tends to follow.
   */
  write(parts: readonly Uint8Array[], answered?: number): void;
  /** Stop delivering requests and release resources (the fd is closed once the reader is gone). */
  close(): Promise<void>;
  /**
   * Optional: stop reading requests, leaving them queued in the kernel, without ending the
   * connection (a server handing its connection over to another one).
   */
  pause?(): void;
}

// The reader runs in its own thread, NOT on the libuv pool: a read on /dev/fuse blocks until a
// request arrives, and a pool thread parked there is one fewer for everything else (with all
// four parked, even our own async writes and fs calls would never run). The worker is plain
// JavaScript passed as a string so it needs no build step or loader.
const READER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { fd, size, stop } = workerData;
const flag = new Int32Array(stop);
// Requests above BIG are handed over whole (the read buffer itself is transferred and a new
// one made): a 1 MiB WRITE then costs no copy. Smaller ones are copied out of the reused buffer.
const BIG = 64 * 1024;
let buf = Buffer.allocUnsafeSlow(size);
for (;;) {
  if (Atomics.load(flag, 0) !== 0) { parentPort.postMessage({ type: 'end', reason: 'stopped' }); break; }
  let n;
  try {
    n = fs.readSync(fd, buf, 0, size, null);
  } catch (e) {
    // EINTR/EAGAIN: retry. ENOENT: the request was interrupted before we read it.
    if (e.code === 'EINTR' || e.code === 'EAGAIN' || e.code === 'ENOENT') continue;
    // EPERM: the fd is not attached to a mount yet (mount(8) still running).
    if (e.code === 'EPERM') { Atomics.wait(flag, 0, 0, 5); continue; }
    // ENODEV: unmounted or aborted. Anything else ends the session too.
    parentPort.postMessage({ type: 'end', reason: e.code || String(e) });
    break;
  }
  if (n === 0) { parentPort.postMessage({ type: 'end', reason: 'EOF' }); break; }
  if (n > BIG) {
    const whole = buf.buffer;
    buf = Buffer.allocUnsafeSlow(size);
    parentPort.postMessage({ type: 'req', data: whole, length: n }, [whole]);
    continue;
  }
  const copy = new Uint8Array(n);
  copy.set(buf.subarray(0, n));
  parentPort.postMessage({ type: 'req', data: copy.buffer, length: n }, [copy.buffer]);
}
`;

/**
 * Write one reply to /dev/fuse. Synchronous on purpose: the kernel copies a reply at once and
 * never blocks (even on a non-blocking fd), and an async write would need a libuv pool thread.
 */
export function writeReply(fd: number, parts: readonly Uint8Array[], log: (message: string) => void): void {
  try {
    fs.writevSync(fd, parts as Uint8Array[]);
  } catch (e) {
    const code = (e as { code?: string }).code;
    // ENOENT: the request was interrupted and is gone. ENODEV: the mount is gone.
    if (code !== 'ENOENT' && code !== 'ENODEV') log(`fuse: writing a reply failed: ${String(e)}`);
  }
}

type ReaderMessage = { type: 'req'; data: ArrayBuffer; length: number } | { type: 'end'; reason: string };

/** A channel over an open /dev/fuse descriptor. */
export class DevFuseChannel implements FuseChannel {
  private worker: Worker | undefined;
  private readonly stop = new SharedArrayBuffer(4);
  private exited: Promise<void> = Promise.resolve();
  private closed = false;

  /** `bufferSize` must hold the largest request: max_write plus headers. */
  constructor(
    readonly fd: number,
    private readonly bufferSize: number,
    private readonly log: (message: string) => void = console.error,
  ) {}

  start(onRequest: (buf: Buffer) => void, onEnd: (reason: string) => void): void {
    const worker = new Worker(READER_SOURCE, {
      eval: true,
      workerData: { fd: this.fd, size: this.bufferSize, stop: this.stop },
    });
    this.worker = worker;
    let ended = false;
    const end = (reason: string): void => {
      if (!ended) {
        ended = true;
        onEnd(reason);
      }
    };
    worker.on('message', (m: ReaderMessage) => {
      if (m.type === 'req') onRequest(Buffer.from(m.data, 0, m.length));
      else end(m.reason);
    });
    worker.on('error', (e) => end(`reader failed: ${e.message}`));
    this.exited = new Promise((resolve) => worker.once('exit', () => (end('reader exited'), resolve())));
  }

  write(parts: readonly Uint8Array[]): void {
    writeReply(this.fd, parts, this.log);
  }

  /**
   * Ask the reader to stop and wait for it. A reader blocked in read(2) on a live mount only
   * wakes when the mount goes away, so unmount first; the fd is closed only after the reader
   * thread is gone, so the number cannot be reused under it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(new Int32Array(this.stop), 0, 1);
    Atomics.notify(new Int32Array(this.stop), 0);
    await this.exited;
    fs.closeSync(this.fd);
  }
}
