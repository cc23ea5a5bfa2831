import { changeLogSeconds, type ChangeLogEntry, type ChangeLogStore } from '../base/changelog.js';
import type { MemoryVolumeState } from './state.js';

/** The change log of the memory engine: lines by version, in the engine's transaction queue. */
export function memoryChangeLog(
  s: MemoryVolumeState,
  serial: <T>(fn: () => T | Promise<T>) => Promise<T>,
): ChangeLogStore {
  const last = () => s.counters.get('txnLastLog') ?? 0;
  const versions = () => [...s.changeLog.keys()].sort((a, b) => a - b);
  return {
    read: (after, limit) =>
      serial(() =>
        versions()
          .filter((v) => v > after)
          .slice(0, Math.max(1, Math.floor(limit)))
          .map((version): ChangeLogEntry => ({ version, entry: s.changeLog.get(version)! })),
      ),
    last: () => serial(last),
    trim: ({ before, maxLines }) =>
      serial(() => {
        let dropped = 0;
        const all = versions();
        const keepFrom = maxLines === undefined ? 0 : Math.max(0, all.length - maxLines);
        for (const [i, v] of all.entries()) {
          const old = before !== undefined && (changeLogSeconds(s.changeLog.get(v)!) ?? Infinity) < before;
          if (i >= keepFrom && !old) break;
          s.changeLog.delete(v);
          dropped++;
        }
        return dropped;
      }),
    setLast: (version) =>
      serial(() => {
        if (version > last()) s.counters.set('txnLastLog', version);
      }),
  };
}
