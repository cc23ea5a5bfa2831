// Capabilities an engine lacks must show up as visible skips, never as silent passes.
import { metaConformance, metaConformanceCases, missingCapabilities, runMetaCase, type MetaFactory } from '../src/conformance/index.js';
import { MemoryMeta, MemoryVolume } from '../src/testing/index.js';

const factory = (supports?: { locks?: boolean }): MetaFactory => async () => {
  const volume = new MemoryVolume();
  return { meta: new MemoryMeta(volume), newClient: async () => new MemoryMeta(volume), cleanup: async () => {}, ...(supports ? { supports } : {}) };
};

/** Register the suite with recording stand-ins for describe/it, and return what was registered. */
function registered(supports: { locks?: boolean }): { run: string[]; skipped: string[] } {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { describe: g.describe, it: g.it };
  const out = { run: [] as string[], skipped: [] as string[] };
  const it = (name: string) => void out.run.push(name);
  it.skip = (name: string) => void out.skipped.push(name);
  g.describe = (_name: string, fn: () => void) => fn();
  g.it = it;
  try {
    metaConformance('recorder', factory(), { supports });
  } finally {
    g.describe = saved.describe;
    g.it = saved.it;
  }
  return out;
}

describe('capability skips', () => {
  const lockCases = metaConformanceCases().filter((c) => c.needs?.includes('locks'));

  it('cases needing an unsupported capability are registered as it.skip with the reason in the name', () => {
    const all = registered({});
    expect(all.skipped).toEqual([]);
    expect(all.run.length).toBe(metaConformanceCases().length);
    const noLocks = registered({ locks: false });
    expect(lockCases.length).toBeGreaterThan(0);
    expect(noLocks.skipped.length).toBe(lockCases.length);
    for (const name of noLocks.skipped) expect(name).toMatch(/\[skipped: engine does not support locks\]$/);
    expect(noLocks.run.length + noLocks.skipped.length).toBe(all.run.length);
  });

  it('missingCapabilities names what a case needs and the engine lacks', () => {
    const c = lockCases[0]!;
    expect(missingCapabilities(c, { locks: false })).toEqual(['locks']);
    expect(missingCapabilities(c, { locks: true })).toEqual([]);
    expect(missingCapabilities(c, undefined)).toEqual([]);
  });

  it('an env that lacks a capability it did not declare at registration fails loudly', async () => {
    await expect(runMetaCase(lockCases[0]!, factory({ locks: false }))).rejects.toThrow(/pass \{ supports \} to metaConformance/);
    await runMetaCase(lockCases[0]!, factory());
  });
});
