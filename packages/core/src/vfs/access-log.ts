import type { Context } from '../types/context.js';

/** Lines kept per reader before the oldest are dropped (a reader that stopped reading). */
const MAX_PENDING_LINES = 10_000;
/** How long a read of `.accesslog` waits for a line before returning a keep-alive line. */
const READ_WAIT_MS = 1000;
/**
 * What a read returns when no line came within READ_WAIT_MS, as JuiceFS does: an empty read would
 * be end-of-file, and `cat .accesslog` or `tail -f` would stop following. Readers skip `#` lines.
 */
const KEEP_ALIVE = Buffer.from('#\n');

interface Reader {
  lines: Buffer[];
  wake?: () => void;
}

/**
 * The `.accesslog` stream: while at least one handle has it open, every operation appends one
 * line `YYYY.MM.DD HH:MM:SS.micro [uid:U,gid:G,pid:P] op (args) - STATUS secs` to each
 * reader's queue (the format `juicefs profile` parses). Nothing is formatted when no one reads.
 */
export class AccessLog {
  private readonly readers = new Map<number, Reader>();
  /** Permanent receivers of every line (a server's --access-log file). */
  private readonly sinks = new Set<(line: Buffer) => void>();

  get active(): boolean {
    return this.readers.size > 0 || this.sinks.size > 0;
  }

  /** Hands every line to `sink` until the returned function is called. */
  subscribe(sink: (line: Buffer) => void): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  open(fh: number): void {
    this.readers.set(fh, { lines: [] });
  }

  close(fh: number): void {
    const r = this.readers.get(fh);
    this.readers.delete(fh);
    r?.wake?.();
  }

  log(ctx: Context, op: string, args: string, status: string, seconds: number, suffix = ''): void {
    if (!this.active) return;
    const line = Buffer.from(
      `${formatTime(performance.timeOrigin + performance.now())} [uid:${ctx.uid},gid:${ctx.gid},pid:${ctx.pid}] ${op} (${args}): ${status}${suffix} <${seconds.toFixed(6)}>\n`,
    );
    for (const sink of this.sinks) sink(line);
    for (const r of this.readers.values()) {
      r.lines.push(line);
      if (r.lines.length > MAX_PENDING_LINES) r.lines.shift();
      const wake = r.wake;
      delete r.wake;
      wake?.();
    }
  }

  /**
   * Up to `size` bytes of whole lines; waits a moment for the first line when none is queued, and
   * returns the keep-alive line `#` if none comes (empty only once the handle is closed).
   */
  async read(fh: number, size: number): Promise<Buffer> {
    const r = this.readers.get(fh);
    if (!r) return Buffer.alloc(0);
    if (r.lines.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, READ_WAIT_MS);
        r.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (r.lines.length === 0) return this.readers.get(fh) === r ? KEEP_ALIVE.subarray(0, size) : Buffer.alloc(0);
    }
    const out: Buffer[] = [];
    let n = 0;
    while (r.lines.length > 0) {
      const line = r.lines[0]!;
      if (n + line.length > size) {
        if (n === 0) {
          // A line longer than the buffer: hand out its head now and keep the rest queued.
          out.push(line.subarray(0, size));
          r.lines[0] = line.subarray(size);
          n = size;
        }
        break;
      }
      out.push(line);
      n += line.length;
      r.lines.shift();
    }
    return Buffer.concat(out, n);
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Local time to the microsecond, as JuiceFS writes it. From the monotonic clock's offset to the
 * process start rather than Date, whose milliseconds would leave the last three digits zero and
 * every line of a fast run with the same stamp, useless for telling which request waited.
 */
function formatTime(epochMs: number): string {
  const d = new Date(Math.floor(epochMs));
  const micros = Math.floor((epochMs * 1000) % 1_000_000);
  return (
    `${d.getFullYear()}.${pad(d.getMonth() + 1)}.${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(micros, 6)}`
  );
}
