import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { ERRNO, errnoOf, fsError, type Context, type ControlHandler } from '@juicefs/core';
import { ReplyParser, frameRequest, type ControlResult } from './protocol.js';

/** Where a path lives in a JuiceFS mount. */
export interface MountPath {
  /** The mount point (the directory holding `.control`). */
  mountpoint: string;
  /** The path inside the volume, starting with "/". */
  inner: string;
  /** The inode of the path. */
  ino: bigint;
}

/** The name of the control file: `.control`, or `.jfs.control` under --prefix-internal. */
export function controlFile(mountpoint: string): string {
  const prefixed = path.join(mountpoint, '.jfs.control');
  return existsSync(prefixed) ? prefixed : path.join(mountpoint, '.control');
}

/**
 * Find the JuiceFS mount holding `p`: the nearest ancestor whose inode is 1 (the volume root)
 * and which answers a lookup of its control file.
 */
export function findMount(p: string): MountPath {
  const abs = path.resolve(p);
  const st = statSync(abs, { bigint: true });
  for (let dir = st.isDirectory() ? abs : path.dirname(abs); ; dir = path.dirname(dir)) {
    const ds = statSync(dir, { bigint: true });
    if (ds.ino === 1n && (existsSync(path.join(dir, '.control')) || existsSync(path.join(dir, '.jfs.control')))) {
      const rel = path.relative(dir, abs).split(path.sep).join('/');
      return { mountpoint: dir, inner: `/${rel}`, ino: st.ino };
    }
    if (path.dirname(dir) === dir) break;
  }
  throw fsError('EINVAL', `${p} is not inside a JuiceFS mount: give a path under a mount point (juicefs mount META-URL MP)`);
}

/** A byte channel to a mount's control file (a file on the mount, or a Vfs handle in tests). */
export interface ControlTransport {
  write(data: Buffer): Promise<void>;
  read(size: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function fileTransport(mountpoint: string): Promise<ControlTransport> {
  const fh = await open(controlFile(mountpoint), 'r+');
  return {
    write: async (data) => {
      await fh.write(data, 0, data.length, 0);
    },
    read: async (size) => {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

/** Send one request and collect its answer; `progress` sees each progress frame. */
export async function sendControl(
  t: ControlTransport,
  cmd: number,
  payload: Buffer,
  progress: (count: number, bytes: number) => void = () => undefined,
): Promise<ControlResult> {
  await t.write(frameRequest(cmd, payload));
  const parser = new ReplyParser(progress);
  while (parser.result === undefined) {
    const chunk = await t.read(4096);
    if (chunk.length === 0) {
      throw fsError('EIO', 'the mount closed the control channel without an answer: check the mount log, it may be an older or foreign client');
    }
    parser.feed(chunk);
  }
  return parser.result;
}

/**
 * A transport that serves requests in this process with `handler` (the `--meta` mode of the
 * tools, and tests): the same bytes as through a mount, without one.
 */
export function handlerTransport(handler: ControlHandler, ctx: Context): ControlTransport {
  const queue: Buffer[] = [];
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    write: async (data) => {
      const cmd = data.readUInt32BE(0);
      const payload = data.subarray(8, 8 + data.readUInt32BE(4));
      running = handler(ctx, cmd, payload, (chunk) => {
        queue.push(Buffer.from(chunk));
        notify();
      })
        .catch((err: unknown) => void queue.push(Buffer.from([ERRNO[errnoOf(err)] & 0xff])))
        .finally(() => {
          running = undefined;
          notify();
        });
    },
    read: async (size) => {
      while (queue.length === 0 && running) await new Promise<void>((r) => (wake = r));
      const next = queue.shift();
      if (!next) return Buffer.alloc(0);
      if (next.length > size) {
        queue.unshift(next.subarray(size));
        return next.subarray(0, size);
      }
      return next;
    },
    close: async () => {
      await running;
    },
  };
}
