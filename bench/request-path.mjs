// The request path without a kernel: what each FUSE request of a small-file write and a stat costs
// in this process, through the FUSE session and adapter (requests encoded as the kernel sends
// them, replies decoded) against a SQLite + local-directory volume, and the same operations called
// on the VFS directly, in the same run: the ratio is what the FUSE layers add. A benchmark, not a
// test; it measures the built packages (run `bash scripts/build.sh` first):
//
//   pnpm bench:request-path [--files 2000] [--file-size 128] [--dir /var/tmp]
//
// No /dev/fuse, no client program, no scheduler between them: the figures are CPU on one thread,
// the part of a mount's latency that is ours alone. The whole-system picture is `pnpm bench:fuse`.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunkStoreOptionsFor, openChunkStore, openVolumeStorage } from '../packages/chunk/dist/index.js';
import { context, defaultFormat, Vfs } from '../packages/core/dist/index.js';
import { encodeRequest, FuseSession, Opcode, VfsFuseHandler } from '../packages/fuse/dist/index.js';
import { openMeta } from '../packages/meta/dist/index.js';

const argv = process.argv.slice(2);
const arg = (flag, def) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : def;
};
const FILES = Number(arg('--files', 2000));
const FILE_SIZE = Number(arg('--file-size', 128)) * 1024;
const BASE = arg('--dir', fs.existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir());

/** A scratch SQLite + local-directory volume, as `juicefs format` would make it (trash off). */
async function openVolume(dir) {
  const meta = await openMeta(`sqlite3://${path.join(dir, 'meta.db')}`);
  const format = { ...defaultFormat('bench', randomUUID(), `${path.join(dir, 'bucket')}/`), TrashDays: 0 };
  await meta.init(format);
  await meta.load(true);
  await meta.newSession();
  const store = await openChunkStore(openVolumeStorage(format), chunkStoreOptionsFor(format, { cacheDir: path.join(dir, 'cache'), cacheSize: 1 << 30 }));
  meta.onSliceDelete((id, size) => store.remove(id, size));
  const vfs = new Vfs({ meta, store, format, options: { attrCache: 1, entryCache: 1, dirEntryCache: 1 } });
  return {
    vfs,
    close: async () => {
      await vfs.close();
      await store.close();
      await meta.closeSession();
      await meta.shutdown();
    },
  };
}

/** Per-operation totals in µs. */
class Timings {
  constructor() {
    this.t = new Map();
  }
  async time(name, fn) {
    const start = process.hrtime.bigint();
    const r = await fn();
    const s = this.t.get(name) ?? { n: 0, us: 0 };
    s.n++;
    s.us += Number(process.hrtime.bigint() - start) / 1000;
    this.t.set(name, s);
    return r;
  }
  mean(name) {
    const s = this.t.get(name);
    return s ? s.us / s.n : NaN;
  }
  clear() {
    this.t.clear();
  }
}

// ---------------------------------------------------------------- through the FUSE session

const u32s = (...v) => {
  const b = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
};
const cstring = (s) => Buffer.from(`${s}\0`);
function rwIn(fh, offset, size) {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(fh, 0);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.writeUInt32LE(size, 16);
  return b;
}
function fhIn(fh, flags = 0) {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(fh, 0);
  b.writeUInt32LE(flags, 8);
  return b;
}

/**
 * The kernel's side: requests in, replies matched by unique, as /dev/fuse would carry them. A
 * request is encoded before its clock starts: building it is the kernel's work, not ours.
 */
function kernel(vfs, t) {
  const waiting = new Map();
  let sink;
  const channel = {
    start(onRequest) {
      sink = onRequest;
    },
    write(parts) {
      const b = parts.length === 1 ? Buffer.from(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength) : Buffer.concat(parts);
      const unique = b.readBigUInt64LE(8);
      const resolve = waiting.get(unique);
      waiting.delete(unique);
      resolve?.({ errno: -b.readInt32LE(4), payload: b.subarray(16) });
    },
    async close() {},
  };
  const session = new FuseSession(channel, new VfsFuseHandler(vfs, { defaultPermissions: true }), {});
  session.start();
  let unique = 1n;
  return async (name, opcode, nodeid, body, wantErrno = 0) => {
    const u = unique++;
    const req = encodeRequest({ opcode, unique: u, nodeid, uid: 0, gid: 0, pid: process.pid }, body);
    const replied = new Promise((resolve) => waiting.set(u, resolve));
    const r = await t.time(name, () => {
      // The device channel lends big WRITEs (see poll-channel.ts), copies the rest.
      if (req.length > 64 * 1024) sink(req, () => undefined);
      else sink(Buffer.from(req));
      return replied;
    });
    if (r.errno !== wantErrno) throw new Error(`opcode ${opcode}: errno ${r.errno}, expected ${wantErrno}`);
    return r.payload;
  };
}

