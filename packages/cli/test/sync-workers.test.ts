import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseWorkers, shellQuote, sshCommand } from '../src/sync/ssh.js';
import { JfsTree } from '../src/sync/jfs-tree.js';
import { LocalTree } from '../src/sync/local-tree.js';
import { temporaryName } from '../src/sync/tree.js';
import { BATCH_ITEMS, WorkQueue, type WorkItem } from '../src/sync/work-queue.js';
import { openVolumeFs } from '../src/volume-fs.js';
import { mustFormat } from './tools-volume.js';

// `juicefs sync --worker HOSTS`: the distributed sync. The manager lists and plans, then shares
// the copies with workers it starts over ssh; here they log in to a real OpenSSH server on
// loopback (scripts/services/sshd.sh), whose client config $JUICEFS_SSH passes as `ssh -F`.

const bin = path.resolve(__dirname, '../dist/bin/juicefs.js');
const SSH_CONFIG = process.env['JFS_TEST_SSH_CONFIG'] ?? '/tmp/juicefs-services/sshd/ssh_config';
const SSH = `ssh -F ${SSH_CONFIG}`;

const item = (key: string, size = 1, kind: WorkItem['kind'] = 'copy'): WorkItem => ({ kind, entry: { key, size, mtime: 0, isDir: false } });

describe('sync workers: the shared queue', () => {
  it('lends batches of at most 100 items or 400 MiB, and a worker that goes gives back what it did not finish', async () => {
    const q = new WorkQueue([...Array.from({ length: 150 }, (_, i) => item(`f${i}`)), item('big1', 300 << 20), item('big2', 300 << 20), item('last')]);
    const first = q.lend('w1');
    const second = q.lend('w2');
    expect({ first: first.length, second: second.map((i) => i.entry.key), waiting: q.waiting }).toEqual({
      first: BATCH_ITEMS,
      second: [...Array.from({ length: 50 }, (_, i) => `f${100 + i}`), 'big1', 'big2'], // 400 MiB reached after big2
      waiting: 1,
    });
    expect((await q.take())?.entry.key).toBe('last');
    // Nothing waits locally, but workers hold items: a local taker waits for them.
    let got: WorkItem | undefined | 'pending' = 'pending';
    const taking = q.take().then((i) => (got = i));
    for (const i of first.slice(0, 99)) expect(q.settle('w1', i.entry.key)).toBe(i);
    expect(q.settle('w1', 'f0')).toBeUndefined(); // settled already
    expect(q.reclaim('w1').map((i) => i.entry.key)).toEqual(['f99']); // f99 comes back
    await taking;
    expect(got).toEqual(item('f99'));
    const rest = q.take();
    for (const i of second) q.settle('w2', i.entry.key);
    expect({ rest: await rest, outstanding: q.outstanding, reclaimed: q.reclaim('w2') }).toEqual({ rest: undefined, outstanding: 0, reclaimed: [] });
  });

  it('items given back with a cleanup stay outstanding until it settles, and only then are taken again', async () => {
    const q = new WorkQueue([item('a'), item('b')]);
    q.lend('w1');
    let finishCleanup!: () => void;
    const cleaned: string[][] = [];
    const back = q.reclaim('w1', (items) => {
      cleaned.push(items.map((i) => i.entry.key));
      return new Promise<void>((resolve) => (finishCleanup = resolve));
    });
    let got: WorkItem | undefined | 'pending' = 'pending';
    const taking = q.take().then((i) => (got = i));
    await new Promise((resolve) => setImmediate(resolve));
    expect({ back: back.map((i) => i.entry.key), cleaned, got, outstanding: q.outstanding, waiting: q.waiting }).toEqual({
      back: ['a', 'b'],
      cleaned: [['a', 'b']],
      got: 'pending',
      outstanding: 2,
      waiting: 0,
    });
    finishCleanup();
    await taking;
    expect({ got, next: (await q.take())?.entry.key, outstanding: q.outstanding, after: await q.take() }).toEqual({ got: item('a'), next: 'b', outstanding: 0, after: undefined });
    // A cleanup that fails gives the items back all the same.
    const q2 = new WorkQueue([item('c')]);
    q2.lend('w1');
    q2.reclaim('w1', () => Promise.reject(new Error('no')));
    expect((await q2.take())?.entry.key).toBe('c');
  });

  it('a closed queue hands out nothing more', async () => {
    const q = new WorkQueue([item('a'), item('b')]);
    q.lend('w1');
    const taking = q.take();
    q.close();
    expect({ taken: await taking, lent: q.lend('w2') }).toEqual({ taken: undefined, lent: [] });
  });
});

