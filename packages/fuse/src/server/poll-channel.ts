import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { restoreStackTraces, stopStackTraces } from '@juicefs/core';
import { Opcode } from '../protocol/index.js';
import { writeReply, type FuseChannel, type RequestSink } from './channel.js';

// Reading /dev/fuse on the main thread's own event loop. libuv polls the descriptor with epoll
// (the FUSE device supports poll) and reads each request as the kernel queues it, so a request
// reaches its handler without crossing threads. The worker-thread reader (DevFuseChannel) pays a
// postMessage hop on every request: measured at about 60 µs here, a third of the whole round
// trip of a trivial request (a getxattr took 235 µs through the worker, 160 µs polled).
//
// Node has no public way to put an epoll watch on a character device: net.Socket refuses fds
// that libuv types as files. A `pipe_wrap` Pipe handle opened on the fd has no such check, and
// net.Socket accepts it as `handle`; its `onread` option reads into a buffer we provide, which
// must hold the largest request (max_write plus headers) or the kernel answers EINVAL.

interface PipeHandle {
  open(fd: number): number;
}
interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

/** The Pipe handle constructor, or undefined where this Node no longer offers it. */
function pipeBinding(): PipeBinding | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('pipe_wrap') as Partial<PipeBinding>;
    return typeof binding.Pipe === 'function' && binding.constants !== undefined ? (binding as PipeBinding) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this Node can poll /dev/fuse on the event loop (see PollFuseChannel). */
export function canPollFuseDevice(): boolean {
  return pipeBinding() !== undefined;
}

/**
 * How long (µs) to keep reading after a reply before going back to sleep in epoll. On these
 * 2-vCPU VMs a thread woken on another CPU costs tens of µs, and the scheduler kept waking our
 * event loop away from the client's CPU: a stat with no caches (3 requests) took 172 µs against
 * passthrough_ll's 45 µs. Reading on for a few µs after each reply catches the client's next
 * request without that wakeup: 37 µs. Longer spins took CPU the client needed (100 µs was
 * slower than 50). JFS_FUSE_SPIN_US overrides; 0 turns it off.
 */
export const DEFAULT_SPIN_MICROS = 30;

/** Spin after every reply while at least this share of recent spins caught a request. */
const SPIN_WORTHWHILE = 1 / 3;
/** Otherwise spin after one reply in this many, to measure again. */
const SPIN_PROBE_EVERY = 16;
/** Where a probe that caught a request puts the hit rate: above SPIN_WORTHWHILE by ~6 misses. */
const SPIN_RESUME_AT = 1 / 2;
/** Spins the hit rate averages over (an exponential moving average). */
const SPIN_RATE_WINDOW = 16;

/**
 * Whether to spin after a reply: always while recent spins mostly caught the next request,
 * otherwise once every SPIN_PROBE_EVERY replies (see PollFuseChannel.spin). The channel keeps one
 * per kind of reply (SpinGovernors).
 */
export class SpinGovernor {
  /** How often recent spins caught a request (a moving average, 0..1). */
  private hitRate = 1;
  private skipped = 0;

  shouldSpin(): boolean {
    if (this.hitRate >= SPIN_WORTHWHILE || ++this.skipped >= SPIN_PROBE_EVERY) {
      this.skipped = 0;
      return true;
    }
    return false;
  }

  /**
   * A spin ended: `caught` when it read a request before its deadline. A probe that catches one
   * resumes spinning at once (at a rate a few misses take back below the threshold): climbing
   * back by the average alone took ~100 replies, longer than a phase of the bench, so a stat loop
   * after a read phase (whose disk reads the spins had missed) ran unspun: 175 µs a stat, 72 spun.
   */
  record(caught: boolean): void {
    if (caught && this.hitRate < SPIN_RESUME_AT) this.hitRate = SPIN_RESUME_AT;
    else this.hitRate += ((caught ? 1 : 0) - this.hitRate) / SPIN_RATE_WINDOW;
  }
}

/**
 * One SpinGovernor per kind of reply (opcode, and whether it failed): what follows a reply depends
 * on what it answered. Within one system call of the caller the kernel sends the next request at
 * once (CREATE after a LOOKUP that failed, LOOKUP after the GETATTR of a path walk, RELEASE after
 * FLUSH), while a reply that ends the call (CREATE, WRITE, a LOOKUP that found the file) waits for
 * the program. A Node program writing small files (its calls hop through libuv's pool) saw 55% of
 * all spins catch a request, 2.6 misses of 30 µs each per file; kept apart, the replies that end a
 * call stop being spun after, and those inside one keep it.
 */
