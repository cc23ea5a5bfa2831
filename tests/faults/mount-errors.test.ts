import fs from 'node:fs';
import path from 'node:path';
import { forceDown, isMounted, juicefs, mountBackground, requireRootAndFuse, tempDir, type BackgroundMount } from './support.js';

// A mount that cannot happen must say why, naming the path and the fix, exit non-zero, and leave
// nothing behind: no mount, no session in the volume, no server process.

function mountEntries(mp: string): number {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === mp).length;
}

describe('faults: juicefs mount refuses a bad mount point', () => {
  let dir: string;
  let meta: string;
  let first: BackgroundMount | undefined;

  beforeAll(async () => {
    requireRootAndFuse();
    dir = tempDir('mnterr');
    meta = `sqlite3://${dir}/meta.db`;
    const f = await juicefs(['format', meta, 'errvol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await forceDown(first);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const sessions = async (): Promise<string[]> => {
    const s = await juicefs(['status', meta]);
    expect(s.code).toBe(0);
    return (JSON.parse(s.stdout) as { Sessions: Array<{ MountPoint: string }> }).Sessions.map((x) => x.MountPoint);
  };

  it.each([['foreground', []], ['background (-d)', ['-d']]])('a missing mount point (%s): names it and says to create it', async (_n, flags) => {
    const mp = path.join(dir, 'does-not-exist');
    const r = await juicefs(['mount', meta, mp, ...flags, '--log', `${dir}/missing.log`, '--cache-dir', `${dir}/cache`, '--metrics', ''], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(mp);
    expect(r.stderr).toMatch(/does not exist|mkdir/);
    expect(isMounted(mp)).toBe(false);
    expect(fs.existsSync(mp)).toBe(false);
    expect(await sessions()).toEqual([]);
  }, 90_000);

  it.each([['foreground', []], ['background (-d)', ['-d']]])('a regular file as mount point (%s): names it and says it is not a directory', async (_n, flags) => {
    const mp = path.join(dir, 'a-file');
    fs.writeFileSync(mp, 'not a directory\n');
    const r = await juicefs(['mount', meta, mp, ...flags, '--log', `${dir}/file.log`, '--cache-dir', `${dir}/cache`, '--metrics', ''], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(mp);
    expect(r.stderr).toMatch(/not a directory/);
    expect(isMounted(mp)).toBe(false);
    expect(fs.readFileSync(mp, 'utf8')).toBe('not a directory\n');
    expect(await sessions()).toEqual([]);
  }, 90_000);

  it.each([['foreground', []], ['background (-d)', ['-d']]])('a volume that is not there (%s): names the database and the fix, leaves no file and no mount', async (_n, flags) => {
    const mp = path.join(dir, 'mp-unformatted');
    fs.mkdirSync(mp, { recursive: true });
    const missing = `sqlite3://${dir}/no-such.db`;
    fs.writeFileSync(`${dir}/empty.db`, '');
    for (const url of [missing, `sqlite3://${dir}/empty.db`]) {
      const r = await juicefs(['mount', url, mp, ...flags, '--log', `${dir}/unformatted.log`, '--cache-dir', `${dir}/cache`, '--metrics', ''], 60_000);
      expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`juicefs: ENOENT: database ${url} is not formatted: run juicefs format ${url} NAME first`)]);
      expect(isMounted(mp)).toBe(false);
    }
    expect(fs.existsSync(`${dir}/no-such.db`)).toBe(false);
  }, 90_000);

  it('a list of cache directories (a:b) with one that cannot be made: refused, naming it, and no session left', async () => {
    const mp = path.join(dir, 'mnt-cachelist');
    fs.mkdirSync(mp);
    fs.writeFileSync(path.join(dir, 'not-a-disk'), 'a file\n');
    const bad = `${dir}/not-a-disk/cache`;
    const r = await juicefs(['mount', meta, mp, '--cache-dir', `${dir}/ssd1:${bad}`, '--metrics', ''], 60_000);
    expect({ code: r.code === 0 ? 0 : 'failed', mounted: isMounted(mp) }).toEqual({ code: 'failed', mounted: false });
    expect(r.stderr).toContain(`cache directory ${bad} cannot be used: not a directory`);
    expect(await sessions()).toEqual([]);
  }, 90_000);

  it.each([['foreground', []], ['background (-d)', ['-d']]])('a mount point already mounted (%s): refused, the first mount keeps working', async (_n, flags) => {
    const mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp, { recursive: true });
    first ??= await mountBackground(meta, mp, dir);
    fs.writeFileSync(path.join(mp, 'kept.txt'), 'first mount\n');

    const r = await juicefs(['mount', meta, mp, ...flags, '--log', `${dir}/again.log`, '--cache-dir', `${dir}/cache-again`, '--metrics', ''], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(mp);
    expect(r.stderr).toMatch(/already (a )?mount/);
    expect(r.stderr).toMatch(/umount/);
    expect(mountEntries(mp)).toBe(1);
    expect(fs.readFileSync(path.join(mp, 'kept.txt'), 'utf8')).toBe('first mount\n');
    expect(await sessions()).toEqual([mp]);
  }, 90_000);
});