/**
 * The two ways of making the same requests, as steps: `file(i)` writes file i as `writeFile`
 * makes the kernel ask (the path walk's GETATTR of the directory, whose attributes the last
 * create changed; a LOOKUP that fails; CREATE, WRITE, FLUSH, RELEASE), `stat(i)` looks it up
 * again as stat(2) does once the kernel has dropped its caches.
 */
async function sessionSteps(vfs, data, t) {
  const call = kernel(vfs, t);
  const init = Buffer.alloc(64);
  init.writeUInt32LE(7, 0);
  init.writeUInt32LE(38, 4);
  init.writeUInt32LE(128 * 1024, 8);
  init.writeUInt32LE(0xffffffff, 12);
  await call('init', Opcode.INIT, 0n, init);
  const dir = (await call('mkdir', Opcode.MKDIR, 1n, Buffer.concat([u32s(0o755, 0o022), cstring('s')]))).readBigUInt64LE(0);
  const ENOENT = 2;
  return {
    async file(i) {
      const name = `f${i}`;
      await call('getattr (dir)', Opcode.GETATTR, dir, Buffer.alloc(16));
      await call('lookup (new name)', Opcode.LOOKUP, dir, cstring(name), ENOENT);
      const c = await call('create', Opcode.CREATE, dir, Buffer.concat([u32s(0o1101, 0o100644, 0o022, 0), cstring(name)]));
      const ino = c.readBigUInt64LE(0);
      const fh = c.readBigUInt64LE(128);
      await call('write', Opcode.WRITE, ino, Buffer.concat([rwIn(fh, 0, data.length), data]));
      await call('flush', Opcode.FLUSH, ino, fhIn(fh));
      await call('release', Opcode.RELEASE, ino, fhIn(fh, 1));
    },
    stat: (i) => call('lookup (existing)', Opcode.LOOKUP, dir, cstring(`f${i}`)),
  };
}

async function vfsSteps(vfs, data, t) {
  const ctx = context(0, 0, [0], process.pid);
  const dir = (await vfs.mkdir(ctx, 1n, Buffer.from('v'), 0o755, 0o022)).ino;
  return {
    async file(i) {
      const name = Buffer.from(`f${i}`);
      await t.time('getattr (dir)', () => vfs.getattr(ctx, dir));
      await t.time('lookup (new name)', () => vfs.lookup(ctx, dir, name).then(() => { throw new Error(`${name} exists`); }, () => undefined));
      const c = await t.time('create', () => vfs.create(ctx, dir, name, 0o100644, 0o022, 0o1101));
      await t.time('write', () => vfs.write(ctx, c.ino, c.fh, 0, data));
      await t.time('flush', () => vfs.flush(ctx, c.ino, c.fh, 0n));
      await t.time('release', () => vfs.release(ctx, c.ino, c.fh));
    },
    stat: (i) => t.time('lookup (existing)', () => vfs.lookup(ctx, dir, Buffer.from(`f${i}`))),
  };
}

// ---------------------------------------------------------------- run and print

const work = fs.mkdtempSync(path.join(BASE, 'juicefs-request-path-'));

try {
  const data = Buffer.alloc(FILE_SIZE, 0x5a);
  const rows = [];
  const session = new Timings();
  const direct = new Timings();
  const v = await openVolume(work);
  try {
    // Interleaved file by file in one volume, so that both meet the file system, the database
    // and the garbage collector in the same state; the first half warms the code up.
    const a = await vfsSteps(v.vfs, data, direct);
    const b = await sessionSteps(v.vfs, data, session);
    for (let i = 0; i < FILES; i++) {
      if (i === FILES / 2) {
        direct.clear();
        session.clear();
      }
      await a.file(i);
      await b.file(i);
    }
    // Past the VFS's 1 s entry cache, as after the kernel dropped its caches.
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < FILES; i++) {
      await a.stat(i);
      await b.stat(i);
    }
  } finally {
    await v.close();
  }
  const ops = ['getattr (dir)', 'lookup (new name)', 'create', 'write', 'flush', 'release', 'lookup (existing)'];
  let fileSession = 0;
  let fileDirect = 0;
  for (const op of ops) {
    const s = session.mean(op);
    const d = direct.mean(op);
    if (op !== 'lookup (existing)') {
      fileSession += s;
      fileDirect += d;
    }
    rows.push([op, d.toFixed(1), s.toFixed(1), `${(s / d).toFixed(2)}×`]);
  }
  rows.push([`a ${FILE_SIZE / 1024} KiB file (all but the last)`, fileDirect.toFixed(0), fileSession.toFixed(0), `${(fileSession / fileDirect).toFixed(2)}×`]);
  const head = ['request', 'VFS call (µs)', 'through the session (µs)', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`request path without a kernel: ${FILES / 2} files of ${FILE_SIZE / 1024} KiB measured after ${FILES / 2} to warm up, SQLite + local directory in ${BASE}`);
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
