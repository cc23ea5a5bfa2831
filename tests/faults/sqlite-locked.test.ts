import fs from 'node:fs';
import path from 'node:path';
import { forceDown, juicefs, mountBackground, requireRootAndFuse, run, tempDir, type BackgroundMount } from './support.js';

// Another process (a `juicefs gc`, a second mount, a sqlite3 shell) holding the write lock of a
// SQLite volume must hold up only what needs that lock: a create through the mount waits for it
// and then succeeds, while reads of other directories go on. SQLite's own busy handler used to
// sleep on the mount's event loop, stalling every request; with a busy timeout of a minute in the
// META-URL the reads below would then hang for a minute and this test time out.

const HOLDER = `
import sqlite3, os, subprocess, sys, json
db, mp = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db, isolation_level=None, timeout=60)
c.execute('BEGIN IMMEDIATE')
creating = subprocess.Popen(['touch', os.path.join(mp, 'w', 'new')])
reads = []
for i in range(10):
    reads.append([os.stat(os.path.join(mp, 'r', 'f')).st_size, len(os.listdir(os.path.join(mp, 'r'))), open(os.path.join(mp, 'r', 'f')).read()])
created_while_locked = creating.poll() is not None
c.execute('COMMIT')
print(json.dumps({'reads': reads[0], 'allReadsSame': all(r == reads[0] for r in reads), 'createdWhileLocked': created_while_locked, 'create': creating.wait()}))
`;

describe('faults: a SQLite volume whose lock another process holds', () => {
  let dir: string;
  let m: BackgroundMount | undefined;

  beforeAll(async () => {
    requireRootAndFuse();
    dir = tempDir('sqlite-locked');
    const meta = `sqlite3://${dir}/meta.db?_busy_timeout=60000`;
    const f = await juicefs(['format', meta, 'lockvol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
    fs.mkdirSync(path.join(dir, 'mp'));
    m = await mountBackground(meta, path.join(dir, 'mp'), dir, ['--attr-cache', '0', '--entry-cache', '0', '--dir-entry-cache', '0']);
    fs.mkdirSync(path.join(m.mountpoint, 'r'));
    fs.mkdirSync(path.join(m.mountpoint, 'w'));
    fs.writeFileSync(path.join(m.mountpoint, 'r', 'f'), 'kept');
  }, 120_000);

  afterAll(async () => {
    await forceDown(m);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('serves reads of other directories while a create waits for the lock, then creates', async () => {
    const r = await run('python3', ['-c', HOLDER, path.join(dir, 'meta.db'), m!.mountpoint], 30_000);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ reads: [4, 1, 'kept'], allReadsSame: true, createdWhileLocked: false, create: 0 });
    expect(fs.existsSync(path.join(m!.mountpoint, 'w', 'new'))).toBe(true);
  }, 60_000);
});
