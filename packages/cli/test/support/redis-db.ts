import { spawnSync } from 'node:child_process';
import { redisBase } from '../tools-volume.js';

/** Deletes every key of the database but the claim (ARGV[1]). */
const CLEAR_BUT_CLAIM = "for _, k in ipairs(redis.call('KEYS', '*')) do if k ~= ARGV[1] then redis.call('DEL', k) end end return 0";

/** One of the shared test Redis server's databases 16..39, claimed as the meta tests do (a key set NX). */
export function claimRedisDb(): number {
  const start = Math.floor(Math.random() * 24);
  for (let i = 0; i < 24; i++) {
    const db = 16 + ((start + i) % 24);
    const r = spawnSync('redis-cli', ['-u', `${redisBase}/${db}`, 'SET', '__jfs_test_claim', String(process.pid), 'EX', '600', 'NX'], { encoding: 'utf8' });
    if (r.error) throw new Error(`redis-cli is needed for this test: ${r.error.message}`);
    if (r.stdout.trim() === 'OK') {
      // A run killed before its cleanup leaves its volume behind once its claim has expired:
      // start from an empty database (all but our claim, in one atomic step).
      const clean = spawnSync('redis-cli', ['-u', `${redisBase}/${db}`, 'EVAL', CLEAR_BUT_CLAIM, '0', '__jfs_test_claim'], { encoding: 'utf8' });
      if (clean.status !== 0) throw new Error(`emptying Redis database ${db} failed: ${clean.stderr}`);
      return db;
    }
  }
  throw new Error(`no free Redis database among 16..39 at ${redisBase}: run bash scripts/services/redis.sh`);
}

/** A redis-cli command on database `db`, its raw reply (binary values intact, trailing newline cut). */
export function redisRaw(db: number, ...args: string[]): Buffer {
  const r = spawnSync('redis-cli', ['-u', `${redisBase}/${db}`, '--raw', ...args]);
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr.toString()}`);
  const out = r.stdout;
  return out.length > 0 && out[out.length - 1] === 0x0a ? out.subarray(0, -1) : out;
}

/** Empty the claimed database (the claim goes with it). */
export function releaseRedisDb(db: number): void {
  spawnSync('redis-cli', ['-u', `${redisBase}/${db}`, 'FLUSHDB']);
}
