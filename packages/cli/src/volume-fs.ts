import { chunkStoreOptionsFor, openChunkStore, openVolumeStorage } from '@juicefs/chunk';
import { JuiceFS, Vfs, type Context, type Meta } from '@juicefs/core';
import { openMeta } from '@juicefs/meta';
import { plainFormat } from './control/volume-access.js';

/**
 * A volume opened in this process, without a mount: a session, the VFS, and the path API over it
 * (what JuiceFS's Go tools get from pkg/fs). Data blocks go through a memory cache only, so no
 * mount's disk cache is touched.
 */
export interface VolumeFs {
  fs: JuiceFS;
  meta: Meta;
  /** Close the files left open, commit buffered writes, end the session. */
  close(): Promise<void>;
}

/** `ctx`: who the path API acts as (root by default); `umask`: applied to what it creates (022). */
export async function openVolumeFs(metaUrl: string, as: { ctx?: Context; umask?: number } = {}): Promise<VolumeFs> {
  const meta = await openMeta(metaUrl);
  try {
    const format = plainFormat(await meta.load());
    await meta.newSession();
    const store = await openChunkStore(openVolumeStorage(format), chunkStoreOptionsFor(format, { cacheDir: 'memory', cacheSize: 64 << 20 }));
    meta.onSliceDelete((id, size) => store.remove(id, size));
    const vfs = new Vfs({ meta, store, format });
    const fs = new JuiceFS(vfs, as.ctx, as.umask === undefined ? {} : { umask: as.umask });
    return {
      fs,
      meta,
      close: async () => {
        await fs.closeAll();
        await vfs.close();
        await store.close();
        await meta.closeSession();
        await meta.shutdown();
      },
    };
  } catch (err) {
    await meta.shutdown().catch(() => undefined);
    throw err;
  }
}
