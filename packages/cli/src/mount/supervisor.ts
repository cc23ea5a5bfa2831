import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
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
//
// The same hand-over upgrades a mount without unmounting it: `juicefs mount -d --upgrade` on a
// mount point this supervisor serves (the same volume) asks it, over a Unix socket, to replace its
// worker with one run from the new command line (the installed juicefs, with its flags). The old worker stops
// reading requests, lets those under way finish, commits what it buffered and exits without
// closing its session; the new one resumes the connection, as after a crash.

/**
 * Set in the detached background process: run as the supervisor, of the mount point and volume
 * in this JSON (`{ mountpoint, metaUrl }`). The entry point looks for it before anything else
 * (runSupervisorIfAsked), so the supervisor loads neither the command line nor the engines.
 */
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
/** A worker's exit code after handing its connection over (EX_TEMPFAIL): start the next one. */
export const HANDED_OVER = 75;
/** Where supervisors listen for upgrade requests, one socket per mount point. */
const SOCKET_DIR = '/run/juicefs';

/** The control socket of the supervisor of `mountpoint`. */
export function supervisorSocket(mountpoint: string): string {
  return `${SOCKET_DIR}/mount-${createHash('sha256').update(mountpoint).digest('hex').slice(0, 16)}.sock`;
}

/** A command line to run a worker with: this node, its flags, and the juicefs script with its arguments. */
interface WorkerCommand {
  execPath: string;
  execArgv: string[];
  args: string[];
}

interface UpgradeRequest extends WorkerCommand {
  type: 'upgrade';
  metaUrl: string;
}

type UpgradeReply = { ok: true; pid: number } | { ok: false; error: string };

/**
 * `juicefs mount -d --upgrade` on a mount point a supervisor serves: ask it to replace its worker with one
 * run from `command`. Resolves with the new worker's pid, or undefined when no supervisor listens
 * there (a mount made otherwise, or by an older client); fails with the supervisor's reason.
 */
export async function requestUpgrade(mountpoint: string, metaUrl: string, command: WorkerCommand, timeoutMs = 120_000): Promise<number | undefined> {
  const socket = await new Promise<Socket | undefined>((resolve) => {
    const s = createConnection(supervisorSocket(mountpoint));
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
  if (socket === undefined) return undefined;
  const request: UpgradeRequest = { type: 'upgrade', metaUrl, ...command };
  socket.end(`${JSON.stringify(request)}\n`);
  const reply = await new Promise<UpgradeReply>((resolve) => {
    let text = '';
    const timer = setTimeout(() => (socket.destroy(), resolve({ ok: false, error: `no answer within ${timeoutMs / 1000} s` })), timeoutMs);
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.once('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as UpgradeReply);
      } catch {
        resolve({ ok: false, error: 'the supervisor closed the connection without an answer' });
      }
    });
  });
  if (!reply.ok) throw fsError('EBUSY', `${mountpoint} is mounted, and its supervisor refused to upgrade it: ${reply.error}`);
  return reply.pid;
}

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
/**
 * The supervisor's whole run when this process was started as one (SUPERVISE_ENV): its exit
 * code; undefined otherwise. The worker's command line is this process's own.
 */
export async function runSupervisorIfAsked(env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const target = env[SUPERVISE_ENV];
  if (target === undefined) return undefined;
  const { mountpoint, metaUrl } = JSON.parse(target) as { mountpoint: string; metaUrl: string };
  return supervise(process.argv.slice(1), mountpoint, metaUrl);
}

