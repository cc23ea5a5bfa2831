import { storageTarget } from '../src/object/index.js';

describe('storageTarget maps juicefs format flags onto OpenDAL', () => {
  test('file: the bucket is a directory', () => {
    const t = storageTarget('file', '/var/jfs/');
    expect(t).toMatchObject({ scheme: 'fs', options: { root: '/var/jfs' }, description: 'file:///var/jfs/' });
  });

  test('s3, path style with a port, keys and default region', () => {
    const t = storageTarget('s3', 'http://127.0.0.1:9000/mybucket', 'AK', 'SK');
    expect(t.scheme).toBe('s3');
    expect(t.options).toMatchObject({ bucket: 'mybucket', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', access_key_id: 'AK', secret_access_key: 'SK' });
    expect(t.options.enable_virtual_host_style).toBeUndefined();
    expect(t.description).toBe('s3://mybucket/');
  });

  test('s3, virtual-host style on AWS picks the region from the host', () => {
    const t = storageTarget('s3', 'https://mybucket.s3.eu-west-1.amazonaws.com', 'AK', 'SK');
    expect(t.options).toMatchObject({ bucket: 'mybucket', endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1', enable_virtual_host_style: 'true' });
  });

  test('s3 with a session token and an explicit region', () => {
    const t = storageTarget('s3', 'https://b.example.com', 'AK', 'SK', { region: 'cn-north-1', sessionToken: 'TOK' });
    expect(t.options).toMatchObject({ bucket: 'b', endpoint: 'https://example.com', region: 'cn-north-1', session_token: 'TOK' });
  });

  test('oss, cos and obs take the bucket from the first host label', () => {
    expect(storageTarget('oss', 'https://bk.oss-cn-hangzhou.aliyuncs.com', 'A', 'S').options).toMatchObject({
      bucket: 'bk',
      endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
      access_key_id: 'A',
      access_key_secret: 'S',
    });
    expect(storageTarget('cos', 'https://bk-1250000000.cos.ap-beijing.myqcloud.com', 'A', 'S').options).toMatchObject({
      bucket: 'bk-1250000000',
      secret_id: 'A',
      secret_key: 'S',
    });
    expect(storageTarget('obs', 'https://bk.obs.cn-north-4.myhuaweicloud.com', 'A', 'S').scheme).toBe('obs');
  });

  test('gs, wasb, webdav and swift', () => {
    expect(storageTarget('gs', 'gs://bk').options).toMatchObject({ bucket: 'bk' });
    expect(storageTarget('wasb', 'https://acct.blob.core.windows.net/cont', '', 'KEY').options).toMatchObject({
      container: 'cont',
      endpoint: 'https://acct.blob.core.windows.net',
      account_name: 'acct',
      account_key: 'KEY',
    });
    expect(storageTarget('webdav', 'http://dav.local:8080/jfs', 'u', 'p').options).toMatchObject({ endpoint: 'http://dav.local:8080', root: '/jfs', username: 'u', password: 'p' });
    expect(storageTarget('swift', 'http://sw.local/v1/AUTH_x/cont', '', 'TOKEN').options).toMatchObject({ endpoint: 'http://sw.local/v1/AUTH_x', container: 'cont', token: 'TOKEN' });
  });

  test('unknown storages and bucket URLs without a bucket are refused with EINVAL', () => {
    expect(() => storageTarget('hdfs', 'x')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => storageTarget('s3', 'http://localhost:9000')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
