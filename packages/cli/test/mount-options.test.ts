import { fuseOptions } from '../src/commands/mount.js';

describe('juicefs mount -o', () => {
  it('splits comma lists, turns writeback_cache into the FUSE feature, and passes the rest to mount(8)', () => {
    expect(fuseOptions(['allow_other,noatime', 'writeback_cache', ' nodev '], false)).toEqual({
      writebackCache: true,
      extraOptions: ['noatime', 'nodev'],
    });
  });
  it('keeps --writeback-cache when -o does not mention it', () => {
    expect(fuseOptions([], true)).toEqual({ writebackCache: true, extraOptions: [] });
  });
});
