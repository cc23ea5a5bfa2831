import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkMountPoint, isMountPoint, mount } from '../src/index.js';
import { startChildMount } from './helpers/child-mount.js';
import { MemFsHandler } from './helpers/memfs-handler.js';
import { sh } from './helpers/shell.js';

// Mount errors, unmount on request (plain and lazy), unmount on SIGTERM in a child process,
// and a real kernel INTERRUPT. Every mount made here is taken down in afterAll even on failure.

let tmp: string;
const mounted: string[] = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-life-'));
});

afterAll(async () => {
  for (const mp of mounted) if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
  await fs.rm(tmp, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const d = path.join(tmp, name);
  await fs.mkdir(d);
  mounted.push(d);
  return d;
}

describe('mount point errors name the path and the fix', () => {
  test('missing', async () => {
    const p = path.join(tmp, 'missing');
    await expect(mount(p, new MemFsHandler())).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`mkdir -p ${p}`) });
  });

  test('not a directory', async () => {
    const p = path.join(tmp, 'file');
    await fs.writeFile(p, '');
    await expect(mount(p, new MemFsHandler())).rejects.toMatchObject({ code: 'ENOTDIR', message: expect.stringContaining(p) });
  });

  test('already a mount point', async () => {
    const p = await freshDir('twice');
    const m = await mount(p, new MemFsHandler(), { log: () => {} });
    try {
      await expect(mount(p, new MemFsHandler())).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining(`umount ${p}`) });
      await expect(checkMountPoint(p)).rejects.toMatchObject({ code: 'EBUSY' });
    } finally {
      await m.unmount();
    }
    expect(await isMountPoint(p)).toBe(false);
  });
});

describe('unmount', () => {
  test('on request: the session ends and the directory is plain again', async () => {
    const p = await freshDir('plain');
    await fs.writeFile(path.join(p, 'under'), 'underneath');
    const m = await mount(p, new MemFsHandler(), { log: () => {} });
    expect(await fs.readdir(p)).toEqual([]);
    await m.unmount();
    await expect(m.closed).resolves.toBe('ENODEV');
    expect(await isMountPoint(p)).toBe(false);
    expect(await fs.readdir(p)).toEqual(['under']);
  });

  test('a busy mount fails with EBUSY naming umount -l; lazy unmount detaches it', async () => {
    const p = await freshDir('busy');
    const m = await mount(p, new MemFsHandler(), { log: () => {} });
    await fs.writeFile(path.join(p, 'f'), 'x');
    const fh = await fs.open(path.join(p, 'f'), 'r');
    try {
      await expect(m.unmount()).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining(`umount -l ${p}`) });
      expect(await isMountPoint(p)).toBe(true);
      // Detached at once; the session lives until the last open file is closed.
      await m.detach({ lazy: true });
      expect(await isMountPoint(p)).toBe(false);
      expect((await fh.read(Buffer.alloc(1), 0, 1, 0)).bytesRead).toBe(1);
      await fh.close();
      await expect(m.closed).resolves.toBe('ENODEV');
    } finally {
      await fh.close().catch(() => {});
    }
  });

  test('SIGTERM to the mounting process unmounts and leaves no mount', async () => {
    const p = await freshDir('sigterm');
    const { child, output, exited } = await startChildMount(p, 'memfs');
    expect(await isMountPoint(p)).toBe(true);
    expect((await sh(`echo hi > ${p}/f && cat ${p}/f`)).stdout).toBe('hi\n');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('closed ENODEV');
    expect(await isMountPoint(p)).toBe(false);
  });
});

test('a signal to a process blocked in a slow read interrupts it (INTERRUPT -> EINTR)', async () => {
  const p = await freshDir('interrupt');
  const h = new MemFsHandler();
  let aborted = false;
  h.onSlowRead = (ctx) =>
    new Promise<void>((resolve) => {
      ctx.signal.addEventListener('abort', () => {
        aborted = true;
        resolve();
      });
    });
  const m = await mount(p, h, { log: () => {} });
  try {
    await fs.writeFile(path.join(p, 'slow'), 'data');
    const py = `import os; os.setxattr('${p}/slow', 'user.slow', b'1')`;
    expect((await sh(`python3 -c "${py}"`)).code).toBe(0);
    // timeout sends SIGINT after 0.3 s to cat, which is blocked in read(2) on our mount.
    const r = await sh(`timeout -s INT 0.3 cat ${p}/slow; echo "exit=$?"`);
    expect(r.stdout).toContain('exit=124');
    expect(aborted).toBe(true);
  } finally {
    await m.unmount({ lazy: true });
  }
});

test('a mount point with spaces and a backslash is found in mountinfo and unmounts', async () => {
  const p = await freshDir('with space\\x');
  const m = await mount(p, new MemFsHandler(), { log: () => {} });
  try {
    expect(await isMountPoint(p)).toBe(true);
    await fs.writeFile(path.join(p, 'f'), 'ok');
    expect(await fs.readFile(path.join(p, 'f'), 'utf8')).toBe('ok');
  } finally {
    await m.unmount();
  }
  expect(await isMountPoint(p)).toBe(false);
});

test('the kernel aborting the connection (fusectl abort) ends the session with ENODEV', async () => {
  // fusectl exposes each connection as /sys/fs/fuse/connections/<minor of st_dev>.
  const ctl = '/sys/fs/fuse/connections';
  if (!(await isMountPoint(ctl))) expect((await sh(`mount -t fusectl none ${ctl}`)).code).toBe(0);
  const p = await freshDir('aborted');
  const m = await mount(p, new MemFsHandler(), { log: () => {} });
  const dev = (await fs.stat(p)).dev;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  await fs.writeFile(path.join(ctl, String(minor), 'abort'), '1');
  await expect(m.closed).resolves.toBe('ENODEV');
  await expect(fs.stat(path.join(p, 'x'))).rejects.toMatchObject({ code: 'ENOTCONN' });
  await m.unmount({ lazy: true });
  expect(await isMountPoint(p)).toBe(false);
});

test('a handler whose init fails makes mount() fail and leaves no mount behind', async () => {
  const p = await freshDir('init-fails');
  const h = new MemFsHandler();
  const failing = Object.assign(h, { init: () => Promise.reject(new Error('cannot start')) });
  await expect(mount(p, failing, { log: () => {} })).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('INIT failed') });
  expect(await isMountPoint(p)).toBe(false);
});
