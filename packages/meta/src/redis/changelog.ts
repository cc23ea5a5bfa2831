import type { ChangeLogEntry, ChangeLogStore } from '../base/changelog.js';
import type { RedisClient } from './connect.js';
import type { RedisKeys } from './keys.js';

/**
 * Lines after version ARGV[1], at most ARGV[2]: the version of the list's first line is
 * `txnLastLog - LLEN + 1`, so the count and the lines are read in one script, where no append or
 * trim can come between them. Returns the first returned line's version and the lines.
 */
const READ_SCRIPT = `
local n = redis.call('LLEN', KEYS[1])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local first = last - n + 1
local from = tonumber(ARGV[1]) + 1
if from < first then from = first end
if from > last then return {tostring(from), {}} end
local start = from - first
return {tostring(from), redis.call('LRANGE', KEYS[1], start, start + tonumber(ARGV[2]) - 1)}
`;

/** Keep the newest ARGV[1] lines; returns how many went. */
const TRIM_LINES_SCRIPT = `
local n = redis.call('LLEN', KEYS[1])
local keep = tonumber(ARGV[1])
if n <= keep then return 0 end
redis.call('LTRIM', KEYS[1], n - keep, -1)
return n - keep
`;

/** Drop lines older than ARGV[1] among the first ARGV[2]; returns how many went. */
const TRIM_AGE_SCRIPT = `
local lines = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local before = tonumber(ARGV[1])
local old = 0
for _, line in ipairs(lines) do
  local sec = tonumber(string.match(line, '^(%d+)%.'))
  if sec == nil or sec >= before then break end
  old = old + 1
end
if old > 0 then redis.call('LTRIM', KEYS[1], old, -1) end
return old
`;

const TRIM_BATCH = 1000;

/** The change log in the list `txnLog` and the counter `txnLastLog` (FORMAT.md 4.8). */
export function redisChangeLog(c: RedisClient, keys: RedisKeys): ChangeLogStore {
  const both = [keys.txnLog(), keys.txnLastLog()] as const;
  const last = async (): Promise<number> => Number((await c.get(keys.txnLastLog())) ?? 0);
  return {
    read: async (after, limit) => {
      const [from, lines] = (await c.eval(READ_SCRIPT, 2, ...both, after, Math.max(1, Math.floor(limit)))) as [string, string[]];
      return lines.map((entry, i): ChangeLogEntry => ({ version: Number(from) + i, entry }));
    },
    last,
    trim: async ({ before, maxLines }) => {
      let dropped = 0;
      if (maxLines !== undefined) dropped += Number(await c.eval(TRIM_LINES_SCRIPT, 1, keys.txnLog(), maxLines));
      if (before === undefined) return dropped;
      for (;;) {
        const old = Number(await c.eval(TRIM_AGE_SCRIPT, 1, keys.txnLog(), before, TRIM_BATCH));
        dropped += old;
        if (old < TRIM_BATCH) return dropped;
      }
    },
    setLast: async (version) => {
      if (version > (await last())) await c.set(keys.txnLastLog(), String(version));
    },
  };
}