describe("sync workers: removing a dead worker's temporary file", () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sync-temp-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('local directories and volumes remove only that process\'s temporary file of that key', async () => {
    expect(temporaryName('/d/sub/a.txt', 42)).toBe('/d/sub/.a.txt.jfssync42');
    const local = path.join(work, 'local');
    fs.mkdirSync(path.join(local, 'sub'), { recursive: true });
    for (const n of ['.a.jfssync42', '.a.jfssync43', 'a']) fs.writeFileSync(path.join(local, 'sub', n), n);
    const lt = new LocalTree(local);
    await lt.removeTemporary('sub/a', 42);
    await lt.removeTemporary('sub/a', 42); // gone already: nothing to do
    await lt.removeTemporary('missing/b', 42);

    const meta = `sqlite3://${work}/meta.db`;
    mustFormat(meta, 'tempvol', path.join(work, 'bucket'), '--trash-days', '0');
    const v = await openVolumeFs(meta);
    try {
      await v.fs.mkdir('/in/sub', { recursive: true });
      for (const n of ['.a.jfssync42', '.a.jfssync43', 'a']) await v.fs.writeFile(`/in/sub/${n}`, n);
    } finally {
      await v.close();
    }
    const jt = await JfsTree.open(meta, '/in', 'jfs://tempvol/in');
    try {
      await jt.removeTemporary('sub/a', 42);
      await jt.removeTemporary('sub/a', 42);
    } finally {
      await jt.close();
    }
    const after = await openVolumeFs(meta);
    try {
      expect({ local: fs.readdirSync(path.join(local, 'sub')).sort(), volume: (await after.fs.readdir('/in/sub')).sort() }).toEqual({
        local: ['.a.jfssync43', 'a'],
        volume: ['.a.jfssync43', 'a'],
      });
    } finally {
      await after.close();
    }
  });
});

describe('sync workers: ssh', () => {
  it('quotes words for the remote shell so that they arrive as they were', () => {
    const words = ['plain', 'with space', "it's", '$HOME', 'a"b', '*', '', 'jfs://NAME/dir', 'x;rm -rf /'];
    const r = spawnSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(words);
  });

  it('--worker takes hosts repeated or comma-separated; $JUICEFS_SSH names the ssh command', () => {
    expect(parseWorkers(['a,b', ' root@c ', ''])).toEqual(['a', 'b', 'root@c']);
    expect(() => parseWorkers(['-oProxyCommand=x'])).toThrow('--worker -oProxyCommand=x: not a host');
    expect(sshCommand({})).toEqual(['ssh']);
    expect(sshCommand({ JUICEFS_SSH: ' ssh  -p 2222 ' })).toEqual(['ssh', '-p', '2222']);
  });
});

