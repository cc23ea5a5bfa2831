import { defaultFormat, ROOT_CONTEXT, type Format } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import type { EngineStore } from '../src/base/store.js';
import { MemoryEngine } from '../src/memory/index.js';
import { createSqlEngine } from '../src/sql/index.js';
import type { TestTarget } from '../src/sql/test-targets.js';

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

/** A volume that several clients open: each `open()` is a new store on it; `cleanup` closes them and drops it. */
export interface SharedVolume {
  open(): Promise<EngineStore>;
  cleanup(): Promise<void>;
}

/** A SQL test database opened by as many clients as a test asks for. */
export function sqlVolume(target: TestTarget): SharedVolume {
  const stores: EngineStore[] = [];
  return {
    open: async () => {
      const s = await createSqlEngine(target.url);
      stores.push(s);
      return s;
    },
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
      await target.cleanup();
    },
  };
}
