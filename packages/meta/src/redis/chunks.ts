import { CHUNK_SIZE, type Ino } from '@juicefs/core';
import type { RedisKeys } from './keys.js';
import type { WatchingReader } from './reader.js';
import { scanKeys } from './scan.js';

/** Beyond this many candidate chunks a keyspace SCAN is cheaper than probing each index. */
const MAX_PROBES = 10000;

/**
 * The `c<ino>_<indx>` keys that exist. The Redis layout has no index of a file's chunks, so, as
 * the Go client does, the indexes up to the file's length are probed (one pipelined EXISTS per
 * candidate), taking the length from the attribute or, for a removed file, from its `delfiles`
 * member. Only when neither is known, or the file is huge, is the keyspace SCANned. Like the Go
 * client's, a probe does not see chunks left beyond EOF by an earlier shrinking truncate.
 * Keys found are watched.
 */
export async function findChunkKeys(
  reader: WatchingReader,
  keys: RedisKeys,
  ino: Ino,
  length: number | undefined,
): Promise<Set<string>> {
  const bound = length ?? (await deletedLength(reader, keys, ino));
  const found = new Set<string>();
  if (bound !== undefined && bound / CHUNK_SIZE < MAX_PROBES) {
    const candidates = Array.from({ length: Math.floor(bound / CHUNK_SIZE) + 1 }, (_, i) => keys.chunk(ino, i));
    const exists = await reader.read([], (p) => {
      for (const k of candidates) p.exists(k);
    });
    candidates.forEach((k, i) => {
      if (exists[i] === 1) found.add(k);
    });
  } else {
    await scanKeys(reader.conn, keys.chunkPattern(ino), (batch) => {
      for (const k of batch) found.add(k);
    });
  }
  if (found.size > 0) await reader.read([...found], () => undefined);
  return found;
}

/** The largest length queued for a removed inode in `delfiles` (members `<ino>:<length>`). */
async function deletedLength(reader: WatchingReader, keys: RedisKeys, ino: Ino): Promise<number | undefined> {
  let best: number | undefined;
  let cursor = '0';
  do {
    const [next, flat] = await reader.conn.zscan(keys.delfiles(), cursor, 'MATCH', `${ino}:*`, 'COUNT', 1000);
    for (let i = 0; i < flat.length; i += 2) {
      const m = /^\d+:(\d+)$/.exec(flat[i] ?? '');
      if (m) best = Math.max(best ?? 0, Number(m[1]));
    }
    cursor = next;
  } while (cursor !== '0');
  return best;
}