describe('sync workers: end to end over a real ssh server', () => {
  let work: string;
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sync-workers-'));
    const probe = spawnSync('ssh', ['-F', SSH_CONFIG, 'localhost', 'true'], { encoding: 'utf8', timeout: 20000 });
    if (probe.status !== 0) throw new Error(`the test ssh server does not answer (${probe.stderr.trim()}): run scripts/services/all.sh`);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** A source tree of `n` files of `size` random bytes under two directories. */
  function source(name: string, n: number, size: number): string {
    const root = path.join(work, name);
    for (let i = 0; i < n; i++) {
      const p = path.join(root, i % 2 === 0 ? 'even' : 'odd', `f${i}`);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, randomBytes(size));
    }
    return root;
  }

  /** Relative path -> content of every file below `root` (only the names with `namesOnly`; a missing root is empty). */
  function tree(root: string, namesOnly = false): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.set(path.relative(root, p), namesOnly ? '' : fs.readFileSync(p).toString('base64'));
      }
    };
    if (fs.existsSync(root)) walk(root);
    return out;
  }

  /** Run the sync; `whileRunning` sees stderr as it comes and may act on it. */
  function sync(env: Record<string, string>, args: string[], whileRunning?: (stderr: string) => void): Promise<{ code: number; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, 'sync', ...args], { cwd: work, env: { ...process.env, JUICEFS_SSH: SSH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        whileRunning?.(err);
      });
      child.on('close', (code) => resolve({ code: code ?? -1, err }));
    });
  }
  const closing = (err: string) => err.split('\n').find((l) => l.startsWith('found:'));
  const sentToWorkers = (err: string) => [...err.matchAll(/sent (\d+) items \(\d+ bytes\) to worker (\S+)/g)].reduce((n, m) => n + Number(m[1]), 0);

  it('two workers started over ssh take batches of the copies; every file arrives once and the counts add up', async () => {
    const src = source('src-a', 120, 32 * 1024);
    const dst = path.join(work, 'dst-a');
    // --bwlimit keeps each process slow enough that the workers, which start in about a second
    // (more on a loaded machine), find work left: the manager copies too, with its own threads.
    // Alone it would take about 9 s.
    // Relative paths: the workers start in their home directory, so they are given absolute ones.
    const r = await sync({}, ['src-a/', 'dst-a/', '--worker', 'localhost,127.0.0.1', '--threads', '2', '--bwlimit', '4', '--debug']);
    expect({ code: r.code, closing: closing(r.err), same: tree(dst).size === 120 && JSON.stringify([...tree(dst)].sort()) === JSON.stringify([...tree(src)].sort()) }).toEqual({
      code: 0,
      closing: 'found: 122, copied: 120 (3.8 MiB), skipped: 2, deleted: 0, failed: 0',
      same: true,
    });
    expect(r.err).toContain('juicefs sync: launched a worker on localhost');
    expect(r.err).toContain('juicefs sync: launched a worker on 127.0.0.1');
    expect(r.err).toMatch(/juicefs sync: manager listening at 127\.0\.0\.1:\d+ for 2 workers/);
    // The workers' own account of what they copied, relayed by the manager, adds up to what it sent them.
    const workerCopied = [...r.err.matchAll(/\[(?:localhost|127\.0\.0\.1)\] juicefs \[debug\]: juicefs sync worker: copied (\d+)/g)].map((m) => Number(m[1]));
    expect(workerCopied).toHaveLength(2);
    expect(sentToWorkers(r.err)).toBeGreaterThan(0);
    expect(workerCopied.reduce((a, b) => a + b, 0)).toBe(sentToWorkers(r.err));
    // The token is never printed.
    expect(r.err).not.toMatch(/JFS_SYNC_TOKEN=[0-9a-f]/);
  }, 120000);

  it('a worker killed mid-copy gives back its unfinished items, which the manager copies itself, its half-written file removed', async () => {
    const src = source('src-b', 80, 32 * 1024);
    const dst = path.join(work, 'dst-b');
    let hunting = false;
    /** The worker's temporary file that was in DST when it was killed. */
    let killedWhileWriting: string | undefined;
    // The worker's node process on the "remote" host: its command line names the manager.
    // Anchored at node's path: the ssh client's own command line carries the same words.
    const workerPattern = `^${process.execPath} ${bin} sync .*src-b/ .*--manager 127\\.0\\.0\\.1:`;
    const killMidCopy = async () => {
      // Once the worker has a batch, wait until it is writing one of its files (the temporary
      // name ends with its pid), then SIGKILL it: a Go worker killed so leaves that file in DST.
      for (let tries = 0; tries < 1000 && killedWhileWriting === undefined; tries++) {
        const pid = spawnSync('pgrep', ['-f', '--', workerPattern], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
        const temp = pid ? [...tree(dst, true).keys()].find((k) => k.endsWith(`.jfssync${pid}`)) : undefined;
        if (pid && temp) {
          process.kill(Number(pid), 'SIGKILL');
          killedWhileWriting = temp;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    let hunt: Promise<void> = Promise.resolve();
    // --bwlimit 2 (Mbit/s) keeps each 32 KiB file being written for about 130 ms.
    const r = await sync({}, [`${src}/`, `${dst}/`, '--worker', 'localhost', '--threads', '1', '--bwlimit', '2', '--debug'], (err) => {
      if (!hunting && sentToWorkers(err) > 0) {
        hunting = true;
        hunt = killMidCopy();
      }
    });
    await hunt;
    expect({ killedWhileWriting: killedWhileWriting?.replace(/\d+$/, 'PID').replace(/f\d+/, 'fN'), code: r.code, closing: closing(r.err), files: tree(dst).size }).toEqual({
      killedWhileWriting: expect.stringMatching(/^(even|odd)\/\.fN\.jfssyncPID$/),
      code: 0,
      closing: 'found: 82, copied: 80 (2.5 MiB), skipped: 2, deleted: 0, failed: 0',
      files: 80, // the temporary file is gone
    });
    expect(r.err).toMatch(/juicefs sync: worker localhost: ssh ended with (code \d+|SIG\w+)/);
    expect(r.err).toMatch(/juicefs sync: worker localhost left \d+ items? unfinished: this process does them/);
    expect(JSON.stringify([...tree(dst)].sort())).toBe(JSON.stringify([...tree(src)].sort()));
  }, 120000);

  it('a worker host that cannot be reached is reported by name, and the manager does the whole job', async () => {
    const src = source('src-c', 10, 1000);
    const dst = path.join(work, 'dst-c');
    // Port 1 refuses: the ssh command line overrides the config's port.
    const r = await sync({ JUICEFS_SSH: `${SSH} -o ConnectTimeout=5 -p 1` }, [`${src}/`, `${dst}/`, '--worker', 'unreachable']);
    expect({ code: r.code, closing: closing(r.err), files: tree(dst).size }).toEqual({
      code: 0,
      closing: 'found: 12, copied: 10 (9.8 KiB), skipped: 2, deleted: 0, failed: 0',
      files: 10,
    });
    expect(r.err).toContain(`juicefs sync: worker unreachable: ssh ended with code 255; check that unreachable is reachable with ${SSH} -o ConnectTimeout=5 -p 1 and has this juicefs at ${process.execPath} ${bin}`);
  }, 60000);

  it('--check-all is shared too: files found equal by size but different in content are compared and copied by the workers', async () => {
    const src = source('src-d', 120, 32 * 1024);
    const dst = path.join(work, 'dst-d');
    // Same names and sizes at the destination, different bytes in every other file: their copies
    // are paced by --bwlimit (comparisons are not), which leaves work for the worker.
    for (const [rel] of tree(src)) {
      const from = path.join(src, rel);
      const to = path.join(dst, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      const data = fs.readFileSync(from);
      if (Number(/\d+/.exec(rel)![0]) % 2 === 0) data[0] = data[0]! ^ 0xff;
      fs.writeFileSync(to, data);
    }
    const r = await sync({}, [`${src}/`, `${dst}/`, '--worker', 'localhost', '--threads', '1', '--bwlimit', '2', '--check-all', '--debug']);
    expect({ code: r.code, closing: closing(r.err) }).toEqual({
      code: 0,
      closing: 'found: 122, copied: 60 (1.9 MiB), checked: 180, skipped: 62, deleted: 0, failed: 0',
    });
    expect(sentToWorkers(r.err)).toBeGreaterThan(0);
    expect(JSON.stringify([...tree(dst)].sort())).toBe(JSON.stringify([...tree(src)].sort()));
  }, 120000);
});
