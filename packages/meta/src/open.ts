import { fsError } from '@juicefs/core';
import { BaseMeta } from './base/base-meta.js';
import type { EngineStore } from './base/store.js';

const EXAMPLES = 'use sqlite3://path/to/vol.db, redis://host:6379/1, postgres://user@host:5432/db, mysql://user:pass@(host:3306)/db or memory://name';

export interface OpenMetaOptions {
  /** Open the engine only (no format check); `load()` is still the caller's job. Reserved for growth. */
  readonly?: boolean;
  /**
   * false: open an existing database only. A `sqlite3://` file that is not there is an ENOENT
   * error ("not formatted", naming the file) instead of a new empty database; tools on an existing
   * volume (mount, status, dump…) open this way, format and load do not. Default true.
   */
  create?: boolean;
}

/** The scheme of a META-URL, lower-cased; JuiceFS treats a URL without one as Redis. */
export function metaScheme(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * Open the `EngineStore` a META-URL names: sqlite3://, postgres://, postgresql://, mysql:// go
 * to the SQL engine; redis://, rediss://, unix:// and URLs
 * without a scheme to Redis; memory:// to the in-process engine. Engines load lazily so that
 * opening one never loads another's native driver.
 */
export async function openEngine(url: string, options: Pick<OpenMetaOptions, 'create'> = {}): Promise<EngineStore> {
  if (typeof url !== 'string' || url.trim() === '') {
    throw fsError('EINVAL', `empty metadata URL: ${EXAMPLES}`);
  }
  const scheme = metaScheme(url);
  switch (scheme) {
    case 'sqlite3':
    case 'postgres':
    case 'postgresql':
    case 'mysql': {
      const { createSqlEngine } = await import('./sql/index.js');
      return createSqlEngine(url, options);
    }
    case 'redis':
    case 'rediss':
    case 'unix': {
      const { createRedisEngine } = await import('./redis/index.js');
      return createRedisEngine(url);
    }
    case '': {
      if (/^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)/.test(url) && !/^[^/]*@/.test(url)) {
        throw fsError('EINVAL', `malformed metadata URL "${url}": ${EXAMPLES}`);
      }
      const { createRedisEngine } = await import('./redis/index.js');
      return createRedisEngine(`redis://${url}`);
    }
    case 'memory': {
      const { createMemoryEngine } = await import('./memory/index.js');
      return createMemoryEngine(url);
    }
    default:
      throw fsError('EINVAL', `unsupported metadata URL scheme "${scheme}": ${EXAMPLES}`);
  }
}

/** Open a metadata client (`Meta`) for a META-URL. Call `load()` (or `init()`) before use. */
export async function openMeta(url: string, options: OpenMetaOptions = {}): Promise<BaseMeta> {
  return new BaseMeta(await openEngine(url, options));
}
