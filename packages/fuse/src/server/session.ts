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
import type { FuseChannel } from './channel.js';
import { EPROTO, errnoFor } from './errors.js';
import type { ConnectionInfo, FuseHandler, RequestContext } from './handler.js';
import { negotiateInit, type SessionOptions } from './init.js';
import { NO_REPLY, OPS, type OpResult } from './ops.js';

/**
 * A request being served. Its AbortController is made only when the handler looks at the
 * signal (few do): one less allocation and listener set on every request.
 */
class InFlight {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  /** Set once a reply (or the EINTR of an interrupt) went out; later replies are dropped. */
  replied = false;

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
 * One FUSE connection: reads requests from a channel, runs each through the opcode table
 * concurrently (a slow call never holds up others), and writes exactly one reply per request
 * (none for FORGET/BATCH_FORGET/INTERRUPT).
 */
export class FuseSession {
  private readonly inflight = new Map<bigint, InFlight>();
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
    this.channel.start(
      (buf) => this.onRequest(buf),
      (reason) => this.end(reason),
    );
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

  private send(unique: bigint, errno: number, parts: readonly Uint8Array[]): void {
    let len = OUT_HEADER_SIZE;
    for (const p of parts) len += p.length;
    const head = Buffer.allocUnsafe(OUT_HEADER_SIZE);
    head.writeUInt32LE(len, 0);
    head.writeInt32LE(errno === 0 ? 0 : -errno, 4);
    head.writeBigUInt64LE(unique, 8);
    this.channel.write([head, ...parts]);
  }

  private onRequest(buf: Buffer): void {
    let req: RawRequest;
    try {
      req = decodeRequest(buf);
    } catch (e) {
      // Without a trustworthy header we cannot even name the request to fail it.
      this.log(`fuse: dropping a malformed request: ${String(e)}`);
      return;
    }
    const { opcode, unique } = req.header;
    if (this.options.debug === true) this.log(`fuse: <- ${opcodeName(opcode)} unique=${unique} node=${req.header.nodeid}`);
    switch (opcode) {
      case Opcode.INIT:
        void this.onInit(req);
        return;
      case Opcode.INTERRUPT:
        this.onInterrupt(req);
        return;
      case Opcode.DESTROY:
        void this.onDestroy(req);
        return;
    }
    if (this.conn === undefined) {
      this.send(unique, ERRNO.EIO, []);
      return;
    }
    void this.dispatch(req);
  }

  private async dispatch(req: RawRequest): Promise<void> {
    const { opcode, unique, uid, gid, pid } = req.header;
    const op = OPS.get(opcode);
    const name = opcodeName(opcode);
    if (op === undefined || this.handler[op.method] === undefined) {
      if (op?.method !== 'forget') this.reply(unique, ERRNO.ENOSYS, [], name);
      return;
    }
    const flight = new InFlight();
    this.inflight.set(unique, flight);
    const ctx: RequestContext = {
      uid,
      gid,
      pid,
      unique,
      get signal() {
        return flight.signal;
      },
    };
    let result: OpResult;
    try {
      // The table only calls the method it checked above, so the handler is complete for it.
      result = await op.run(this.handler as Required<FuseHandler>, ctx, req, { initFlags: this.conn?.flags ?? 0 });
    } catch (e) {
      this.inflight.delete(unique);
      if (op.method === 'forget') return;
      if (!flight.replied) this.reply(unique, errnoFor(e, name, this.log), [], name);
      return;
    }
    this.inflight.delete(unique);
    if (result === NO_REPLY || flight.replied) return;
    this.reply(unique, 0, result, name);
  }

  private reply(unique: bigint, errno: number, parts: readonly Uint8Array[], name: string): void {
    if (this.options.debug === true) this.log(`fuse: -> ${name} unique=${unique} errno=${errno}`);
    this.send(unique, errno, parts);
  }

  private async onInit(req: RawRequest): Promise<void> {
    const { unique } = req.header;
    try {
      const k = decodeInit(req.body);
      const r = negotiateInit(k, this.handler, this.options);
      if (r.kind === 'refuse') {
        this.log(`fuse: ${r.reason}`);
        this.reply(unique, EPROTO, [], 'INIT');
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
        await this.handler.init?.(conn);
        this.conn = conn;
      }
      this.reply(unique, 0, [encodeInitOut(r.out)], 'INIT');
      if (this.conn !== undefined) this.readyResolve();
    } catch (e) {
      // The kernel marks the connection failed after an INIT error; nothing more will work.
      this.reply(unique, errnoFor(e, 'INIT', this.log), [], 'INIT');
      this.end(`INIT failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Abort the matching request and answer it EINTR now; its handler's late result is dropped.
   * An unknown unique means the request already finished: the interrupt is ignored (the kernel
   * expects no reply to INTERRUPT itself).
   */
  private onInterrupt(req: RawRequest): void {
    let target: bigint;
    try {
      target = decodeInterrupt(req.body).unique;
    } catch {
      return;
    }
    const flight = this.inflight.get(target);
    if (flight === undefined || flight.replied) return;
    flight.replied = true;
    flight.abort(new Error('interrupted by the kernel'));
    this.reply(target, ERRNO.EINTR, [], 'INTERRUPT');
  }

  private async onDestroy(req: RawRequest): Promise<void> {
    try {
      await this.handler.destroy?.();
    } catch (e) {
      this.log(`fuse: destroy failed: ${String(e)}`);
    }
    this.reply(req.header.unique, 0, [], 'DESTROY');
    this.end('destroyed');
  }
}
