import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshPgTarget } from '../src/sql/test-targets.js';

// The whole Meta conformance suite on BaseMeta over PostgreSQL (scripts/services/postgres.sh):
// a fresh schema per test, selected with ?search_path= and dropped afterwards.
metaConformance('postgres', async () => {
  const target = await freshPgTarget();
  return clientsEnv(async () => new BaseMeta(await createSqlEngine(target.url)), () => target.cleanup());
});
