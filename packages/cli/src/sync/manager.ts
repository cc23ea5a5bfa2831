import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fsError } from '@juicefs/core';
import { log, logs } from '../log.js';
import { redactUrl } from '../volume.js';
import type { SharedRun, WorkSharing } from './execute.js';
import { hostOf, localAddressToward, shellQuote, sshCommand } from './ssh.js';
import type { WorkItem, WorkQueue } from './work-queue.js';
import { TOKEN_HEADER, type FetchReply, type WorkReport } from './work-report.js';

export interface ManagerOptions {
  /** `--worker` hosts, `[USER@]HOST` each. */
  workers: string[];
  /** `--manager-addr`: `HOST:PORT`, `HOST`, or `:PORT` (all interfaces); empty: found as JuiceFS does. */
  managerAddr: string;
  /** The worker's command line after the program: this sync's arguments, without --worker. */
  args: readonly string[];
  /** Environment the workers need (the META-URLs of jfs:// endpoints, passphrases). */
  env: Record<string, string>;
  /** How a worker runs this program: `node` and the script, the same paths as here. */
  program: readonly string[];
}

/** How long the manager waits for its workers to exit once the work is done. */
const EXIT_GRACE_MS = 30_000;

interface Worker {
  id: string;
  host: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The manager of a distributed sync (`--worker`): serves the data work to workers it starts on
 * other hosts over ssh, as JuiceFS's manager does, while its own threads work the same queue.
 * Workers fetch batches (GET /fetch) and report what they did every second (POST /stats); a
 * worker's unfinished items go back to the queue when its ssh session ends.
 */
export class SyncManager implements WorkSharing {
  private readonly token = randomBytes(16).toString('hex');
  private readonly workers: Worker[] = [];
  private queue: WorkQueue | undefined;
  private run: SharedRun | undefined;
  /** Fetches that arrived before the data phase began. */
  private pending: Array<() => void> = [];
  private over = false;
  /** Workers whose ssh session ended: their items were given back, so their reports are refused. */
  private readonly writtenOff = new Set<string>();
  /** Each worker's process id on its host, from its fetches: it names the worker's temporary files. */
  private readonly pids = new Map<string, number>();

  private constructor(
    private readonly server: http.Server,
    /** Where workers call back: HOST:PORT. */
    readonly address: string,
    private readonly o: ManagerOptions,
  ) {}

