// Shared by the tools-*.test.ts files: run the juicefs command as a user does, and open a
// formatted volume in-process (real engine, real file storage) to write data or inspect it.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { createControlHandler } from '../src/control/index.js';
import { openVolumeFs, type VolumeFs } from '../src/volume-fs.js';

export const repo = path.resolve(__dirname, '../../..');
/** The juicefs command run from the TypeScript sources. */
export const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
export const redisBase = (process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390').replace(/\/\d*$/, '');
export const pgBase = process.env['JFS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';

export interface Run {
  code: number;
  out: string;
  err: string;
}

export function juicefs(...args: string[]): Run {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', input: '', timeout: 120000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same, without blocking the test process (needed when the command talks to an in-process server). */
export function juicefsAsync(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: repo });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

export function mustFormat(meta: string, name: string, bucket: string, ...flags: string[]): void {
  const r = juicefs('format', meta, name, '--bucket', bucket, ...flags);
  if (r.code !== 0) throw new Error(`juicefs format failed (is the server up? run scripts/services/*.sh): ${r.err}`);
}

/** A formatted volume opened in this process: a Vfs with the CLI's control handler and a path API. */
export type OpenVolume = VolumeFs;

export function openVolume(metaUrl: string): Promise<OpenVolume> {
  return openVolumeFs(metaUrl, { control: (parts) => createControlHandler({ ...parts, progressIntervalMs: 20 }) });
}

/** Deterministic bytes, so tests can compare contents. */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}
