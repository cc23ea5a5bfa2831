import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import { rawArgs } from '../args.js';
import { checkMountPoint, findFusermountTools, isMountPoint, spawnThroughFusermount, type MountOptions } from '@juicefs/fuse';
import { readFormat } from '../volume.js';
import { withEngine } from '../wiring.js';
import { log } from '../log.js';

// `juicefs mount` without root: this process cannot mount, so it starts the serving process (this
// same command line, without -d) through @juicefs/fuse's fusermount3 helper, which mounts and
// execs the server with the mounted /dev/fuse descriptor. The server finds it with
// takeInheritedFuseFd() and only serves it.

export interface FusermountMountRequest {
  metaUrl: string;
  mountpoint: string;
  readOnly: boolean;
  defaultPermissions: boolean;
  extraOptions: string[];
}

/** The mount options fusermount3 gets: the same fsname (JuiceFS:<volume>) and flags the server would use with mount(8). */
async function mountOptionsFor(r: FusermountMountRequest): Promise<MountOptions> {
  // The volume name is in the format record; reading it here also fails early, before anything
  // is mounted, on a wrong META-URL or an unformatted database.
  const { Name: name } = await withEngine(r.metaUrl, (store) => readFormat(store, r.metaUrl));
  return { fsname: `JuiceFS:${name}`, subtype: 'juicefs', readOnly: r.readOnly, defaultPermissions: r.defaultPermissions, extraOptions: r.extraOptions };
}

/** This command line again (node, its flags, the script), minus -d, for the serving process. */
function serverArgs(): string[] {
  // The command line run() was given (under mount.juicefs, the one its options stand for).
  const args = [process.argv[1] ?? '', ...rawArgs().filter((x) => x !== '-d' && x !== '--background' && x !== '--background=true')];
  return [...process.execArgv, ...args];
}

async function launch(r: FusermountMountRequest, stdio: 'inherit' | ['ignore', number, number]): Promise<ChildProcess> {
  const mountpoint = await checkMountPoint(r.mountpoint);
  const tools = findFusermountTools();
  const options = await mountOptionsFor(r);
  // detached: the server gets its own process group, so a Ctrl-C reaches it once (forwarded by
  // us in the foreground), not twice.
  return spawnThroughFusermount({ mountpoint, options, command: process.execPath, args: serverArgs(), stdio, detached: true, tools });
}

/**
 * Foreground: start the server through fusermount3, pass SIGINT/SIGTERM/SIGHUP on to it, and
 * resolve when it exits; a failure (exit code or signal) is thrown after the server's own message.
 */
export async function mountForegroundThroughFusermount(r: FusermountMountRequest): Promise<void> {
  const child = await launch(r, 'inherit');
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]));
    child.once('error', (e) => {
      log.error(`juicefs: cannot start the fusermount3 helper: ${e.message}`);
      resolve([127, null]);
    });
  });
  for (const s of signals) process.off(s, forward);
  if (code !== 0) {
    throw fsError('EIO', `the server of ${r.mountpoint} ${signal !== null ? `was killed by ${signal}` : `exited with code ${code}`} (its messages are above)`);
  }
}

/**
 * Background (-d): start the server through fusermount3, detached, logging to `logFile`; return once
 * the mount answers. fusermount3 mounts before the server runs, so being a mount point is not
 * enough: a stat of the root waits until the server has completed INIT and answered it.
 */
export async function mountBackgroundThroughFusermount(r: FusermountMountRequest, logFile: string): Promise<void> {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = await launch(r, ['ignore', fd, fd]);
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exited = code;
      resolve();
    });
    child.once('error', () => {
      exited = 127;
      resolve();
    });
  });
  const deadline = Date.now() + 30_000;
  while (exited === undefined && Date.now() < deadline) {
    if (await isMountPoint(r.mountpoint)) {
      const timeLeft = new Promise<boolean>((res) => setTimeout(() => res(false), Math.max(0, deadline - Date.now())).unref());
      const answered = await Promise.race([stat(r.mountpoint).then(() => true, () => false), gone.then(() => false), timeLeft]);
      if (answered && exited === undefined && (await isMountPoint(r.mountpoint))) {
        child.unref();
        log.info(`mounted at ${r.mountpoint} in the background through fusermount3 (pid ${child.pid}, log ${logFile})`);
        return;
      }
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-6).join('\n');
  // Killing the server closes the helper's watchdog pipe, which unmounts what fusermount3 mounted.
  if (exited === undefined) child.kill();
  throw fsError('EIO', `the background mount of ${r.mountpoint} did not come up; the end of ${logFile}:\n${tail}`);
}
