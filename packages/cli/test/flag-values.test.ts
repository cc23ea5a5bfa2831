import { parseDurationFlag } from '../src/duration-flag.js';
import { parseMbpsFlag, parseSizeFlag } from '../src/size-flag.js';
import { clientSizesAndTimes } from '../src/mount/flags-sizes.js';

// Size, bandwidth and duration flags read as JuiceFS 1.3+ reads them (pkg/utils: ParseBytesStr,
// ParseMbpsStr, Duration), so `--cache-size 100G`, `--upload-limit 1G` or `--attr-cache 500ms`
// from its documentation mean here what they mean there; bare numbers keep their old units.

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('durations: seconds as a number, Go durations, and days in front', () => {
  const cases: Array<[string, number]> = [
    ['12', 12], ['1.5', 1.5], ['-1', -1], ['1e3', 1000], ['0', 0],
    ['1.0s', 1], ['500ms', 0.5], ['1m30s', 90], ['2h', 7200], ['250us', 0.00025], ['0s', 0],
    ['1d', 86400], ['2d12h', 216000], ['0.5d', 43200],
  ];
  expect(cases.map(([t]) => parseDurationFlag('x', t))).toEqual(cases.map(([, s]) => s));
  for (const bad of ['', 'soon', '1 day', '5 s', 'd', '1d2', '1dd', 'h1', '1.2.3s']) {
    expect(() => parseDurationFlag('attr-cache', bad)).toThrow(`--attr-cache "${bad}" is not a duration: give seconds (e.g. 60) or a duration such as 30s, 1m30s, 500ms or 1d`);
  }
});

test('sizes in MiB unless a unit says otherwise; bandwidth in Mbps, decimal units', () => {
  expect(['300', '100G', '1.5G', '512K', '2T', '4096B'].map((t) => parseSizeFlag('cache-size', t, 'M'))).toEqual([300 * MiB, 100 * GiB, 1.5 * GiB, 512 * 1024, 2 * 1024 * GiB, 4096]);
  expect(() => parseSizeFlag('cache-size', '100GiB', 'M')).toThrow('invalid --cache-size "100GiB": give a number, in MiB unless it ends with a unit B, K, M, G, T, P or E, e.g. 300 (MiB), 512M or 100G');
  expect(['0', '100', '100M', '1G', '1.5T'].map((t) => parseMbpsFlag('upload-limit', t))).toEqual([0, 100, 100, 1000, 1_500_000]);
  expect(() => parseMbpsFlag('upload-limit', '100Mbps')).toThrow('invalid --upload-limit "100Mbps": give Mbps, or a number ending with M, G, T or P (e.g. 100, 1G); 0 is no limit');
});

test('a mount\'s and a service\'s size and time flags, old numbers and Go forms alike', () => {
  const numbers = clientSizesAndTimes({ 'cache-size': 102400, 'buffer-size': 300, 'attr-cache': 1, 'entry-cache': 1, 'dir-entry-cache': 1, heartbeat: 12, 'max-readahead': 8 });
  const goForms = clientSizesAndTimes({ 'cache-size': '100G', 'buffer-size': '300M', 'attr-cache': '1.0s', 'entry-cache': '1000ms', 'dir-entry-cache': '1s', heartbeat: '12s', 'max-readahead': '8M' });
  expect(goForms).toEqual(numbers);
  expect(numbers).toEqual({ cacheSize: 100 * GiB, bufferSize: 300 * MiB, attrCache: 1, entryCache: 1, dirEntryCache: 1, heartbeat: 12, maxReadaheadMiB: 8 });
  const base = { 'buffer-size': '300M', 'attr-cache': '1', 'entry-cache': '1', 'dir-entry-cache': '1', heartbeat: '12' };
  expect(() => clientSizesAndTimes({ ...base, 'attr-cache': '-1' })).toThrow('--attr-cache: give a duration of 0 or more, not -1 s');
  expect(() => clientSizesAndTimes({ ...base, heartbeat: '0s' })).toThrow('--heartbeat "0s": give a positive interval');
  expect(() => clientSizesAndTimes({ ...base, 'buffer-size': 'lots' })).toThrow('invalid --buffer-size "lots"');
});
