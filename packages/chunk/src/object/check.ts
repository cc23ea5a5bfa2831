import { randomBytes } from 'node:crypto';
import { fsError, type ObjectStorage } from '@juicefs/core';

/** The message of a thrown value, without the "EIO: " an FsError puts first (ours adds its own). */
function messageOf(err: unknown): string {
  const m = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message
    : String(err);
  return m.replace(/^E[A-Z]+: /, '');
}

/**
 * `--check-storage`: writes, reads back and deletes a small random object under `testing/`, as
 * JuiceFS's mount does before serving (cmd/format.go `test`), so a bucket that cannot be used
 * fails the mount instead of failing the first write with EIO. A failed delete only warns there
 * (some keys may not delete); here too it is reported through `warn` and the check passes.
 */
export async function checkStorage(
  storage: ObjectStorage,
  warn: (message: string) => void = () => undefined,
  /** What asked for the check, first in its messages. */
  label = '--check-storage',
): Promise<void> {
  const key = `testing/${randomBytes(5).toString('hex')}`;
  const data = randomBytes(100);
  const step = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw fsError('EIO', `${label}: cannot ${what} a test object in ${storage.description}: ${messageOf(err)}`, err);
    }
  };
  await step('put', () => storage.put(key, data));
  const back = await step('get', () => storage.get(key));
  if (!back.equals(data)) throw fsError('EIO', `${label}: ${key} read back from ${storage.description} is not what was put`);
  try {
    await storage.delete(key);
  } catch (err) {
    warn(`delete ${key} on ${storage.description} failed: ${messageOf(err)}; the storage is usable, but the object stays`);
  }
}
