import { mountOptionString } from '../src/mount/options.js';

describe('mount options', () => {
  test('the -o list carries the fd, root mode, ids and the chosen flags; bad values are refused', () => {
    expect(mountOptionString({}, 3, 0, 0)).toBe('fd=3,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions,rw');
    expect(mountOptionString({ allowOther: false, defaultPermissions: false, readOnly: true, extraOptions: ['noatime'] }, 3, 1000, 100)).toBe(
      'fd=3,rootmode=40000,user_id=1000,group_id=100,ro,noatime',
    );
    expect(() => mountOptionString({ extraOptions: ['a,b'] }, 3, 0, 0)).toThrow(/commas or whitespace/);
  });
});
