import { createStorage, withBandwidthLimit, type Clock } from '../src/object/index.js';

/** A clock that only moves when someone sleeps: the total sleep is the throttling done. */
function fakeClock(): Clock & { slept: number } {
  let t = 0;
  const c = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      c.slept += ms;
      t += ms;
    },
  };
  return c;
}

describe('bandwidth limits', () => {
  test('uploads beyond the first second of tokens wait at the configured rate', async () => {
    const clock = fakeClock();
    const s = withBandwidthLimit(createStorage('mem', 'bw'), { uploadMbps: 8 }, clock); // 1e6 bytes/s
    const block = Buffer.alloc(500_000);
    for (let i = 0; i < 6; i++) await s.put(`k${i}`, block);
    // 3e6 bytes: the first 1e6 ride on the full bucket, the other 2e6 take two seconds.
    expect(clock.slept).toBeCloseTo(2000, 5);
  });

  test('downloads are limited separately; unlimited directions do not wait', async () => {
    const clock = fakeClock();
    const s = withBandwidthLimit(createStorage('mem', 'bw2'), { downloadMbps: 80 }, clock); // 1e7 bytes/s
    await s.put('k', Buffer.alloc(4_000_000));
    expect(clock.slept).toBe(0);
    for (let i = 0; i < 5; i++) await s.get('k');
    expect(clock.slept).toBeCloseTo(1000, 5); // 2e7 bytes, 1e7 in the bucket
  });

  test('no limits leaves the storage as it is', () => {
    const inner = createStorage('mem', 'bw3');
    expect(withBandwidthLimit(inner, {})).toBe(inner);
  });
});
