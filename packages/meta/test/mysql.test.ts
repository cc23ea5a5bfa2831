import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget } from '../src/sql/test-targets.js';

// The whole Meta conformance suite on BaseMeta over MySQL (MariaDB from scripts/services/mysql.sh):
// a fresh database per test, dropped afterwards. An xattr value of 64 KiB does not fit the BLOB
// column JuiceFS declares on MySQL (65535 bytes at most): E2BIG, as the Go client fails too.
metaConformance(
  'mysql',
  async () => {
    const target = await freshMysqlTarget();
    return clientsEnv(async () => new BaseMeta(await createSqlEngine(target.url)), () => target.cleanup());
  },
  // 120 s a case: on a slow machine a MariaDB create took 4-8 ms through this engine (the same
  // six statements through mysql2 alone: 1.4 ms), and the 2,500-entry paging case needed 26-30 s.
  { supports: { xattrValue64KiB: false }, timeout: 120_000 },
);
