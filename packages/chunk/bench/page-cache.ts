import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Flushes dirty pages and drops the kernel's page cache, so the next read comes from disk.
 * False when this process may not (not root, or a container with /proc/sys read-only).
 */
export async function dropPageCache(): Promise<boolean> {
  try {
    await promisify(execFile)('sync');
    await fsp.writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}
