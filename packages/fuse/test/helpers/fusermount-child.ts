// A process that serves an in-memory file system on a mount made by fusermount3: started through
// spawnThroughFusermount (fusermount.test.ts), it finds the mounted /dev/fuse descriptor as its
// fd 3 and serves it until unmounted (SIGTERM/SIGINT unmount it). Started without the helper, it
// calls mount() with no descriptor, which as non-root must fail: it then prints the error as JSON
// on stderr and exits 1. Prints "mounted <path>" once the mount is usable.
// Usage: fusermount-child <mountpoint>
import { mount, takeInheritedFuseFd } from '../../src/index.js';
import { MemFsHandler } from './memfs-handler.js';

async function main(): Promise<void> {
  const mp = process.argv[2];
  if (mp === undefined) throw new Error('usage: fusermount-child <mountpoint>');
  const mountedFd = takeInheritedFuseFd();
  const m = await mount(mp, new MemFsHandler(), {
    handleSignals: true, fsname: 'memfs-fusermount', subtype: 'memfs', log: () => {},
    ...(mountedFd !== undefined ? { mountedFd } : {}),
  });
  process.stdout.write(`mounted ${m.mountpoint} fd=${mountedFd ?? 'none'}\n`);
  const reason = await m.closed;
  process.stdout.write(`closed ${reason}\n`);
}

main().catch((e: unknown) => {
  const err = e as { code?: string; message?: string };
  process.stderr.write(`${JSON.stringify({ code: err.code, message: err.message ?? String(e) })}\n`);
  process.exit(1);
});
