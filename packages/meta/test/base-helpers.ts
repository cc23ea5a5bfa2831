import { defaultFormat, ROOT_CONTEXT, type Format } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { MemoryEngine } from '../src/memory/index.js';

export const ROOT = ROOT_CONTEXT;

/** A formatted, loaded in-memory volume with a session; `format` overrides defaults (trash off). */
export async function memoryVolume(format: Partial<Format> = {}): Promise<{ meta: BaseMeta; engine: MemoryEngine }> {
  const engine = new MemoryEngine();
  const meta = new BaseMeta(engine);
  await meta.init({ ...defaultFormat('test', '00000000-0000-4000-8000-000000000000', '/tmp/bucket'), TrashDays: 0, ...format });
  await meta.load();
  await meta.newSession();
  return { meta, engine };
}

export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}
