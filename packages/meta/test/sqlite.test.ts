import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshSqliteTarget } from '../src/sql/test-targets.js';

// The whole Meta conformance suite on BaseMeta over SQLite: a fresh database file per test.
metaConformance('sqlite3', async () => {
  const target = freshSqliteTarget();
  return clientsEnv(async () => new BaseMeta(await createSqlEngine(target.url)), () => target.cleanup());
});
