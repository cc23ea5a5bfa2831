#!/usr/bin/env -S node --initial-heap-size=256
// The node flags above are part of the command (scripts/juicefs and the FUSE bench read them from
// this line). --initial-heap-size: with V8's default small starting heap, a mount streaming 4 MiB
// blocks ran a full garbage collection every ~100 ms, 40% of a 1 GiB read in the bench profile;
// starting at 256 MiB, those collections wait until the heap has actually grown. Short commands
// cost nothing more (the heap is reserved, not committed).
import * as path from 'node:path';
import { run } from '../main.js';
import { logLine } from '../log.js';

/**
 * The command line to run: ours, or, when mount(8) runs this as mount.juicefs for an fstab entry,
 * the `juicefs mount -d` its options stand for (undefined: mount(8)'s -f, nothing to do). The
 * mount command's module is loaded only then (main.ts loads only the command a line names).
 */
async function commandLine(): Promise<string[] | undefined> {
  const asHelper = process.env['JFS_MOUNT_HELPER'] === '1' || path.basename(process.argv[1] ?? '') === 'mount.juicefs';
  // The background mount it starts is a plain juicefs again.
  delete process.env['JFS_MOUNT_HELPER'];
  if (!asHelper) return process.argv.slice(2);
  const [{ MOUNT_FLAGS }, { mountHelperArgs }] = await Promise.all([import('../commands/mount.js'), import('../mount/fstab.js')]);
  return mountHelperArgs(process.argv.slice(2), MOUNT_FLAGS);
}

// A reader that goes away (juicefs info ... | head) is no error of ours: end quietly, as the Go
// command does when SIGPIPE kills it (the shell sees 128 + 13), not with an unhandled EPIPE trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

/**
 * What this process does: supervise a root background mount, when started as its supervisor
 * (`JFS_MOUNT_SUPERVISE`, mount/supervisor.ts; named here, not imported, so that no other
 * command loads that module), which needs none of the commands; otherwise the command line.
 */
async function main(): Promise<number | undefined> {
  if (process.env['JFS_MOUNT_SUPERVISE'] !== undefined) return (await import('../mount/supervisor.js')).runSupervisorIfAsked();
  const args = await commandLine();
  return args === undefined ? 0 : run(args);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // The command's last word: `juicefs: ` on a terminal, a stamped ERROR line in a log file.
    process.stderr.write(logLine('error', `juicefs: ${(err as Error).message}`));
    process.exitCode = 1;
  },
);
