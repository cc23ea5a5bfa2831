import type { Meta } from '@juicefs/core';
import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { createSqlEngine } from '../src/sql/index.js';
import { freshSqliteTarget } from '../src/sql/test-targets.js';

// The whole Meta conformance suite on BaseMeta over SQLite: a fresh database file per test.
metaConformance('sqlite3', async () => {
  const target = freshSqliteTarget();
  const clients: Meta[] = [];
  const open = async () => {
    const meta = new BaseMeta(await createSqlEngine(target.url));
    clients.push(meta);
    return meta;
  };
  return {
    meta: await open(),
    newClient: open,
    cleanup: async () => {
      await Promise.all(clients.map((c) => c.shutdown().catch(() => undefined)));
      await target.cleanup();
    },
  };
});
