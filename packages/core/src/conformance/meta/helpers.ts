import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { ErrnoCode } from '../../errors/errno.js';
import type { Meta, NodeResult } from '../../meta/meta.js';
import type { Entry } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import { context, ROOT_CONTEXT } from '../../types/context.js';
import type { Format } from '../../types/format.js';
import { defaultFormat } from '../../types/format.js';
import type { Ino } from '../../types/inode.js';
import { ROOT_INODE } from '../../types/inode.js';
import type { MetaTestEnv } from './types.js';

export const ROOT = ROOT_CONTEXT;
export const ALICE: Context = context(1000, 1000);
export const BOB: Context = context(1001, 1001);
/** In alice's group (1000) as a supplementary group. */
export const CAROL: Context = context(1002, 1002, [1002, 1000]);
export { ROOT_INODE };

/** The format every case starts from: defaults, trash off unless a case asks for it. */
export function testFormat(overrides: Partial<Format> = {}): Format {
  return { ...defaultFormat('conformance', randomUUID(), '/tmp/jfs-conformance/'), TrashDays: 0, ...overrides };
}

/** Format the env's volume, load it and open a session on the first client. */
export async function formatted(env: MetaTestEnv, overrides: Partial<Format> = {}): Promise<Meta> {
  await env.meta.init(testFormat(overrides));
  await env.meta.load(true);
  await env.meta.newSession();
  return env.meta;
}

/** A second client of the (already formatted) volume, loaded and in its own session. */
export async function secondClient(env: MetaTestEnv, heartbeat?: number): Promise<Meta> {
  const c = await env.newClient();
  await c.load(true);
  await c.newSession(heartbeat === undefined ? {} : { heartbeat });
  return c;
}

/** Await `p` and require it to fail with errno `code`. */
export async function expectCode(p: Promise<unknown>, code: ErrnoCode, what = 'operation'): Promise<void> {
  let result: unknown;
  try {
    result = await p;
  } catch (err) {
    const got = (err as { code?: unknown }).code;
    if (got !== code) {
      throw new AssertionError({
        message: `${what}: expected ${code}, got ${String(got)} (${err instanceof Error ? err.message : String(err)})`,
        actual: got,
        expected: code,
      });
    }
    return;
  }
  throw new AssertionError({ message: `${what}: expected ${code}, but it succeeded (${describe(result)})`, expected: code });
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 200) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Create a regular file and close it again. */
export async function mkfile(meta: Meta, parent: Ino, name: string, ctx: Context = ROOT, mode = 0o644): Promise<NodeResult> {
  const r = await meta.create(ctx, parent, name, mode, 0, 0);
  await meta.close(ctx, r.ino);
  return r;
}

/** Every entry of a directory, following cursors page by page. */
export async function listAll(meta: Meta, ino: Ino, opts: { ctx?: Context; limit?: number; plus?: boolean } = {}): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100000; pages++) {
    const page = await meta.readdir(opts.ctx ?? ROOT, ino, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.plus === undefined ? {} : { plus: opts.plus }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    out.push(...page.entries);
    if (page.cursor === undefined) return out;
    if (opts.limit !== undefined && page.entries.length > opts.limit) {
      throw new AssertionError({ message: `readdir returned ${page.entries.length} entries for limit ${opts.limit}` });
    }
    cursor = page.cursor;
  }
  throw new AssertionError({ message: 'readdir never stopped returning cursors' });
}

export async function names(meta: Meta, ino: Ino): Promise<string[]> {
  return (await listAll(meta, ino)).map((e) => e.name.toString()).sort();
}

/** Run `fn` against a temporary wall-clock sample: returns the Unix seconds before and after. */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
