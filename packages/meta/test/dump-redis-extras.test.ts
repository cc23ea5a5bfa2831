import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { EngineStore } from '../src/base/store.js';
import { dumpMeta, engineExtras, loadMeta } from '../src/dump/index.js';
import { decodeAclRule, encodeAclRule } from '../src/dump/redis-extras.js';
import { createRedisEngine } from '../src/redis/index.js';

// On Redis, dump/load also carry ACL rules and quotas: metadata.sample comes back whole.

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const sample = fs.readFileSync(path.join(fixtures, 'metadata.sample'), 'utf8');
const golden = JSON.parse(fs.readFileSync(path.join(fixtures, 'golden-vectors.json'), 'utf8')) as {
  extra: { aclRuleRedis: Array<{ hex: string }> };
};
const url = `${(process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390').replace(/\/\d*$/, '')}/14`; // a database no other test file uses

describe('ACL rules in the Redis form', () => {
  it('match the golden vectors', () => {
    const [a, b] = golden.extra.aclRuleRedis;
    expect(encodeAclRule({ owner: 6, group: 4, mask: 4, other: 4, users: [{ id: 1, perm: 6 }, { id: 2, perm: 7 }], groups: [] }).toString('hex')).toBe(a!.hex);
    expect(decodeAclRule(Buffer.from(b!.hex, 'hex'))).toEqual({ owner: 7, group: 5, mask: 5, other: 5, users: [], groups: [{ id: 3, perm: 6 }, { id: 4, perm: 7 }] });
  });
});

describe('dump/load with quotas and ACLs on Redis', () => {
  let store: EngineStore;
  beforeAll(async () => {
    try {
      store = await createRedisEngine(url);
    } catch (err) {
      throw new Error(`Redis test server not reachable at ${url} (${(err as Error).message}): run bash scripts/services/redis.sh`);
    }
    await store.reset();
  });
  afterAll(async () => {
    await store.reset();
    await store.close();
  });

  it('loads metadata.sample and dumps it back identical from the counters on', async () => {
    const extras = engineExtras(store);
    expect(extras).toBeDefined();
    const result = await loadMeta(store, sample, extras ? { extras } : {});
    expect(result.skipped).toEqual([]);
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (b: Buffer) => parts.push(b));
    await dumpMeta(store, out, extras ? { extras } : {});
    const text = Buffer.concat(parts).toString('utf8');
    // Everything but the Setting/Counters block (the sample's counters are stale; load recomputes them).
    const from = (t: string) => t.slice(t.indexOf('  "Sustained"'));
    expect(from(text)).toBe(from(sample));
  });
});
