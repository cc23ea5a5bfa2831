import { ERRNO } from '@juicefs/core';
import {
  Opcode,
  OUT_HEADER_SIZE,
  decodeInit,
  decodeInterrupt,
  decodeRequest,
  encodeInitOut,
  opcodeName,
  type RawRequest,
} from '../protocol/index.js';
import { replyKind, type FuseChannel } from './channel.js';
import { EPROTO, errnoFor } from './errors.js';
import type { ConnectionInfo, FuseHandler, FuseNotifier, RequestContext } from './handler.js';
import { negotiateInit, type SessionOptions } from './init.js';
import { NO_REPLY, OPS, type OpResult } from './ops.js';

/**
 * Requests an INTERRUPT may answer EINTR at once, dropping the handler's late result: they change
 * nothing (no entry, no handle, no lock), so the caller loses nothing by not hearing the outcome.
 * Every other request is answered by its handler, whose signal is aborted so it can stop early:
 * answering EINTR for a CREATE, RENAME or WRITE that still completes would tell the caller a
 * change did not happen that did (and leak the handle an OPEN or CREATE made), and a blocking
 * lock may be granted in the very instant it is interrupted. libfuse and go-fuse likewise leave
 * the answer to the handler.
 */
const EINTR_AT_ONCE: ReadonlySet<number> = new Set([
  Opcode.LOOKUP,
  Opcode.GETATTR,
  Opcode.READLINK,
  Opcode.READ,
  Opcode.STATFS,
  Opcode.GETXATTR,
  Opcode.LISTXATTR,
  Opcode.ACCESS,
  Opcode.READDIR,
  Opcode.READDIRPLUS,
  Opcode.GETLK,
  Opcode.LSEEK,
]);

/**
 * How long an INTERRUPT whose request has not been seen is kept. The kernel only interrupts a
 * request it has handed to us, but with more than one reader the INTERRUPT can overtake it
 * (libfuse and go-fuse keep such interrupts too); one for a request that already finished
 * just expires.
 */
export const EARLY_INTERRUPT_TTL_MS = 2000;
/** At most this many are kept (a flood of late interrupts cannot grow the map without bound). */
const EARLY_INTERRUPT_MAX = 256;

/** fuse_notify_code FUSE_NOTIFY_RESEND: queue again the requests read but not answered (7.40). */
const NOTIFY_RESEND = 7;
/** fuse_notify_code FUSE_NOTIFY_INVAL_INODE, and its body (fuse_notify_inval_inode_out: ino, off, len). */
const NOTIFY_INVAL_INODE = 2;
const INVAL_INODE_SIZE = 24;

const XATTR_OPCODES: ReadonlySet<number> = new Set([Opcode.SETXATTR, Opcode.GETXATTR, Opcode.LISTXATTR, Opcode.REMOVEXATTR]);

/**
 * A request being served. Its AbortController is made only when the handler looks at the
 * signal (few do): one less allocation and listener set on every request.
 */
class InFlight {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  /** Set once a reply (or the EINTR of an interrupt) went out; later replies are dropped. */
  replied = false;

  /** True for requests whose handler answers an INTERRUPT itself (all but EINTR_AT_ONCE). */
  constructor(readonly handlerAnswersInterrupt = false) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }
}

/**
 * The caller of one request. A class rather than an object literal with a getter: V8 builds a
 * literal with an accessor through a slow runtime path, on every request.
 */
class RequestCtx implements RequestContext {
  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly pid: number,
    readonly unique: bigint,
    private readonly flight: InFlight,
  ) {}

  /** Made on first use: most handlers never look. */
  get signal(): AbortSignal {
    return this.flight.signal;
  }
}

/**
 * One FUSE connection: reads requests from a channel, runs each through the opcode table
 * concurrently (a slow call never holds up others), and writes exactly one reply per request
 * (none for FORGET/BATCH_FORGET/INTERRUPT).
 */
export class FuseSession {
  private readonly inflight = new Map<bigint, InFlight>();
  /** INTERRUPTs that came before their request: target unique → when the entry expires. */
  private readonly earlyInterrupts = new Map<bigint, number>();
  private conn: ConnectionInfo | undefined;
  private readonly log: (message: string) => void;
  private endResolve!: (reason: string) => void;
  /** Resolves with the reason when the kernel ends the connection (unmount, abort) or close() is called. */
  readonly ended: Promise<string>;
  private isEnded = false;
  private readyResolve!: () => void;
  /** Resolves once INIT has been answered and other requests are served. */
  readonly ready: Promise<void>;

  constructor(
    private readonly channel: FuseChannel,
    private readonly handler: FuseHandler,
    private readonly options: SessionOptions = {},
  ) {
    this.log = options.log ?? ((m) => console.error(m));
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
  }

  /** What INIT negotiated; undefined until the kernel has sent INIT. */
  get connection(): ConnectionInfo | undefined {
    return this.conn;
  }

  /** Requests currently being served. */
  get inFlightCount(): number {
    return this.inflight.size;
  }

