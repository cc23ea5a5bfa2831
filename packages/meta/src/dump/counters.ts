import type { EngineStore } from '../base/store.js';

/**
 * Counters in the dump's (SQL) semantics: `nextInode`/`nextChunk` are the next unreserved numbers.
 * Redis keeps the last reserved ones (FORMAT.md 4.4 / 5.4), so its values differ by one.
 */
export interface DumpCounters {
  usedSpace: number;
  usedInodes: number;
  nextInode: number;
  nextChunk: number;
  nextSession: number;
  nextTrash: number;
  /** The change log's newest version (JuiceFS 1.4; 0 without a log), where a consumer resumes. */
  lastChangelog: number;
}

function lastReserved(store: EngineStore): boolean {
  return store.name === 'redis';
}

export async function readCounters(store: EngineStore): Promise<DumpCounters> {
  const lastChangelog = store.changeLog ? await store.changeLog.last() : 0;
  return store.txn(async (tx) => {
    const shift = lastReserved(store) ? 1 : 0;
    return {
      usedSpace: await tx.getCounter('usedSpace'),
      usedInodes: await tx.getCounter('totalInodes'),
      nextInode: (await tx.getCounter('nextInode')) + shift,
      nextChunk: (await tx.getCounter('nextChunk')) + shift,
      nextSession: await tx.getCounter('nextSession'),
      nextTrash: await tx.getCounter('nextTrash'),
      lastChangelog,
    };
  });
}

/** Set the counters of a freshly loaded (empty) database to `c`, whatever they hold now. */
export async function writeCounters(store: EngineStore, c: DumpCounters): Promise<void> {
  const shift = lastReserved(store) ? 1 : 0;
  const target: Array<[string, number]> = [
    ['usedSpace', c.usedSpace], ['totalInodes', c.usedInodes], ['nextInode', c.nextInode - shift],
    ['nextChunk', c.nextChunk - shift], ['nextSession', c.nextSession], ['nextTrash', c.nextTrash],
  ];
  for (const [name, value] of target) {
    const now = await store.txn((tx) => tx.getCounter(name));
    if (now !== value) await store.incrCounter(name, value - now);
  }
  if (c.lastChangelog > 0) await store.changeLog?.setLast(c.lastChangelog);
}
