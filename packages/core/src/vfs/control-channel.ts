import { ERRNO } from '../errors/errno.js';
import { errnoOf } from '../errors/fs-error.js';
import type { Context } from '../types/context.js';

/**
 * Serves one `.control` request. `cmd` and `payload` come from the message the client wrote
 * (JuiceFS frames it as cmd u32 BE, size u32 BE, payload); every `reply` chunk is handed to one
 * read of the client, in order (the Go client reads 17-byte progress frames, then a result).
 */
export type ControlHandler = (ctx: Context, cmd: number, payload: Buffer, reply: (chunk: Buffer) => void) => Promise<void>;

const HEADER = 8;

/**
 * The byte plumbing of one open `.control` handle: collects a message from writes, runs the
 * handler in the background, and queues its replies for reads, which wait until a reply comes
 * or the handler ends. Without a handler every command answers the single errno byte ENOSYS.
 */
export class ControlChannel {
  private input = Buffer.alloc(0);
  private readonly output: Buffer[] = [];
  private running = false;
  private wake: (() => void) | undefined;

  constructor(private readonly handler: ControlHandler | undefined) {}

  write(ctx: Context, data: Buffer): void {
    this.input = Buffer.concat([this.input, data]);
    if (this.input.length < HEADER) return;
    const cmd = this.input.readUInt32BE(0);
    const size = this.input.readUInt32BE(4);
    if (this.input.length < HEADER + size) return;
    const payload = this.input.subarray(HEADER, HEADER + size);
    this.input = Buffer.from(this.input.subarray(HEADER + size));
    this.run(ctx, cmd, payload);
  }

  /** The next reply chunk (at most `size` bytes; the rest stays queued); empty once all is read. */
  async read(size: number): Promise<Buffer> {
    while (this.output.length === 0 && this.running) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const next = this.output.shift();
    if (!next) return Buffer.alloc(0);
    if (next.length > size) {
      this.output.unshift(next.subarray(size));
      return next.subarray(0, size);
    }
    return next;
  }

  private run(ctx: Context, cmd: number, payload: Buffer): void {
    this.running = true;
    const reply = (chunk: Buffer) => {
      this.output.push(Buffer.from(chunk));
      this.notify();
    };
    const work = this.handler
      ? this.handler(ctx, cmd, payload, reply)
      : Promise.resolve(reply(Buffer.from([ERRNO.ENOSYS])));
    work
      .catch((err: unknown) => reply(Buffer.from([ERRNO[errnoOf(err)] & 0xff])))
      .finally(() => {
        this.running = false;
        this.notify();
      });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
