import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import { constants as zlibConstants, createGunzip, createGzip } from 'node:zlib';
import { CompressStream, DecompressStream } from 'zstd-napi';
import { fsError, isErrnoCode } from '@juicefs/core';

// Dump files as JuiceFS names them (`cmd/dump.go`, `cmd/load.go`): a FILE ending in `.gz` is
// gzip at the fastest level, one ending in `.zstd` is Zstandard at level 1 (both as upstream
// writes them), anything else plain. A dump is written to FILE.tmp and renamed over FILE only
// once complete, so a dump that fails half-way leaves the previous FILE as it was.

export type DumpCompression = 'gzip' | 'zstd' | 'none';

/** The compression `juicefs dump` uses for FILE, by its name as JuiceFS decides it. */
export function compressionFor(file: string): DumpCompression {
  if (file.endsWith('.gz')) return 'gzip';
  if (file.endsWith('.zstd')) return 'zstd';
  return 'none';
}

function compressor(kind: 'gzip' | 'zstd'): NodeJS.ReadWriteStream & Writable {
  return kind === 'gzip' ? createGzip({ level: zlibConstants.Z_BEST_SPEED }) : new CompressStream({ compressionLevel: 1 });
}

export interface DumpOutput {
  /** Where the dump goes (the compressor in front of the file, or stdout). */
  readonly out: NodeJS.WritableStream;
  /** Finish the stream and put the file in place. */
  commit(): Promise<void>;
  /** Drop what was written: FILE is left as it was before. */
  abort(): Promise<void>;
}

/** stdout when `file` is undefined; otherwise FILE.tmp, compressed by FILE's name, renamed into place on commit. */
export async function openDumpOutput(file: string | undefined): Promise<DumpOutput> {
  if (file === undefined) return { out: process.stdout, commit: async () => undefined, abort: async () => undefined };
  const tmp = `${file}.tmp`;
  const fileOut = createWriteStream(tmp);
  await once(fileOut, 'open').catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? `directory ${path.dirname(path.resolve(file))} does not exist` : err.message;
    throw fsError(isErrnoCode(err.code) ? err.code : 'EIO', `cannot write dump ${file}: ${why}`, err);
  });
  const kind = compressionFor(file);
  const front = kind === 'none' ? undefined : compressor(kind);
  // Started now so a failing file (a full disk) surfaces at commit, whichever stream it hit.
  const done = front ? pipeline(front, fileOut) : once(fileOut, 'close').then(() => undefined);
  done.catch(() => undefined); // awaited by commit or abort
  const out = front ?? fileOut;
  return {
    out,
    commit: async () => {
      out.end();
      try {
        await done;
        await fsp.rename(tmp, file);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw fsError('EIO', `cannot write dump ${file}: ${(err as Error).message}`, err);
      }
    },
    abort: async () => {
      out.destroy();
      fileOut.destroy();
      await done.catch(() => undefined);
      await fsp.rm(tmp, { force: true });
    },
  };
}

/** The first bytes of a gzip member and of a Zstandard frame. */
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** What the stream's first bytes say it is; upstream goes by the name, so any name works here. */
export function compressionOfBytes(head: Buffer): DumpCompression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Reads the first chunk of `input`, then gives every chunk back, the first one included. */
export async function peekFirst(input: AsyncIterable<Buffer | string>): Promise<{ head: Buffer; all: Readable }> {
  const it = input[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield Buffer.isBuffer(n.value) ? n.value : Buffer.from(n.value);
    }
  }
  return { head, all: Readable.from(replay(), { objectMode: false }) };
}

/**
 * A dump to load, decompressed: FILE or stdin, gzip or Zstandard recognised by their first bytes
 * (a `.gz` or `.zstd` file from either client, or a compressed stream on stdin). A corrupt
 * compressed stream fails with the file named.
 */
export async function openDumpInput(file: string | undefined): Promise<AsyncIterable<Buffer | string>> {
  const name = file ?? 'stdin';
  let raw: Readable = process.stdin;
  if (file !== undefined) {
    const stream = createReadStream(file);
    await once(stream, 'open').catch((err: Error) => {
      throw fsError('ENOENT', `cannot read dump ${file}: ${err.message}`, err);
    });
    raw = stream;
  }
  const { head, all } = await peekFirst(raw);
  const kind = compressionOfBytes(head);
  if (kind === 'none') return all;
  const decompressor = kind === 'gzip' ? createGunzip() : new DecompressStream();
  const flowing = pipeline(all, decompressor as Writable).catch(() => undefined); // errors reach the reader below
  async function* decompressed(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of decompressor as AsyncIterable<Buffer>) yield chunk;
    } catch (err) {
      throw fsError('EIO', `cannot read dump ${name}: its ${kind === 'gzip' ? 'gzip' : 'Zstandard'} data is damaged (${(err as Error).message})`, err);
    }
    await flowing;
  }
  return decompressed();
}
