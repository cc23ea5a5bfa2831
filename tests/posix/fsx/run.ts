import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../helpers.js';

// Build and run fsx.c (the random-operation file exerciser beside this file).

const SOURCE = path.join(__dirname, 'fsx.c');

/** What one fsx run did: operations by name, and those the file system refused (and fsx then skipped). */
export interface FsxResult {
  seed: number;
  ops: number;
  size: number;
  counts: Record<string, number>;
  unsupported: string[];
}

export interface FsxOptions {
  /** Operations to run (JFS_FSX_OPS overrides, for a longer soak). */
  ops: number;
  /** The random sequence; the same seed replays the same operations. */
  seed: number;
  /** The file never grows past this many bytes. */
  maxFileBytes: number;
  /** Save what the file must hold at the end here, to compare it again later (after a remount). */
  saveTo?: string;
}

/** Operations a run never did though the file system did not refuse them (the mix is too short). */
export function opsNotRun(r: FsxResult): string[] {
  return Object.keys(r.counts).filter((op) => r.counts[op] === 0 && !r.unsupported.includes(op));
}

let built: Promise<string> | undefined;

/**
 * The fsx binary, compiled once per source version into the temp directory (named by the
 * source's hash, renamed into place, so parallel test files share it safely).
 */
export function fsxBinary(): Promise<string> {
  built ??= (async () => {
    const source = await fs.readFile(SOURCE);
    const bin = path.join(os.tmpdir(), `jfs-fsx-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
    if (await fs.access(bin).then(() => true, () => false)) return bin;
    const tmp = `${bin}.${process.pid}`;
    const cc = await run('gcc', ['-O2', '-Wall', '-Werror', SOURCE, '-o', tmp]);
    if (cc.code !== 0) throw new Error(`cannot build fsx (install gcc: bash scripts/setup.sh): ${cc.stderr}`);
    await fs.rename(tmp, bin);
    return bin;
  })();
  return built;
}

function opsFromEnv(fallback: number): number {
  const n = Number(process.env['JFS_FSX_OPS']);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Run fsx on `file`; rejects with fsx's report (operation, offsets, last operations) when it fails. */
export async function runFsx(file: string, o: FsxOptions, timeoutMs = 300_000): Promise<FsxResult> {
  const args = ['-n', String(opsFromEnv(o.ops)), '-s', String(o.seed), '-l', String(o.maxFileBytes)];
  if (o.saveTo !== undefined) args.push('-S', o.saveTo);
  const r = await run(await fsxBinary(), [...args, file], undefined, timeoutMs);
  if (r.code !== 0) throw new Error(`fsx ${[...args, file].join(' ')} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as FsxResult;
}
