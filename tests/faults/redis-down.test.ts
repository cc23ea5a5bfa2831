import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileOp, forceDown, juicefs, mountBackground, requireRootAndFuse, run, sleep, tempDir, type BackgroundMount } from './support.js';

// The metadata server goes away under a live mount: operations that need it must fail with EIO
// within a bounded time (never hang), and once the server is back on the same address with the
// same data the mount serves again without being remounted. The Redis server is private to this
// test (own port, own data dir, append-only file so nothing is lost across the restart).

const OP_DEADLINE_MS = 30_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

class PrivateRedis {
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get pidfile(): string {
    return path.join(this.dir, 'redis.pid');
  }

  async start(): Promise<void> {
    const r = await run('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'yes',
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--pidfile', this.pidfile,
      '--logfile', path.join(this.dir, 'redis.log'),
    ], 20_000);
    if (r.code !== 0) throw new Error(`redis-server would not start (is it installed? scripts/setup.sh): ${r.stderr || r.stdout}`);
    for (let i = 0; i < 100; i++) {
      if ((await run('redis-cli', ['-p', String(this.port), 'ping'], 5000)).stdout.includes('PONG')) return;
      await sleep(100);
    }
    throw new Error(`redis-server on port ${this.port} did not answer; see ${this.dir}/redis.log`);
  }

  async stop(): Promise<void> {
    await run('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave'], 10_000);
    for (let i = 0; i < 100; i++) {
      if (!(await run('redis-cli', ['-p', String(this.port), 'ping'], 5000)).stdout.includes('PONG')) return;
      await sleep(100);
    }
    throw new Error(`redis-server on port ${this.port} did not stop`);
  }

  /** Last resort for afterAll: kill the server by its pid file. */
  kill(): void {
    try {
      process.kill(Number(fs.readFileSync(this.pidfile, 'utf8').trim()), 'SIGKILL');
    } catch {
      // not running
    }
  }
}

/**
 * A python3 child that opens `file` now and reads it (or writes and fsyncs it) when told: the
 * operation then happens through a handle opened while the server was up. Returns a function
 * giving the operation's result.
 */
const readers = new Set<ChildProcess>();

async function openForLater(file: string, op: 'read' | 'write'): Promise<() => Promise<{ result: string; size?: number }>> {
  const script = `
import errno, json, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY if sys.argv[2] == "read" else os.O_WRONLY)
print("open", flush=True)
sys.stdin.readline()
try:
    n = 0
    if sys.argv[2] == "write":
        n = os.write(fd, b"written during the outage")
        os.fsync(fd)
    else:
        while True:
            b = os.read(fd, 1 << 20)
            if not b: break
            n += len(b)
    print(json.dumps({"result": "OK", "size": n}), flush=True)
except OSError as e:
    print(json.dumps({"result": errno.errorcode.get(e.errno, str(e.errno))}), flush=True)
`;
  const child = spawn('python3', ['-c', script, file, op], { stdio: ['pipe', 'pipe', 'pipe'] });
  readers.add(child);
  child.once('exit', () => readers.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let waited = 0; !out.includes('open'); waited += 50) {
    if (child.exitCode !== null || waited > OP_DEADLINE_MS) {
      child.kill('SIGKILL');
      throw new Error(`could not open ${file} for reading`);
    }
    await sleep(50);
  }
  return async () => {
    child.stdin.write('go\n');
    for (let waited = 0; !out.includes('}'); waited += 50) {
      if (waited > OP_DEADLINE_MS) {
        child.kill('SIGKILL');
        return { result: 'TIMEOUT' };
      }
      await sleep(50);
    }
    child.stdin.end();
    return JSON.parse(out.slice(out.indexOf('{'))) as { result: string; size?: number };
  };
}

describe('faults: the Redis metadata server stops under a live mount', () => {
  let dir: string;
  let redis: PrivateRedis | undefined;
  let m: BackgroundMount | undefined;
  let mp: string;
  const data = Buffer.alloc(3 * 1024 * 1024 + 17, 'juicefs');

  beforeAll(async () => {
    requireRootAndFuse();
    dir = tempDir('redisdown');
    const rdir = path.join(dir, 'redis');
    fs.mkdirSync(rdir);
    redis = new PrivateRedis(await freePort(), rdir);
    await redis.start();
    const meta = `redis://127.0.0.1:${redis.port}/1`;
    const f = await juicefs(['format', meta, 'downvol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
    mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp);
    // No kernel caches: every lookup and getattr reaches the metadata engine.
    m = await mountBackground(meta, mp, dir, ['--attr-cache', '0', '--entry-cache', '0', '--dir-entry-cache', '0']);
  }, 120_000);

  afterAll(async () => {
    for (const r of readers) r.kill('SIGKILL');
    // Bring the server back first, so the mount can close its session and unmount cleanly.
    if (redis && !(await run('redis-cli', ['-p', String(redis.port), 'ping'], 5000)).stdout.includes('PONG')) {
      await redis.start().catch(() => undefined);
    }
    await forceDown(m);
    if (redis) {
      await redis.stop().catch(() => undefined);
      redis.kill();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('operations fail with EIO while it is down and work again once it is back', async () => {
    if (!redis) throw new Error('no redis');
    expect((await fileOp('create', path.join(mp, 'before.txt'), 'written before the outage\n')).result).toBe('OK');
    fs.writeFileSync(path.join(mp, 'data.bin'), data);
    fs.mkdirSync(path.join(mp, 'dir'));
    const laterRead = await openForLater(path.join(mp, 'data.bin'), 'read');
    const laterWrite = await openForLater(path.join(mp, 'before.txt'), 'write');

    await redis.stop();
    expect(await fileOp('stat', path.join(mp, 'dir'), '', OP_DEADLINE_MS)).toMatchObject({ result: 'EIO' });
    expect(await fileOp('stat', path.join(mp, 'never-seen'), '', OP_DEADLINE_MS)).toMatchObject({ result: 'EIO' });
    expect(await fileOp('create', path.join(mp, 'during.txt'), 'x', OP_DEADLINE_MS)).toMatchObject({ result: 'EIO' });
    expect(await fileOp('read', path.join(mp, 'before.txt'), '', OP_DEADLINE_MS)).toMatchObject({ result: 'EIO' });
    // A handle opened before the outage: its data was never read, so the slices must come from Redis.
    expect(await laterRead()).toEqual({ result: 'EIO' });
    // And one opened for writing: the data goes to the chunk store, but recording the slice needs
    // a metadata transaction, so fsync must fail.
    expect(await laterWrite()).toEqual({ result: 'EIO' });

    await redis.start();
    expect(await fileOp('read', path.join(mp, 'before.txt'), '', OP_DEADLINE_MS)).toEqual({ result: 'OK', data: 'written before the outage\n' });
    expect((await fileOp('create', path.join(mp, 'after.txt'), 'written after the outage\n', OP_DEADLINE_MS)).result).toBe('OK');
    expect(await fileOp('read', path.join(mp, 'after.txt'), '', OP_DEADLINE_MS)).toEqual({ result: 'OK', data: 'written after the outage\n' });
    expect((await fileOp('stat', path.join(mp, 'during.txt'), '', OP_DEADLINE_MS)).result).toBe('ENOENT');
    expect(fs.readFileSync(path.join(mp, 'data.bin')).equals(data)).toBe(true);
    expect(fs.readdirSync(mp).filter((n) => !n.startsWith('.')).sort()).toEqual(['after.txt', 'before.txt', 'data.bin', 'dir']);
  }, 180_000);
});
