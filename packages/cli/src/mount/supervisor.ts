import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fsError } from '@juicefs/core';
import { isMountPoint, type ConnectionInfo } from '@juicefs/fuse';
import { log } from '../log.js';

// A background mount runs as two processes, as JuiceFS's does: a supervisor that holds the
// /dev/fuse connection and a worker that serves it. When the worker dies without unmounting (a
// crash, the OOM killer, SIGKILL), the supervisor starts another on the same connection: the mount
// point never goes away, requests the dead worker had read are sent to the new one
// (FUSE_NOTIFY_RESEND), and files open across the restart go on being read and written (the new
// worker opens them again when the kernel names their old handles), and the new worker carries on
// the dead one's metadata session, so the locks its callers hold and the files they keep open after
// unlinking them stay theirs. Data the dead worker still buffered is lost, as with any crash; the
// metadata stays consistent (every change is a transaction). An unmount (juicefs umount,
// umount(8), SIGINT/SIGTERM to either process) ends both.

/** Set in the detached background process: run as the supervisor. */
export const SUPERVISE_ENV = 'JFS_MOUNT_SUPERVISE';
/** Set in a worker, to JSON of WorkerSetup. */
const WORKER_ENV = 'JFS_MOUNT_WORKER';
/** The worker's descriptor of the supervisor's /dev/fuse (its stdio slot 3). */
const WORKER_FUSE_FD = 3;
/** Handle numbers of each worker start this far above the previous one's. */
const HANDLES_PER_WORKER = 2 ** 32;
/** More restarts than this within RESTART_WINDOW_MS and the supervisor gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

interface WorkerSetup {
  /** 0 for the first worker, then one more per restart. */
  generation: number;
  /** What the first worker negotiated at INIT; absent for the first worker, which does the INIT. */
  resume?: ConnectionInfo;
  /** The metadata session the previous worker registered, to carry on. */
  sid?: number;
}

/** How a worker serves its supervisor's connection; undefined when this process is no worker. */
export interface WorkerServing {
  /** The first worker: mount this open, unmounted descriptor (and answer INIT). */
  deviceFd?: number;
  /** A restarted worker: serve this mounted descriptor, resuming `resume`. */
  mountedFd?: number;
  resume?: ConnectionInfo;
  /** First handle number of this worker (VFS), and below it the earlier workers' (FUSE adapter). */
  handlesFrom: number;
  /** The metadata session to carry on (a restarted worker). */
  sid?: number;
}

export function workerServing(): WorkerServing | undefined {
  const raw = process.env[WORKER_ENV];
  if (raw === undefined || raw === '') return undefined;
  delete process.env[WORKER_ENV]; // not inherited by what this worker runs
  // The channel to the supervisor must not keep this process alive once its mount is gone.
  process.channel?.unref();
  const setup = JSON.parse(raw) as WorkerSetup;
  const handlesFrom = setup.generation * HANDLES_PER_WORKER;
  if (setup.resume === undefined) return { deviceFd: WORKER_FUSE_FD, handlesFrom };
  return { mountedFd: WORKER_FUSE_FD, resume: setup.resume, handlesFrom, ...(setup.sid !== undefined ? { sid: setup.sid } : {}) };
}

/** In a worker: tell the supervisor the metadata session, which a restarted worker carries on. */
export function reportSession(sid: number): void {
  if (sid > 0 && process.send) process.send({ type: 'session', sid });
}

/** In a worker: tell the supervisor what INIT negotiated, which a restarted worker resumes. */
export function reportConnection(conn: ConnectionInfo | undefined): void {
  if (conn !== undefined && process.send) process.send({ type: 'connected', conn });
}

function openDevice(): number {
  try {
    return openSync('/dev/fuse', 'r+');
  } catch (e) {
    throw fsError('ENODEV', `cannot open /dev/fuse (${(e as Error).message}): load the fuse module, and mount as root`, e);
  }
}

/**
 * Run `args` (this mount command line) as worker processes on one /dev/fuse connection until the
 * mount ends; resolves with the exit code for this process.
 */
export async function supervise(args: readonly string[], mountpoint: string): Promise<number> {
  const fd = openDevice();
  let conn: ConnectionInfo | undefined;
  let sid: number | undefined;
  let stopping = false;
  let current: ReturnType<typeof spawn> | undefined;
  const restarts: number[] = [];
  const forward = (signal: NodeJS.Signals) => {
    stopping = true;
    current?.kill(signal);
  };
  // SIGINT/SIGTERM unmount (the worker's handlers do it); a stray SIGHUP must not take the
  // connection down with this process.
  const ignore = () => undefined;
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, forward);
  process.on('SIGHUP', ignore);
  try {
    for (let generation = 0; ; generation++) {
      const setup: WorkerSetup = { generation, ...(conn !== undefined ? { resume: conn } : {}), ...(sid !== undefined ? { sid } : {}) };
      const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_ENV]: JSON.stringify(setup) };
      delete env[SUPERVISE_ENV];
      const worker = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'inherit', 'inherit', fd, 'ipc'], env });
      current = worker;
      worker.on('message', (m: { type?: string; conn?: ConnectionInfo; sid?: number }) => {
        if (m.type === 'connected' && m.conn !== undefined) conn = m.conn;
        if (m.type === 'session' && m.sid !== undefined) sid = m.sid;
      });
      if (generation > 0) log.info(`juicefs: mount worker ${worker.pid} serves ${mountpoint} again (restart ${generation})`);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => worker.once('exit', (c, s) => resolve([c, s])));
      current = undefined;
      // Unmounted (or asked to stop): the worker is done, and so is this process.
      if (code === 0 || stopping) return code ?? 0;
      if (conn === undefined) return code ?? 1; // it never mounted: nothing to take over
      const how = signal !== null ? `was killed by ${signal}` : `exited with ${code}`;
      if (!(await isMountPoint(mountpoint))) {
        log.warn(`juicefs: mount worker ${worker.pid} ${how}, and ${mountpoint} is no longer mounted`);
        return code ?? 1;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        log.error(`juicefs: mount worker ${worker.pid} ${how}; ${restarts.length} restarts within a minute, giving up: ${mountpoint} fails with ENOTCONN until unmounted (juicefs umount --force ${mountpoint})`);
        return code ?? 1;
      }
      log.warn(`juicefs: mount worker ${worker.pid} ${how}; starting another on the same connection`);
    }
  } finally {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, forward);
    process.off('SIGHUP', ignore);
    closeSync(fd);
  }
}
