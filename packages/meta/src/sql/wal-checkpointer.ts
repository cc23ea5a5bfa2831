import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// SQLite copies its write-ahead log back into the database file in a "checkpoint", which by
// default runs inside the COMMIT that grows the log past 1000 pages: the copy and two fsyncs, on
// the connection's thread. better-sqlite3 is synchronous, so that thread is the event loop, and
// every FUSE request waits behind it: writing 128 KiB files on a journaled ext4, one commit in 80
// took 1-50 ms, and checkpoints were a fifth of each file's time (a file took 954-1059 µs with
// none, 1171-1303 µs with them). Here a thread of its own, with a connection of its own, runs
// them instead (PASSIVE: it never waits for, or blocks, a writer), and the writer's connection
// has automatic checkpoints turned off.
//
// SQLite starts the log over at the first write after a checkpoint that copied all of it. With
// commits going on while the thread copies, that moment may never come and the log would grow
// without end; so once it passes `restartFrames` with commits still coming, the thread asks the
// writer to hold its next transaction back (asynchronously: reads go on being served) while it
// runs a RESTART checkpoint, which copies the rest and starts the log over. (After a checkpoint
// that copied everything and saw no commit meanwhile, the next write starts the log over by
// itself: no need to hold it.) Running that checkpoint on the event loop instead took 40-43 ms
// there (its fsyncs on a loop-mounted ext4), for every 16 MiB of log.
//
// The thread is plain JavaScript passed as a string (as the cache writer's), loading the same
// better-sqlite3 the engine uses.
const CHECKPOINT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const state = new Int32Array(workerData.state);
const { COMMITS, STOP, RESTART, DONE, STATUS, WORKING, FAILED, RESTART_ASKED, RESTART_HOLDING } = workerData.slots;
let db;
try {
  db = new Database(workerData.filename, { fileMustExist: true });
  db.pragma('busy_timeout = 200'); // a RESTART checkpoint waits this long for readers of other processes
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
  Atomics.store(state, STATUS, FAILED);
  process.exit(1);
}
Atomics.store(state, STATUS, WORKING);
let seen = Atomics.load(state, COMMITS);
function checkpoint() {
  seen = Atomics.load(state, COMMITS);
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  Atomics.add(state, DONE, 1);
  const quiet = row.checkpointed === row.log && Atomics.load(state, COMMITS) === seen;
  if (row.busy === 0 && row.log >= workerData.restartFrames && !quiet) Atomics.compareExchange(state, RESTART, 0, RESTART_ASKED);
}
try {
  while (Atomics.load(state, STOP) === 0) {
    if (Atomics.load(state, RESTART) === RESTART_HOLDING) {
      // The writer holds its transactions back: copy the rest and start the log over.
      try {
        db.pragma('wal_checkpoint(RESTART)');
        Atomics.add(state, DONE, 1);
      } finally {
        Atomics.store(state, RESTART, 0);
        parentPort.postMessage({ restarted: true });
      }
      continue;
    }
    const now = Atomics.load(state, COMMITS);
    if (now - seen >= workerData.every) {
      checkpoint();
      continue;
    }
    // Woken when the writer reaches the next multiple of 'every', or at the idle timeout, which
    // copies what a burst of writes left.
    if (Atomics.wait(state, COMMITS, now, workerData.idleMs) === 'timed-out' && Atomics.load(state, COMMITS) !== seen) checkpoint();
  }
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
  Atomics.store(state, STATUS, FAILED);
} finally {
  db.close();
}
`;

/**
 * Slots of the shared state: commits so far, stop, the log restart (0 none, 1 asked for by the
 * thread, 2 the writer holding back), checkpoints run, and the thread's status (0 starting,
 * 1 working, 2 failed). The writer reads the status at its commits: a message would wait for the
 * event loop, which a run of transactions need not reach.
 */
const COMMITS = 0;
const STOP = 1;
const RESTART = 2;
const DONE = 3;
const STATUS = 4;
const WORKING = 1;
const FAILED = 2;
const RESTART_ASKED = 1;
const RESTART_HOLDING = 2;
/** The slots and values above, handed to the thread so that both sides use the same numbers. */
const SLOTS = { COMMITS, STOP, RESTART, DONE, STATUS, WORKING, FAILED, RESTART_ASKED, RESTART_HOLDING };
/** Longest a transaction is held back for a restart (ms): past it, the writer goes on regardless. */
const RESTART_WAIT_MS = 2000;

export interface WalCheckpointOptions {
  /** Commits between two checkpoints (a small-file create or write commits 4-8 pages). */
  every?: number;
  /**
   * Commits before the thread starts at all, so that short-lived engines (tools, most tests) never
   * start one. Few enough that it is ready before the log first reaches SQLite's 1000 pages.
   */
  startAfter?: number;
  /** After this long without `every` commits, the thread copies what there is (ms). */
  idleMs?: number;
  /** Log length (frames) at which the writer is held back while the thread starts the log over. */
  restartFrames?: number;
}

const DEFAULTS: Required<WalCheckpointOptions> = { every: 128, startAfter: 64, idleMs: 500, restartFrames: 4096 };

/** Where better-sqlite3 is, for the thread to load the very same copy. */
function betterSqlite3Path(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/**
 * Runs the checkpoints of one SQLite file on a thread of its own, for the connection `writer`
 * (see above). On the writer's thread, call `committed` after each COMMIT, and before each BEGIN
 * `restart` when `restartAsked`; `close` before closing the writer, so that its close is the last
 * and removes the log. Should the thread fail, the writer's automatic checkpoints come back on.
 */
export class WalCheckpointer {
  private readonly state = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  private readonly opts: Required<WalCheckpointOptions>;
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private active = false;
  private failed = false;
  private closed = false;
  /** Transactions held back for a log restart, resumed when the thread reports it done. */
  private restartWaiters: (() => void)[] = [];
  /** Why the thread stopped working, if it did. */
  lastError: string | undefined;
  /** Times the thread started the log over while the writer held back. */
  restarts = 0;

  constructor(
    private readonly filename: string,
    private readonly writer: { pragma(source: string, options?: { simple?: boolean }): unknown },
    options: WalCheckpointOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  /** Checkpoints the thread has run. */
  get checkpoints(): number {
    return Atomics.load(this.state, DONE);
  }

  /** Whether checkpoints run on the thread now (the writer's automatic ones are off). */
  get running(): boolean {
    return this.active;
  }

  committed(): void {
    const n = Atomics.add(this.state, COMMITS, 1) + 1;
    if (this.active) {
      if (n % this.opts.every === 0) Atomics.notify(this.state, COMMITS);
      return;
    }
    if (this.failed || this.closed) return;
    if (!this.worker) {
      if (n >= this.opts.startAfter) this.start();
      return;
    }
    const status = Atomics.load(this.state, STATUS);
    if (status === WORKING) {
      this.writer.pragma('wal_autocheckpoint = 0');
      this.active = true;
    } else if (status === FAILED) {
      this.fail('the checkpoint thread failed');
    }
  }

  /** Whether the thread asks the next transaction to wait for `restart` (checked before BEGIN). */
  get restartAsked(): boolean {
    return this.active && Atomics.load(this.state, RESTART) === RESTART_ASKED;
  }

  /**
   * Hold the writer's next transaction back while the thread starts the log over; call with no
   * transaction open (and none able to begin: under the writer's lock). Never fails: past
   * RESTART_WAIT_MS, or should the thread fail, the transaction goes on and the log stays long.
   */
  async restart(): Promise<void> {
    if (!this.restartAsked) return;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      this.restartWaiters.push(resolve);
      timer = setTimeout(resolve, RESTART_WAIT_MS);
    });
    Atomics.store(this.state, RESTART, RESTART_HOLDING);
    Atomics.notify(this.state, COMMITS);
    await done;
    clearTimeout(timer);
  }

  private restarted(): void {
    const waiters = this.restartWaiters;
    this.restartWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private start(): void {
    let module: string;
    try {
      module = betterSqlite3Path();
    } catch (err) {
      this.fail(`cannot find better-sqlite3 for the checkpoint thread: ${(err as Error).message}`);
      return;
    }
    const { every, idleMs, restartFrames } = this.opts;
    const worker = new Worker(CHECKPOINT_SOURCE, {
      eval: true,
      workerData: { module, filename: this.filename, state: this.state.buffer, slots: SLOTS, every, idleMs, restartFrames },
    });
    worker.unref(); // an idle checkpointer never keeps the process alive
    this.worker = worker;
    worker.on('message', (m: { error?: string; restarted?: boolean }) => {
      if (m.restarted) {
        this.restarts++;
        this.restarted();
      }
      if (m.error === undefined) return;
      this.lastError = m.error;
      this.fail(m.error);
    });
    worker.on('error', (err) => this.fail(err.message));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        if (!this.closed) this.fail(`checkpoint thread exited (code ${code})`);
        resolve();
      }),
    );
  }

  /** The thread is gone or broken: the writer checkpoints for itself again, as SQLite does by default. */
  private fail(reason: string): void {
    this.lastError ??= reason;
    this.failed = true;
    if (this.active && !this.closed) {
      try {
        this.writer.pragma('wal_autocheckpoint = 1000');
      } catch {
        // The writer is closing: nothing left to checkpoint for.
      }
    }
    this.active = false;
    Atomics.store(this.state, STOP, 1);
    Atomics.notify(this.state, COMMITS);
    this.restarted();
  }

  /** Stops the thread (letting a checkpoint under way finish) and waits for it to close its connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.active = false;
    Atomics.store(this.state, STOP, 1);
    Atomics.notify(this.state, COMMITS);
    this.restarted();
    if (this.exited) await this.exited;
    this.worker = undefined;
  }
}