  start(): void {
    const resume = this.options.resume;
    if (resume !== undefined) {
      void this.startResumed(resume);
      return;
    }
    this.startChannel();
  }

  private startChannel(): void {
    this.channel.start(
      (buf, done) => this.onRequest(buf, done),
      (reason) => this.end(reason),
    );
  }

  /** What handlers send the kernel unasked; a notification to a gone connection is dropped. */
  private readonly notifier: FuseNotifier = {
    invalidateAttributes: (ino) => {
      if (this.isEnded) return;
      const msg = Buffer.alloc(OUT_HEADER_SIZE + INVAL_INODE_SIZE);
      msg.writeUInt32LE(msg.length, 0);
      msg.writeInt32LE(NOTIFY_INVAL_INODE, 4); // error carries the code; unique stays 0
      msg.writeBigUInt64LE(ino, OUT_HEADER_SIZE);
      msg.writeBigInt64LE(-1n, OUT_HEADER_SIZE + 8); // a negative offset: attributes only, no pages
      this.channel.write([msg], 0);
    },
  };

  /**
   * Take over a connection whose INIT another process answered: the handler learns the terms,
   * serving starts, and the requests the previous server had read but not answered are sent again
   * (their unique carries the resend bit; the answer echoes it). A kernel without FUSE_NOTIFY_RESEND
   * refuses the notification: those callers stay blocked until they are interrupted.
   */
  private async startResumed(conn: ConnectionInfo): Promise<void> {
    try {
      await this.handler.init?.(conn, this.notifier);
    } catch (e) {
      this.end(`resuming the connection failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.conn = conn;
    this.startChannel();
    this.readyResolve();
    const head = Buffer.alloc(OUT_HEADER_SIZE);
    head.writeUInt32LE(OUT_HEADER_SIZE, 0);
    head.writeInt32LE(NOTIFY_RESEND, 4);
    this.channel.write([head], 0);
  }

  /**
   * Hand the connection over: read no more requests (they stay queued in the kernel), and wait up
   * to `waitMs` for the ones being served to be answered. Resolves with how many are still
   * unanswered: the next server gets those again when it asks the kernel to resend. The session
   * is not ended; the process is expected to exit without unmounting. False when the channel
   * cannot stop reading.
   */
  async handOver(waitMs: number): Promise<number | false> {
    if (this.channel.pause === undefined) return false;
    this.channel.pause();
    const until = Date.now() + waitMs;
    while (this.inflight.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    // Whatever answers come later must not reach the kernel: the next server answers them.
    this.isEnded = true;
    return this.inflight.size;
  }

  /** Stop serving: aborts in-flight requests and closes the channel. */
  async close(): Promise<void> {
    this.end('closed');
    await this.channel.close();
  }

  private end(reason: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    for (const f of this.inflight.values()) f.abort(new Error(`FUSE session ended: ${reason}`));
    this.endResolve(reason);
  }

  private send(unique: bigint, errno: number, parts: readonly Uint8Array[], opcode: number): void {
    // After the end the device is closing: a late answer (an aborted lock wait) goes nowhere.
    if (this.isEnded) return;
    let len = OUT_HEADER_SIZE;
    for (const p of parts) len += p.length;
    const head = Buffer.allocUnsafe(OUT_HEADER_SIZE);
    head.writeUInt32LE(len, 0);
    head.writeInt32LE(errno === 0 ? 0 : -errno, 4);
    head.writeBigUInt64LE(unique, 8);
    this.channel.write([head, ...parts], replyKind(opcode, errno));
  }

  /** `done` (a buffer lent by the channel) is called once nothing refers to the request's bytes. */
  private onRequest(buf: Buffer, done?: () => void): void {
    const serving = this.route(buf);
    if (done === undefined) return;
    if (serving === undefined) done();
    else void serving.finally(done);
  }

  /** Decode one request and start serving it; the promise settles once it is answered. */
  private route(buf: Buffer): Promise<void> | undefined {
    let req: RawRequest;
    try {
      req = decodeRequest(buf);
    } catch (e) {
      // Without a trustworthy header we cannot even name the request to fail it.
      this.log(`fuse: dropping a malformed request: ${String(e)}`);
      return undefined;
    }
    const { opcode, unique } = req.header;
    if (this.options.debug === true) this.log(`fuse: <- ${opcodeName(opcode)} unique=${unique} node=${req.header.nodeid}`);
    switch (opcode) {
      case Opcode.INIT:
        return this.onInit(req);
      case Opcode.INTERRUPT:
        this.onInterrupt(req);
        return undefined;
      case Opcode.DESTROY:
        return this.onDestroy(req);
    }
    if (this.conn === undefined) {
      this.send(unique, ERRNO.EIO, [], opcode);
      return undefined;
    }
    return this.dispatch(req);
  }

  private async dispatch(req: RawRequest): Promise<void> {
    const { opcode, unique, uid, gid, pid } = req.header;
    const op = OPS.get(opcode);
    const name = opcodeName(opcode);
    if (op === undefined || this.handler[op.method] === undefined || (this.options.disableXattrs === true && XATTR_OPCODES.has(opcode))) {
      if (op?.method !== 'forget') this.reply(unique, ERRNO.ENOSYS, [], opcode);
      return;
    }
    if (this.earlyInterrupts.size !== 0 && this.takeEarlyInterrupt(unique)) {
      // Interrupted before it began: nothing was done, so EINTR is the whole answer.
      this.reply(unique, ERRNO.EINTR, [], opcode);
      return;
    }
    const flight = new InFlight(!EINTR_AT_ONCE.has(opcode));
    this.inflight.set(unique, flight);
    const ctx: RequestContext = new RequestCtx(uid, gid, pid, unique, flight);
    let result: OpResult;
    try {
      // The table only calls the method it checked above, so the handler is complete for it.
      result = await op.run(this.handler as Required<FuseHandler>, ctx, req, { initFlags: this.conn?.flags ?? 0 });
    } catch (e) {
      this.inflight.delete(unique);
      if (op.method === 'forget') return;
      if (!flight.replied) this.reply(unique, errnoFor(e, name, this.log), [], opcode);
      return;
    }
    this.inflight.delete(unique);
    if (result === NO_REPLY || flight.replied) return;
    this.reply(unique, 0, result, opcode);
  }

  /** Answer request `unique`, which was an `opcode` (named in the debug log, and telling the channel what it answers). */
  private reply(unique: bigint, errno: number, parts: readonly Uint8Array[], opcode: number): void {
    if (this.options.debug === true) this.log(`fuse: -> ${opcodeName(opcode)} unique=${unique} errno=${errno}`);
    this.send(unique, errno, parts, opcode);
  }

  private async onInit(req: RawRequest): Promise<void> {
    const { unique } = req.header;
    try {
      const k = decodeInit(req.body);
      const r = negotiateInit(k, this.handler, this.options);
      if (r.kind === 'refuse') {
        this.log(`fuse: ${r.reason}`);
        this.reply(unique, EPROTO, [], Opcode.INIT);
        this.end(r.reason);
        return;
      }
      if (r.kind === 'ok') {
        const conn: ConnectionInfo = {
          major: r.out.major,
          minor: r.out.minor,
          flags: r.out.flags,
          flags2: r.out.flags2,
          maxWrite: r.out.maxWrite,
          maxReadahead: r.out.maxReadahead,
        };
        await this.handler.init?.(conn, this.notifier);
        this.conn = conn;
      }
      this.reply(unique, 0, [encodeInitOut(r.out)], Opcode.INIT);
      if (this.conn !== undefined) this.readyResolve();
    } catch (e) {
      // The kernel marks the connection failed after an INIT error; nothing more will work.
      this.reply(unique, errnoFor(e, 'INIT', this.log), [], Opcode.INIT);
      this.end(`INIT failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Abort the matching request's signal. Requests that change nothing (EINTR_AT_ONCE) are
   * answered EINTR at once and their handler's late result is dropped; the others are answered by
   * their handler (EINTR if it stopped, its result if it went through). An unknown unique is
   * either a request that already finished or one not read yet: it is kept for a short while
   * (see EARLY_INTERRUPT_TTL_MS). The kernel expects no reply to INTERRUPT itself.
   */
  private onInterrupt(req: RawRequest): void {
    let target: bigint;
    try {
      target = decodeInterrupt(req.body).unique;
    } catch {
      return;
    }
    const flight = this.inflight.get(target);
    if (flight === undefined) {
      this.keepEarlyInterrupt(target);
      return;
    }
    if (flight.replied) return;
    flight.abort(new Error('interrupted by the kernel'));
    if (flight.handlerAnswersInterrupt) return;
    flight.replied = true;
    this.reply(target, ERRNO.EINTR, [], Opcode.INTERRUPT);
  }

  private keepEarlyInterrupt(target: bigint): void {
    const now = performance.now();
    // Entries expire in insertion order (one TTL for all), so only the front needs pruning.
    for (const [unique, expires] of this.earlyInterrupts) {
      if (expires > now && this.earlyInterrupts.size < EARLY_INTERRUPT_MAX) break;
      this.earlyInterrupts.delete(unique);
    }
    this.earlyInterrupts.set(target, now + EARLY_INTERRUPT_TTL_MS);
  }

  /** True when an unexpired INTERRUPT for `unique` was waiting for it (and consume it). */
  private takeEarlyInterrupt(unique: bigint): boolean {
    const expires = this.earlyInterrupts.get(unique);
    if (expires === undefined) return false;
    this.earlyInterrupts.delete(unique);
    return expires > performance.now();
  }

  private async onDestroy(req: RawRequest): Promise<void> {
    try {
      await this.handler.destroy?.();
    } catch (e) {
      this.log(`fuse: destroy failed: ${String(e)}`);
    }
    this.reply(req.header.unique, 0, [], Opcode.DESTROY);
    this.end('destroyed');
  }
}
