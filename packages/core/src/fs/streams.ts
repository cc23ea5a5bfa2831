import { Readable, Writable } from 'node:stream';
import type { JuiceFS } from './juicefs.js';
import type { OpenFlags } from './open-flags.js';

export interface ReadStreamOptions {
  /** First byte to read (default 0). */
  start?: number;
  /** Last byte to read, inclusive (default: to the end), as Node's fs.createReadStream. */
  end?: number;
  /** Bytes per read (default 1 MiB). */
  highWaterMark?: number;
}

/** A Readable of a file's bytes; the descriptor closes when the stream ends or is destroyed. */
export function createReadStream(fs: JuiceFS, path: string, options: ReadStreamOptions = {}): Readable {
  const chunk = options.highWaterMark ?? 1 << 20;
  const end = options.end === undefined ? Infinity : options.end + 1;
  async function* bytes(): AsyncGenerator<Buffer> {
    const fd = await fs.open(path, 'r');
    try {
      for (let pos = options.start ?? 0; pos < end; ) {
        const data = await fs.read(fd, Math.min(chunk, end - pos), pos);
        if (data.length === 0) return;
        pos += data.length;
        yield data;
      }
    } finally {
      await fs.close(fd);
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

export interface WriteStreamOptions {
  /** Open flags (default 'w': create or truncate). */
  flags?: OpenFlags;
  mode?: number;
}

/**
 * A Writable into a file. The file is opened on the first write (or at the end for an empty
 * stream) and closed, committing the data, before 'finish' is emitted.
 */
export function createWriteStream(fs: JuiceFS, path: string, options: WriteStreamOptions = {}): Writable {
  let fd: number | undefined;
  const ensureOpen = async () => (fd ??= await fs.open(path, options.flags ?? 'w', options.mode ?? 0o666));
  return new Writable({
    write(data: Buffer, _encoding, callback) {
      ensureOpen()
        .then((d) => fs.write(d, data))
        .then(() => callback(), callback);
    },
    final(callback) {
      ensureOpen()
        .then((d) => {
          fd = undefined; // closed here; destroy (which follows) must not close it again
          return fs.close(d);
        })
        .then(() => callback(), callback);
    },
    destroy(err, callback) {
      if (fd === undefined) return callback(err);
      const open = fd;
      fd = undefined;
      fs.close(open).then(
        () => callback(err),
        (closeErr: unknown) => callback(err ?? (closeErr as Error)),
      );
    },
  });
}
