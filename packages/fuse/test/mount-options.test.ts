import { mountOptionString } from '../src/mount/options.js';
import { bdiPath } from '../src/mount/readahead.js';

describe('mount options', () => {
  test('the -o list carries the fd, root mode, ids and the chosen flags; bad values are refused', () => {
    expect(mountOptionString({}, 3, 0, 0)).toBe('fd=3,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions,rw');
    expect(mountOptionString({ allowOther: false, defaultPermissions: false, readOnly: true, extraOptions: ['noatime'] }, 3, 1000, 100)).toBe(
      'fd=3,rootmode=40000,user_id=1000,group_id=100,ro,noatime',
    );
    expect(() => mountOptionString({ extraOptions: ['a,b'] }, 3, 0, 0)).toThrow(/commas or whitespace/);
  });
});

test('bdiPath decodes a device number into the sysfs major:minor of its backing device', () => {
  expect(bdiPath(40)).toBe('/sys/class/bdi/0:40');
  expect(bdiPath((8 << 8) | 1)).toBe('/sys/class/bdi/8:1');
  // minors above 255 keep their high bits above the major (Linux new_encode_dev)
  expect(bdiPath((0x12345 & 0xff) | (0x12345 & ~0xff) << 12)).toBe('/sys/class/bdi/0:74565');
});
