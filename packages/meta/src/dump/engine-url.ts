import { fsError } from '@juicefs/core';
import type { EngineStore } from '../base/store.js';
import { createRedisEngine } from '../redis/index.js';
import { createSqlEngine } from '../sql/index.js';

/**
 * Open the engine a META-URL names (sqlite3://, postgres://, postgresql://, redis://, rediss://,
 * unix://), for dump/load and the CLI's volume commands. A bare path is not guessed at: the scheme
 * decides, as in JuiceFS.
 */
export async function openEngineStore(metaUrl: string): Promise<EngineStore> {
  const scheme = /^([a-z0-9+]+):/i.exec(metaUrl)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite3':
    case 'postgres':
    case 'postgresql':
      return createSqlEngine(metaUrl);
    case 'redis':
    case 'rediss':
    case 'unix':
      return createRedisEngine(metaUrl);
    default:
      throw fsError(
        'EINVAL',
        `unsupported META-URL "${metaUrl}": use sqlite3://PATH, postgres://USER@HOST:PORT/DB or redis://HOST:PORT/DB`,
      );
  }
}