export class SpinGovernors {
  private readonly byKind = new Map<number, SpinGovernor>();

  of(kind: number): SpinGovernor {
    let g = this.byKind.get(kind);
    if (g === undefined) this.byKind.set(kind, (g = new SpinGovernor()));
    return g;
  }
}

/**
 * WRITE requests larger than this are not copied out of the read buffer: the buffer itself goes
 * with the request and reads continue into a spare one. Copying 1 MiB writes into fresh buffers
 * was 170 ms of a 1 GiB write in the bench profile (allocation and page faults, then GC).
 * Smaller requests are copied: a copy is cheaper than a spare buffer, and other requests' bytes
 * (a SETXATTR value) may be kept by whoever receives them.
 */
const LEND_WRITES_OVER = 64 * 1024;
/** Spare read buffers kept for reuse (more are made while that many writes are in flight). */
const SPARE_BUFFERS = 8;

/**
 * How long to spin after a reply: JFS_FUSE_SPIN_US when set, else DEFAULT_SPIN_MICROS, but none
 * when this process may run on one CPU only (a 1-vCPU machine, `taskset`, a container's cpuset):
 * the spin exists to catch a request sent from another CPU, and on one CPU it only holds the CPU
 * the client needs. `pnpm bench:round-trip --same-cpu` (everything on CPU 0), spin off against
 * on, µs a call: missing-name stat 59.1 against 75.7 with the in-memory handler (95.5 against
 * 111.3 through juicefs), open + close 48.5 against 56.3, a 4 KiB pwrite 24.7 against 33.7, a
 * 128 KiB file 339.6 against 485.1 (1085 against 1183). `cpus` is how many CPUs this process
 * may use (os.availableParallelism, which follows the affinity mask), read once per channel.
 */
export function defaultSpinMicros(env: NodeJS.ProcessEnv = process.env, cpus: number = os.availableParallelism()): number {
  const raw = env['JFS_FUSE_SPIN_US'];
  const v = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isFinite(v) && v >= 0) return v;
  return cpus > 1 ? DEFAULT_SPIN_MICROS : 0;
}

/**
 * A channel reading a mounted /dev/fuse descriptor on the event loop. Start it only once the
 * descriptor is attached to a mount: before that the device polls as an error and the read fails
 * with EPERM, which would end the channel (the worker reader retries instead).
 */
export class PollFuseChannel implements FuseChannel {
  private socket: net.Socket | undefined;
  /** The buffer the next read fills (libuv's, and the spin's). */
  private buf: Buffer;
  private readonly spare: Buffer[] = [];
  private closed = false;
  private paused = false;
  private gone: Promise<void> = Promise.resolve();
  private onRequest: RequestSink | undefined;
  private spinQueued = false;
  private readonly spinNanos: bigint;
  private readonly governors = new SpinGovernors();
  /** The kind of the last reply written this turn: the spin after it tunes that kind's governor. */
  private lastKind = 0;

  /** `bufferSize` must hold the largest request: max_write plus headers. */
  constructor(
    readonly fd: number,
    private readonly bufferSize: number,
    private readonly log: (message: string) => void = console.error,
    spinMicros = defaultSpinMicros(),
  ) {
    this.buf = Buffer.allocUnsafeSlow(bufferSize);
    this.spinNanos = BigInt(Math.round(spinMicros * 1000));
  }

