import { buildSliceView, align4K, encodeFormat, decodeFormat, defaultFormat, compareVersions, nowTimespec } from '@juicefs/core';

describe('buildSliceView', () => {
  it('later records overwrite the ranges they cover', () => {
    const view = buildSliceView([
      { pos: 0, id: 1, size: 100, off: 0, len: 100 },
      { pos: 20, id: 2, size: 10, off: 0, len: 10 },
    ]);
    expect(view).toEqual([
      { pos: 0, id: 1, size: 100, off: 0, len: 20 },
      { pos: 20, id: 2, size: 10, off: 0, len: 10 },
      { pos: 30, id: 1, size: 100, off: 30, len: 70 },
    ]);
  });
  it('leaves gaps out', () => {
    expect(buildSliceView([{ pos: 10, id: 3, size: 5, off: 0, len: 5 }])).toEqual([{ pos: 10, id: 3, size: 5, off: 0, len: 5 }]);
  });
});

describe('format record', () => {
  it('encodes like Go MarshalIndent with empty indent and round-trips unknown members', () => {
    const f = { ...defaultFormat('myjfs', 'u-u-i-d', '/var/jfs/'), Future: 7 };
    const text = encodeFormat(f);
    expect(text.startsWith('{\n"Name": "myjfs",\n"UUID": "u-u-i-d",\n"Storage": "file",\n"Tiers": {\n"0": {\n"ID": 0,')).toBe(true);
    expect(text).not.toContain('"Capacity"');
    expect(decodeFormat(text)).toEqual(f);
  });
  it('compares versions with pre-releases before releases', () => {
    expect(compareVersions('1.1.0-A', '1.1.0')).toBe(-1);
    expect(compareVersions('1.4.0', '1.2.0-A')).toBe(1);
    expect(compareVersions('1.2.0+2024', '1.2.0')).toBe(0);
  });
  it('align4K charges 4096 for empty files', () => {
    expect([align4K(0), align4K(1), align4K(4096), align4K(4097)]).toEqual([4096, 4096, 4096, 8192]);
  });
});

describe('nowTimespec', () => {
  // The millisecond a reading falls in (whole numbers: a double cannot hold ms with ns digits).
  const msOf = (t: { sec: number; nsec: number }): number => t.sec * 1000 + Math.floor(t.nsec / 1e6);

  it('never goes backwards and stays inside the wall clock\'s millisecond', () => {
    let prev = nowTimespec();
    for (let i = 0; i < 200_000; i++) {
      const before = Date.now();
      const t = nowTimespec();
      const after = Date.now();
      expect(t.nsec).toBeLessThan(1e9);
      if (t.sec < prev.sec || (t.sec === prev.sec && t.nsec < prev.nsec)) throw new Error(`went back: ${JSON.stringify([prev, t])}`);
      if (msOf(t) < before || msOf(t) >= after + 1) throw new Error(`${msOf(t)} ms outside [${before}, ${after + 1})`);
      prev = t;
    }
  });

  it('re-anchors when the monotonic clock drifts from the wall clock', () => {
    // A VM's monotonic clock falling 5 ms behind the wall clock, then running 5 ms ahead of it:
    // readings follow the wall clock both times (the second one is held at the last reading
    // rather than going back).
    const real = process.hrtime.bigint.bind(process.hrtime);
    for (const driftNs of [-5_000_000n, 5_000_000n]) {
      const spy = jest.spyOn(process.hrtime, 'bigint').mockImplementation(() => real() + driftNs);
      try {
        const before = Date.now();
        const t = nowTimespec();
        const after = Date.now();
        expect(msOf(t)).toBeGreaterThanOrEqual(before);
        expect(msOf(t)).toBeLessThan(after + 1);
      } finally {
        spy.mockRestore();
      }
    }
  });
});
