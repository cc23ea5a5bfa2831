import { chunkStoreOptionsFor, openChunkStore, openVolumeStorage, type ChunkStoreOptions, type JuiceChunkStore } from '@juicefs/chunk';
import { chroot, JuiceFS, ROOT_CONTEXT, Vfs, type Context, type Meta, type ControlHandler, type Format, type NewSessionOptions, type ObjectStorage, type VfsOptions } from '@juicefs/core';
import { openMeta, type BaseMeta } from '@juicefs/meta';
import { plainFormat } from './control/volume-access.js';
import { readFormat } from './volume.js';
import { keyPassphrase } from './key-passphrase.js';

/**
 * A volume opened in this process, without a mount: a session, the VFS, and the path API over it
 * (what JuiceFS's Go tools get from pkg/fs). Data blocks go through a memory cache only, so no
 * mount's disk cache is touched.
 */
export interface VolumeFs {
  fs: JuiceFS;
  vfs: Vfs;
  meta: BaseMeta;
  store: JuiceChunkStore;
  /** The volume's object storage (under the store), for jobs that write there directly (metadata backups). */
  storage: ObjectStorage;
  /** The format record, secrets in plain text. */
  format: Format;
  /** Close the files left open, commit buffered writes, end the session. */
  close(): Promise<void>;
}

export interface VolumeFsOptions {
  /** Who the path API acts as (root by default). */
  ctx?: Context;
  /** Applied to what the path API creates (022 by default). */
  umask?: number;
  /** Serves `.control` (the CLI's handler, for in-process tests of its tools); none by default. */
  control?: (parts: { meta: BaseMeta; store: JuiceChunkStore; format: Format }) => ControlHandler;
  /** Session settings (read-only, info shown by `juicefs status`); a plain session by default. */
  session?: NewSessionOptions;
  /** VFS settings (read-only, hidden internal files…) over the defaults; virtual files are off unless `control` is given. */
  vfs?: Partial<VfsOptions>;
  /**
   * `--subdir`: serve this directory (a path from the volume root) as the root, made where
   * missing as JuiceFS's Chroot does; the trash is then out of reach. Sessions and background
   * jobs keep the whole volume.
   */
  subdir?: string;
  /** `--bucket`: another address of the volume's bucket. */
  bucket?: string;
  /** Cache and buffer settings of a long-running service; a 64 MiB memory cache by default. */
  cache?: Pick<Partial<ChunkStoreOptions>, 'cacheDir' | 'cacheSize' | 'bufferSize'>;
}

export async function openVolumeFs(metaUrl: string, o: VolumeFsOptions = {}): Promise<VolumeFs> {
  const meta = await openMeta(metaUrl, { create: false });
  let session = false;
  try {
    await readFormat(meta.store, metaUrl); // an unformatted database: the error names it and the fix
    const format = plainFormat(await meta.load());
    await meta.newSession(o.session);
    session = true;
    const storage = openVolumeStorage(format, { ...keyPassphrase(), ...(o.bucket !== undefined ? { bucket: o.bucket } : {}) });
    const store = await openChunkStore(storage, chunkStoreOptionsFor(format, { cacheDir: 'memory', cacheSize: 64 << 20, ...o.cache }));
    meta.onSliceDelete((id, size) => store.remove(id, size));
    // No virtual files unless `.control` is asked for, and the trash left out of the root's
    // listing (still reachable by name), as JuiceFS's pkg/fs sees a volume: whatever reads the
    // volume through this API (sync's jfs:// trees, the gateway, webdav) must not see `.config`
    // with its secrets, copy `.stats` and `.accesslog` as if they were files, or copy the trash.
    const served: Meta = o.subdir !== undefined && o.subdir.split('/').some((p) => p !== '' && p !== '.') ? await chroot(meta, ROOT_CONTEXT, o.subdir) : meta;
    const options = { virtualFiles: o.control !== undefined, hideInternal: o.control === undefined, hideTrash: served !== meta, ...o.vfs };
    const vfs = new Vfs({ meta: served, store, format, options, ...(o.control ? { control: o.control({ meta, store, format }) } : {}) });
    const fs = new JuiceFS(vfs, o.ctx, o.umask === undefined ? {} : { umask: o.umask });
    return {
      fs,
      vfs,
      meta,
      store,
      storage,
      format,
      close: async () => {
        await fs.closeAll();
        await vfs.close();
        await store.close();
        await meta.closeSession();
        await meta.shutdown();
      },
    };
  } catch (err) {
    // A failure after the session began (a --subdir that is a file…) must not leave it behind.
    if (session) await meta.closeSession().catch(() => undefined);
    await meta.shutdown().catch(() => undefined);
    throw err;
  }
}
