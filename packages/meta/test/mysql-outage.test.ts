import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createSqlEngine, type SqlEngine } from '../src/sql/index.js';
import { freePort } from './free-port.js';

// A MySQL server that goes away and comes back: operations must fail promptly with EIO naming the
// server (never hang) while it is down, and the same engine must work again once it is back. The
// server is our own mariadbd, started by scripts/services/mysql.sh in a temporary directory on a
// free port, so the shared test server is never disturbed.
const SCRIPT = path.resolve(__dirname, '../../../scripts/services/mysql.sh');
let dir: string;
let port: number;


function startServer(): string {
  const env = { ...process.env, JFS_SERVICES_DIR: dir, JFS_MYSQL_PORT: String(port) };
  return execFileSync('bash', [SCRIPT], { env, encoding: 'utf8', timeout: 60000 }).trim();
}

function stopServer(): void {
  const pidFile = path.join(dir, 'mysql', 'mysqld.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync('sleep', ['0.05']);
  }
}

let url: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-mysql-outage-'));
  fs.chmodSync(dir, 0o755); // mariadbd runs as user mysql and must reach its data directory
  port = await freePort();
  url = startServer();
}, 90000);

afterAll(() => {
  stopServer();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('fails promptly with EIO while the server is down and works again once it is back', async () => {
  let e: SqlEngine | undefined = await createSqlEngine(url);
  try {
    await e.initSchema();
    await e.setFormat('{"Name":"outage"}');
    stopServer();
    for (const op of [() => e!.getFormat(), () => e!.txn((tx) => tx.getAttr(1n)), () => e!.allocInodes(10)]) {
      const t0 = Date.now();
      await expect(op()).rejects.toMatchObject({ code: 'EIO', message: expect.stringMatching(/MySQL/) });
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    startServer();
    expect(await e.getFormat()).toBe('{"Name":"outage"}');
    const first = await e.allocInodes(10);
    expect(await e.allocInodes(10)).toBe(first + 10n);
    await e.close();
    e = undefined;
  } finally {
    await e?.close().catch(() => undefined);
  }
}, 90000);
