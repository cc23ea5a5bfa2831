import { statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT_CONTEXT, ROOT_INODE, fsError, type Ino } from '@juicefs/core';
import { fileTransport, findMount, handlerTransport, type ControlTransport } from './client.js';
import { createControlHandler } from './handler.js';
import { resolvePath } from './tree.js';
import { openToolVolume, type ToolVolume } from './volume-access.js';

/**
 * Where the tools (info, rmr, warmup) send their `.control` requests: the mount that holds a
 * path, or, with `--meta META-URL`, a handler run in this process on the volume itself (PATHs
 * are then paths inside the volume).
 */
export interface ControlTarget {
  transport: ControlTransport;
  /** Inode of a path, and of its parent with its last name (for rmr). */
  locate(p: string): Promise<{ ino: Ino; parent: Ino; name: Buffer; inner: string }>;
  close(): Promise<void>;
}

export async function openTarget(firstPath: string, metaUrl: string | undefined): Promise<ControlTarget> {
  if (metaUrl !== undefined) {
    const vol: ToolVolume = await openToolVolume(metaUrl);
    const store = await vol.chunks();
    vol.meta.onSliceDelete((id, size) => store.remove(id, size));
    const transport = handlerTransport(createControlHandler({ meta: vol.meta, store, format: vol.format }), ROOT_CONTEXT);
    return {
      transport,
      locate: async (p) => {
        const inner = path.posix.resolve('/', p);
        if (inner === '/') return { ino: ROOT_INODE, parent: ROOT_INODE, name: Buffer.alloc(0), inner };
        const parent = await resolvePath(vol.meta, ROOT_CONTEXT, path.posix.dirname(inner));
        const ino = await resolvePath(vol.meta, ROOT_CONTEXT, inner);
        return { ino, parent, name: Buffer.from(path.posix.basename(inner)), inner };
      },
      close: async () => {
        await transport.close();
        await vol.close();
      },
    };
  }
  const mount = findMount(firstPath);
  const transport = await fileTransport(mount.mountpoint);
  return {
    transport,
    locate: async (p) => {
      const m = findMount(p);
      if (m.mountpoint !== mount.mountpoint) throw fsError('EXDEV', `${p} is in another mount (${m.mountpoint}) than ${firstPath}: run the command once per mount`);
      const abs = path.resolve(p);
      return { ino: m.ino, parent: statSync(path.dirname(abs), { bigint: true }).ino, name: Buffer.from(path.basename(abs)), inner: m.inner };
    },
    close: () => transport.close(),
  };
}
