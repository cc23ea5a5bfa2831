// A separate process that mounts a test file system and unmounts on SIGTERM/SIGINT, so tests
// can signal it without signalling jest, and so suites that spawn tools from the main thread
// never wait on their own process. Prints "mounted <path>" once the mount is usable.
// Usage: mount-child <mountpoint> [memfs|vfs]
import { mount, VfsFuseHandler, type FuseHandler } from '../../src/index.js';
import { MemFsHandler } from './memfs-handler.js';
import { memoryVfs } from './vfs-volume.js';

async function main(): Promise<void> {
  const mp = process.argv[2];
  const kind = process.argv[3] ?? 'memfs';
  if (mp === undefined) throw new Error('usage: mount-child <mountpoint> [memfs|vfs]');
  const handler: FuseHandler = kind === 'vfs' ? new VfsFuseHandler(await memoryVfs()) : new MemFsHandler();
  const m = await mount(mp, handler, { handleSignals: true, fsname: `${kind}-child`, subtype: kind });
  process.stdout.write(`mounted ${m.mountpoint}\n`);
  const reason = await m.closed;
  process.stdout.write(`closed ${reason}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
