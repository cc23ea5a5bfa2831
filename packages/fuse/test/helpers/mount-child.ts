// A separate process that mounts the in-memory handler and unmounts on SIGTERM/SIGINT, so tests
// can signal it without signalling jest. Prints "mounted <path>" once the mount is usable.
import { mount } from '../../src/index.js';
import { MemFsHandler } from './memfs-handler.js';

async function main(): Promise<void> {
  const mp = process.argv[2];
  if (mp === undefined) throw new Error('usage: mount-child <mountpoint>');
  const m = await mount(mp, new MemFsHandler(), { handleSignals: true, fsname: 'memfs-child', subtype: 'memfs' });
  process.stdout.write(`mounted ${m.mountpoint}\n`);
  const reason = await m.closed;
  process.stdout.write(`closed ${reason}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