  /** Listen where workers can call back (see ManagerOptions.managerAddr). */
  static async start(o: ManagerOptions): Promise<SyncManager> {
    const first = hostOf(o.workers[0]!);
    const m = /^(.*?)(?::(\d+))?$/.exec(o.managerAddr.replace(/^\[(.*)\](?=:|$)/, '$1'))!;
    let host = m[1] ?? '';
    const port = m[2] === undefined ? 0 : Number(m[2]);
    const anyInterface = host === '' || host === '0.0.0.0';
    const advertised = anyInterface ? await localAddressToward(first) : host;
    let self!: SyncManager;
    const server = http.createServer((req, res) => void self.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(fsError('EINVAL', `--manager-addr: cannot listen on ${anyInterface ? '*' : host}:${port} (${err.message})`, err)));
      server.listen(port, anyInterface ? undefined : host, () => resolve());
    });
    host = advertised.includes(':') ? `[${advertised}]` : advertised;
    const address = `${host}:${(server.address() as AddressInfo).port}`;
    self = new SyncManager(server, address, o);
    log.info(`juicefs sync: manager listening at ${address} for ${o.workers.length} worker${o.workers.length === 1 ? '' : 's'}`);
    return self;
  }

  /** Start one worker on each host, over ssh. A host that cannot be reached is logged, not fatal. */
  launch(): void {
    const ssh = sshCommand();
    // Workers log only warnings, unless this run asked for a level of its own.
    const quiet = this.o.args.some((a) => ['-v', '--debug', '--verbose', '--trace', '-q', '--quiet'].includes(a)) ? [] : ['-q'];
    this.o.workers.forEach((host, i) => {
      const id = `w${i + 1}`;
      const env = { ...this.o.env, JFS_SYNC_TOKEN: this.token, JFS_SYNC_WORKER: id };
      const words = [...this.o.program, ...this.o.args, '--manager', this.address, ...quiet];
      const remote = [...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), ...words.map(shellQuote)].join(' ');
      if (logs('debug')) {
        // Shown without secrets: the token, passphrases, and passwords inside URLs.
        const shown = [
          ...Object.entries(env).map(([k, v]) => `${k}=${k === 'JFS_SYNC_TOKEN' || /PASSWORD|PASSPHRASE|SECRET/.test(k) ? '******' : shellQuote(redactUrl(v))}`),
          ...words.map((w) => shellQuote(redactUrl(w))),
        ];
        log.debug(`launching a worker on ${host}: ${[...ssh, host].join(' ')} ${shown.join(' ')}`);
      }
      const child = spawn(ssh[0]!, [...ssh.slice(1), host, remote], { stdio: ['ignore', 'pipe', 'pipe'] });
      const relay = (stream: NodeJS.ReadableStream | null) => {
        if (stream) createInterface({ input: stream }).on('line', (line) => log.warn(`[${host}] ${line}`));
      };
      relay(child.stdout);
      relay(child.stderr);
      const exited = new Promise<void>((resolve) => {
        let done = false;
        const gone = (why: string | undefined) => {
          if (done) return;
          done = true;
          if (why !== undefined) log.warn(`juicefs sync: worker ${host}: ${why}`);
          this.writtenOff.add(id);
          const back = this.queue?.reclaim(id, (items) => this.discardPartials(id, items)) ?? [];
          if (back.length > 0) log.warn(`juicefs sync: worker ${host} left ${back.length} item${back.length === 1 ? '' : 's'} unfinished: this process does them`);
          resolve();
        };
        child.once('error', (err) => gone(`cannot start ${ssh[0]} (${err.message}); set JUICEFS_SSH to the ssh command to use`));
        child.once('close', (code, signal) => gone(code === 0 ? undefined : `ssh ended with ${signal ?? `code ${code}`}; check that ${host} is reachable with ${ssh.join(' ')} and has this juicefs at ${this.o.program.join(' ')}`));
      });
      this.workers.push({ id, host, child, exited });
      log.info(`juicefs sync: launched a worker on ${host}`);
    });
  }

  /**
   * A worker that died mid-copy leaves its temporary file in DST (a Go worker's stays there):
   * remove those of the items it gave back, before they are copied again. Never fails: what
   * cannot be removed is named.
   */
  private async discardPartials(id: string, items: readonly WorkItem[]): Promise<void> {
    const pid = this.pids.get(id);
    const run = this.run;
    if (pid === undefined || run === undefined) return;
    await Promise.all(items.map((item) => run.discardPartial(item, pid).catch((err: unknown) => {
      log.warn(`juicefs sync: could not remove what worker ${this.workerHost(id)} half wrote of ${item.entry.key}: ${(err as Error).message}`);
    })));
  }

  share(queue: WorkQueue, run: SharedRun): void {
    this.queue = queue;
    this.run = run;
    // A worker that exited before the data phase held nothing; nothing to reclaim.
    this.wakeFetches();
  }

  /** The work is done: answer every fetch with nothing, wait for the workers to exit, stop listening. */
  async finish(): Promise<void> {
    this.over = true;
    this.wakeFetches();
    const timeout = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), EXIT_GRACE_MS).unref());
    for (const w of this.workers) {
      if ((await Promise.race([w.exited.then(() => 'ok' as const), timeout])) === 'late') {
        log.warn(`juicefs sync: worker ${w.host} did not exit ${EXIT_GRACE_MS / 1000} s after the work was done: stopping its ssh session`);
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive connections would hold close() open, among them a written-off worker's
    // that is still busy copying somewhere: nothing more is wanted from any of them.
    this.server.closeAllConnections();
    await closed;
  }

  private wakeFetches(): void {
    const waiting = this.pending;
    this.pending = [];
    for (const w of waiting) w();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://manager');
    const worker = url.searchParams.get('worker') ?? '';
    const reply = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': status === 200 && url.pathname === '/fetch' ? 'application/json' : 'text/plain' });
      res.end(body);
    };
    if (req.headers[TOKEN_HEADER] !== this.token) return reply(403, 'not a worker of this sync');
    // A worker still running after its ssh session ended (no terminal, so nothing stopped it):
    // its items are being done here, so it must stop rather than count them twice.
    if (this.writtenOff.has(worker)) return reply(410, 'this worker was written off when its ssh session ended; its work is done elsewhere');
    const pid = Number(url.searchParams.get('pid'));
    if (Number.isSafeInteger(pid) && pid > 0 && this.workers.some((w) => w.id === worker)) this.pids.set(worker, pid);
    if (url.pathname === '/fetch' && req.method === 'GET') {
      while (this.queue === undefined && !this.over) await new Promise<void>((resolve) => this.pending.push(resolve));
      const batch: FetchReply = this.over || this.queue === undefined ? [] : this.queue.lend(worker);
      if (logs('debug')) log.debug(`juicefs sync: sent ${batch.length} items (${batch.reduce((n, i) => n + i.entry.size, 0)} bytes) to worker ${this.workerHost(worker)}`);
      return reply(200, JSON.stringify(batch));
    }
    if (url.pathname === '/stats' && req.method === 'POST') {
      let report: WorkReport;
      try {
        report = JSON.parse(await readBody(req)) as WorkReport;
      } catch (err) {
        return reply(400, `unreadable report: ${(err as Error).message}`);
      }
      this.apply(worker, report);
      return reply(200, 'OK');
    }
    return reply(404, 'unknown request');
  }

  /** Count what a worker did into the run, and take its finished items off its account. */
  private apply(worker: string, r: WorkReport): void {
    const run = this.run;
    if (run === undefined || this.queue === undefined) return;
    for (const [k, v] of Object.entries(r.counts)) {
      const key = k as keyof typeof r.counts;
      if (typeof v === 'number' && key in run.counts) run.counts[key] += v;
    }
    const queue = this.queue;
    for (const key of r.differing) {
      const item = queue.held(worker, key);
      if (item) run.progress.markDiffering(item.entry);
    }
    for (const d of r.done) {
      const item = queue.held(worker, d.key);
      if (item) run.progress.markDone(d.kind, item.entry);
    }
    for (const key of r.finished) {
      const item = queue.settle(worker, key);
      if (item) run.finished(item);
    }
  }

  /** The host a worker id was started on, for messages. */
  private workerHost(id: string): string {
    return this.workers.find((w) => w.id === id)?.host ?? id;
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
