import { mount } from '../packages/fuse/src/index.js';
import { MemFsHandler } from '../packages/fuse/test/helpers/memfs-handler.js';

// `@juicefs/fuse` serving the in-memory handler of its tests, for bench/round-trip.ts: our FUSE
// session with next to no work behind it. Xattrs are off as in `juicefs mount` (ENOSYS), so the
// kernel does not ask for security.capability before every WRITE. Runs from the TypeScript
// sources (SWC's CommonJS), a little slower than the built package.
// Usage: node bench/run-ts.cjs bench/memory-server.ts MOUNTPOINT

async function main(): Promise<void> {
  const mp = process.argv[2];
  if (mp === undefined) throw new Error('usage: memory-server.ts MOUNTPOINT');
  const m = await mount(mp, new MemFsHandler(), { handleSignals: true, fsname: 'memory', subtype: 'memory', disableXattrs: true });
  await m.closed;
}

main().catch((e: unknown) => {
  process.stderr.write(`memory-server: ${String(e)}\n`);
  process.exit(1);
});