  start(onRequest: RequestSink, onEnd: (reason: string) => void): void {
    this.onRequest = onRequest;
    const binding = pipeBinding();
    if (binding === undefined) throw new Error('this Node has no pipe_wrap binding: use DevFuseChannel');
    const handle = new binding.Pipe(binding.constants.SOCKET);
    const err = handle.open(this.fd);
    if (err !== 0) throw new Error(`cannot poll /dev/fuse descriptor ${this.fd} (libuv error ${err})`);
    let ended = false;
    const end = (reason: string): void => {
      if (!ended) {
        ended = true;
        onEnd(reason);
      }
    };
    // `handle` and `onread` are constructor options that the type definitions leave out (the
    // types list `onread` for connect() only).
    const options: net.SocketConstructorOpts & { handle: PipeHandle; onread: net.OnReadOpts } = {
      handle,
      readable: true,
      writable: false,
      allowHalfOpen: true,
      onread: {
        // A function: asked after each read for the buffer of the next one, which changes when
        // a big WRITE took the last one with it (deliver).
        buffer: () => this.buf,
        callback: (n: number) => {
          this.deliver(n, true);
          return true;
        },
      },
    };
    const socket = new net.Socket(options);
    this.socket = socket;
    // ENODEV: unmounted; ECONNABORTED/ENOENT: the connection was aborted. All end the session.
    socket.on('error', (e: NodeJS.ErrnoException) => end(e.code ?? e.message));
    socket.on('end', () => end('EOF'));
    this.gone = new Promise((resolve) => socket.once('close', () => (end('closed'), resolve())));
  }

  write(parts: readonly Uint8Array[], answered = 0): void {
    writeReply(this.fd, parts, this.log);
    this.lastKind = answered;
    // The spin runs from setImmediate, after this turn's other replies and I/O callbacks, and at
    // most once per turn: it never starves the loop, whatever the request rate.
    if (this.spinNanos > 0n && !this.spinQueued && this.onRequest !== undefined) {
      this.spinQueued = true;
      setImmediate(() => this.spin());
    }
  }

  /**
   * Read on (non-blocking) for a moment, to catch the next request without a wakeup. Only while
   * spinning pays: a client that takes longer than the spin between requests (Node's fs calls
   * hop through its thread pool, ~100 µs) gains nothing, and the spinning CPU is one its threads
   * needed (the bench's stat phase: 2900-3250 stats/s spinning, 3900-5250 not). So when fewer
   * than a third of recent spins caught a request, only every SPIN_PROBE_EVERY-th reply spins,
   * to notice when a tight client (a shell tool walking a tree) comes back (SpinGovernor). With
   * it the bench's stat phase measured 4200-4450/s, and a Python stat loop kept its 160 µs
   * (290 µs without spinning).
   */
  private spin(): void {
    this.spinQueued = false;
    if (this.closed || this.paused) return;
    const governor = this.governors.of(this.lastKind);
    if (!governor.shouldSpin()) return;
    const deadline = process.hrtime.bigint() + this.spinNanos;
    while (process.hrtime.bigint() < deadline) {
      let n: number;
      // An empty device answers EAGAIN, which Node throws as an Error with a stack trace: the
      // trace was half of each poll's cost (7.6 µs against 3.7 without, in a loop reading an
      // empty FIFO). In a profile of a stat loop these reads took 14.8 µs of CPU a stat before
      // and 12.6 after. Nobody reads these traces.
      const limit = stopStackTraces();
      try {
        // The read buffer is free here: libuv only fills it inside its own read callback.
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as { code?: string }).code === 'EAGAIN') continue;
        return; // ENODEV and the like: the event-loop reader sees it too and ends the session
      } finally {
        restoreStackTraces(limit);
      }
      governor.record(true);
      // Never lent from here: libuv's next read goes into the buffer it was last given.
      if (n > 0) this.deliver(n, false);
      return;
    }
    governor.record(false);
  }

  /**
   * Hand the request in the read buffer to the session. Most requests are copied out, as
   * handlers may hold on to them. A big WRITE, when `mayLend`, takes the buffer itself, lent
   * until the session calls `done`; reading goes on into a spare buffer.
   */
  private deliver(n: number, mayLend: boolean): void {
    const buf = this.buf;
    if (mayLend && n > LEND_WRITES_OVER && buf.readUInt32LE(4) === Opcode.WRITE) {
      this.buf = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
      this.onRequest?.(buf.subarray(0, n), () => {
        if (this.spare.length < SPARE_BUFFERS) this.spare.push(buf);
      });
      return;
    }
    this.onRequest?.(Buffer.from(buf.subarray(0, n)));
  }

  /** Stop reading: requests stay queued in the kernel for whoever reads the connection next. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  /** Stop reading and close the descriptor (closing the handle closes the fd). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.socket === undefined) {
      fs.closeSync(this.fd);
      return;
    }
    this.socket.destroy();
    await this.gone;
  }
}
