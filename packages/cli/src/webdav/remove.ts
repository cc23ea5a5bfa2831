import { NodeType, type JuiceFS } from '@juicefs/core';

/** At most `n` of the calls given to it run at once. */
function limiter(n: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await call();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Remove a file, or a directory with everything in it (what `--threads` sizes: JuiceFS's server
 * removes trees with that many workers). Entries go to the trash when the volume keeps one, as
 * any unlink does. The first failure is thrown once the removals under way have ended.
 */
export async function removeTree(fs: JuiceFS, vpath: string, threads: number): Promise<void> {
  const st = await fs.lstat(vpath);
  if (!st.isDirectory()) return fs.unlink(vpath);
  const run = limiter(Math.max(1, threads));
  const dir = async (path: string): Promise<void> => {
    const entries = await run(() => fs.readdirEntries(path));
    const results = await Promise.allSettled(entries.map((e) => (e.type === NodeType.Directory ? dir(`${path}/${e.name}`) : run(() => fs.unlink(`${path}/${e.name}`)))));
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    await run(() => fs.rmdir(path));
  };
  await dir(vpath.replace(/\/+$/, '') || '/');
}
