// A scratch SQLite volume with a mount point, shared by the mount-flag test files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, mustFormat } from './tools-volume.js';

export const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse');

/** A SQLite volume formatted in a fresh directory with a mount point, for one describe block. */
export interface Scratch {
  dir: string;
  mp: string;
  meta: string;
  /** `juicefs mount -d` with its log, cache and a free metrics port in `dir`, plus `flags`. */
  mount(...flags: string[]): void;
  unmount(): void;
}

/** Registers the beforeAll that makes the volume and the afterAll that unmounts and removes it. */
export function scratchVolume(prefix: string, name: string, ...formatFlags: string[]): Scratch {
  const v: Scratch = {
    dir: '',
    mp: '',
    meta: '',
    mount: (...flags) => {
      const m = juicefs('mount', '-d', v.meta, v.mp, '--log', path.join(v.dir, 'log'), '--cache-dir', path.join(v.dir, 'cache'), '--metrics', '127.0.0.1:0', ...flags);
      if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
    },
    unmount: () => {
      if (juicefs('umount', v.mp).code !== 0) juicefs('umount', '--force', v.mp);
    },
  };
  beforeAll(() => {
    if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
    v.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(v.dir, 0o755); // other users must reach the mount point
    v.mp = path.join(v.dir, 'mp');
    fs.mkdirSync(v.mp);
    v.meta = `sqlite3://${v.dir}/meta.db`;
    mustFormat(v.meta, name, path.join(v.dir, 'bucket'), ...formatFlags);
  });
  afterAll(() => {
    if (!canMount) return;
    if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === v.mp)) v.unmount();
    fs.rmSync(v.dir, { recursive: true, force: true });
  });
  return v;
}