export async function supervise(args: readonly string[], mountpoint: string, metaUrl: string): Promise<number> {
  const fd = openDevice();
  let conn: ConnectionInfo | undefined;
  let sid: number | undefined;
  let stopping = false;
  let current: ReturnType<typeof spawn> | undefined;
  const restarts: number[] = [];
  let command: WorkerCommand = { execPath: process.execPath, execArgv: [...process.execArgv], args: [...args] };
  /** The command line of the last worker that served: what an upgrade that fails goes back to. */
  let served = command;
  /** An upgrade under way: the next worker's command, and who waits for its pid. */
  const pending: { upgrade?: { command: WorkerCommand; answer: (reply: UpgradeReply) => void } | undefined } = {};
  // Read through a function: TypeScript would keep the narrowing of the last assignment across awaits.
  const askedUpgrade = () => pending.upgrade;
  const control = await listenForUpgrades(mountpoint, (req, answer) => {
    if (req.metaUrl !== metaUrl) return answer({ ok: false, error: `it serves another volume (${metaUrl.replace(/:[^:@/]*@/, ':****@')})` });
    if (pending.upgrade !== undefined || current === undefined || conn === undefined) return answer({ ok: false, error: 'it is starting, stopping or upgrading already; try again' });
    pending.upgrade = { command: { execPath: req.execPath, execArgv: req.execArgv, args: req.args }, answer };
    current.send({ type: 'handover' });
  });
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
      const worker = spawn(command.execPath, [...command.execArgv, ...command.args], { stdio: ['ignore', 'inherit', 'inherit', fd, 'ipc'], env });
      current = worker;
      const upgrading = once(askedUpgrade()?.answer);
      pending.upgrade = undefined;
      let serving = false;
      worker.on('message', (m: { type?: string; conn?: ConnectionInfo; sid?: number }) => {
        if (m.type === 'connected' && m.conn !== undefined) {
          conn = m.conn;
          serving = true;
          served = command;
          upgrading({ ok: true, pid: worker.pid ?? 0 });
        }
        if (m.type === 'session' && m.sid !== undefined) sid = m.sid;
      });
      if (generation > 0) log.info(`juicefs: mount worker ${worker.pid} serves ${mountpoint} again (${upgrading === NO_ANSWER ? `restart ${generation}` : 'upgrade'})`);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => worker.once('exit', (c, s) => resolve([c, s])));
      current = undefined;
      if (!serving && upgrading !== NO_ANSWER) {
        // The new command line does not serve (a broken install, a bad flag): back to the last one that did.
        upgrading({ ok: false, error: `the new worker ${how(code, signal)} before serving (its log has why); the previous command line serves again` });
        command = served;
        log.warn(`juicefs: the upgraded worker ${worker.pid} ${how(code, signal)} before serving; going back to the previous command line`);
        continue;
      }
      // Handed over for an upgrade: the next worker runs the new command line.
      const asked = askedUpgrade();
      if (code === HANDED_OVER && asked !== undefined && !stopping) {
        command = asked.command;
        log.info(`juicefs: mount worker ${worker.pid} handed ${mountpoint} over for an upgrade`);
        continue;
      }
      asked?.answer({ ok: false, error: `the worker ${how(code, signal)} instead of handing over` });
      pending.upgrade = undefined;
      // Unmounted (or asked to stop): the worker is done, and so is this process.
      if (code === 0 || stopping) return code ?? 0;
      if (conn === undefined) return code ?? 1; // it never mounted: nothing to take over
      if (!(await isMountPoint(mountpoint))) {
        log.warn(`juicefs: mount worker ${worker.pid} ${how(code, signal)}, and ${mountpoint} is no longer mounted`);
        return code ?? 1;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        log.error(`juicefs: mount worker ${worker.pid} ${how(code, signal)}; ${restarts.length} restarts within a minute, giving up: ${mountpoint} fails with ENOTCONN until unmounted (juicefs umount --force ${mountpoint})`);
        return code ?? 1;
      }
      log.warn(`juicefs: mount worker ${worker.pid} ${how(code, signal)}; starting another on the same connection`);
    }
  } finally {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, forward);
    process.off('SIGHUP', ignore);
    await control?.close();
    closeSync(fd);
  }
}

const NO_ANSWER = (): void => undefined;

/** `answer`, at most once (NO_ANSWER without one). */
function once(answer: ((reply: UpgradeReply) => void) | undefined): (reply: UpgradeReply) => void {
  if (answer === undefined) return NO_ANSWER;
  let done = false;
  return (reply) => {
    if (done) return;
    done = true;
    answer!(reply);
  };
}

function how(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with ${code}`;
}

/**
 * Listen on the mount point's control socket for upgrade requests (one JSON line each, answered
 * with one). Undefined when the socket cannot be made (the supervisor runs on without upgrades).
 */
async function listenForUpgrades(
  mountpoint: string,
  onRequest: (req: UpgradeRequest, answer: (reply: UpgradeReply) => void) => void,
): Promise<{ close(): Promise<void> } | undefined> {
  const path = supervisorSocket(mountpoint);
  try {
    mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o700 });
    rmSync(path, { force: true }); // left by a supervisor that was killed
  } catch (e) {
    log.warn(`juicefs: no upgrade socket for ${mountpoint} (${(e as Error).message}): mounting again will not upgrade it`);
    return undefined;
  }
  // Half-open: the requester ends its side after the request, and the answer comes later.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const line = text.indexOf('\n');
      if (line < 0) return;
      let req: UpgradeRequest;
      try {
        req = JSON.parse(text.slice(0, line)) as UpgradeRequest;
      } catch {
        socket.end(`${JSON.stringify({ ok: false, error: 'unreadable request' })}\n`);
        return;
      }
      if (req.type !== 'upgrade') {
        socket.end(`${JSON.stringify({ ok: false, error: `unknown request ${String(req.type)}` })}\n`);
        return;
      }
      onRequest(req, (reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  server.unref(); // never what keeps the supervisor alive
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(path, () => resolve(true));
  });
  if (!listening) return undefined;
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}
